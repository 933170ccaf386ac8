import { expect, test } from '@jest/globals';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { LAB_BGP_PASSWORD, LAB_IBGP_PORT, LAB_MD5_PORT, routerSessions, type FrrInstance } from '../../lab/router.js';
import type { NodePlan } from '../../lab/network-plan.js';
import type { Advertisement } from '../../speaker/bgp/routes.js';
import { cutBgpRules, frrPaths as frrPathsOf, hasCommunity, hasLarge, nsExec as nsExecIn, routerView as routerViewOf, type FrrPath } from '../support/bgp-router.js';
import { describeAsRoot, eventually, testLab, type TestLab } from '../support/lab.js';

const nsExec = (lab: TestLab, where: string, command: string[], input?: string) => nsExecIn({ dir: lab.dir, network: lab.network! }, where, command, input);
const routerView = (lab: TestLab, prefix: string) => routerViewOf({ dir: lab.dir, network: lab.network! }, prefix);
const frrPaths = (lab: TestLab, prefix: string, instance: FrrInstance) => frrPathsOf({ dir: lab.dir, network: lab.network! }, prefix, instance);

/** FRR's path for `prefix` via `nextHop` in one bgpd instance's table, once it is there. */
function frrPathVia(lab: TestLab, prefix: string, nextHop: string, instance: FrrInstance): Promise<FrrPath> {
  return eventually(`${prefix} via ${nextHop} in FRR's ${instance} table`, async () => (await frrPaths(lab, prefix, instance)).find((p) => p.used && p.nextHop === nextHop), 10_000, 100);
}

/**
 * fleetlb's own BGP speaker (speaker/bgp) against the lab's real router (BIRD by default, FRR with
 * `--router frr`): the speaker runs as a process in a lab node's namespace (dist/…/peer-main.js),
 * controlled over stdin, reporting on stdout.
 */

const repoRoot = new URL('../../', import.meta.url).pathname;
const MAIN = join(repoRoot, 'dist', 'speaker', 'bgp', 'peer-main.js');

interface SpeakerEvent {
  event: string;
  [k: string]: unknown;
}

class Speaker {
  readonly events: SpeakerEvent[] = [];
  readonly closed: Promise<number | null>;
  private stderr = '';

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (l) => {
      try {
        this.events.push(JSON.parse(l) as SpeakerEvent);
      } catch {
        this.events.push({ event: 'raw', line: l });
      }
    });
    child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.closed = new Promise((r) => child.once('close', (code) => r(code)));
  }

  static start(lab: TestLab, node: NodePlan, peer: Record<string, unknown>, advertisements: Advertisement[]): Speaker {
    const cfg = { peer: { localAsn: 64512, peerAsn: lab.network!.plan.router.asn, routerId: node.lan.v4, holdTimeSec: 9, connectRetry: { initialMs: 500, maxMs: 2000 }, ...peer }, advertisements };
    return new Speaker(spawn('ip', ['netns', 'exec', node.netns, process.execPath, MAIN, JSON.stringify(cfg)], { stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  send(cmd: Record<string, unknown>): void {
    this.child.stdin.write(`${JSON.stringify(cmd)}\n`);
  }

  has(pred: (e: SpeakerEvent) => boolean): boolean {
    return this.events.some(pred);
  }

  wait(what: string, pred: (e: SpeakerEvent) => boolean, timeoutMs = 30_000): Promise<SpeakerEvent> {
    return eventually(`${what} (speaker stderr: ${this.stderr.slice(-500)})`, async () => this.events.find(pred), timeoutMs, 100);
  }

  /** Graceful stop (withdraw, Cease); kill by PID if it does not exit within 5 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin.end(`${JSON.stringify({ cmd: 'stop' })}\n`);
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.closed;
    clearTimeout(t);
  }
}

async function established(lab: TestLab, addr: string): Promise<void> {
  const net = lab.network!;
  await eventually(`an Established session from ${addr} in the router`, async () =>
    (await routerSessions(net.router, net.plan, lab.dir)).find((s) => s.peer === addr && /established/i.test(s.state)), 30_000, 250);
}

describeAsRoot('BGP speaker against the lab router', () => {
  test('eBGP over IPv4: IPv4 and IPv6 prefixes with communities reach the router; withdrawal and shutdown remove them', async () => {
    const lab = await testLab();
    const net = lab.network!;
    const node = net.plan.nodes.find((n) => n.cluster === 'member-1')!;
    const ads: Advertisement[] = [
      { prefix: '198.51.100.201', communities: ['64512:7', 'large:64512:1:2'] },
      { prefix: '198.51.100.202', communities: ['64512:7', 'large:64512:1:2'] },
      { prefix: '2001:db8:100::c9', communities: ['64512:8', 'large:64512:3:4'] },
    ];
    const sp = Speaker.start(lab, node, { peerAddress: net.plan.router.lan.v4 }, ads);
    try {
      await sp.wait('Established', (e) => e.event === 'state' && e.to === 'Established');
      await established(lab, node.lan.v4);
      await sp.wait('End-of-RIB sent for IPv6', (e) => e.event === 'sent' && JSON.stringify(e.endOfRib) === '{"afi":2,"safi":1}');

      const v4 = await eventually('198.51.100.201 in the router', async () => {
        const v = await routerView(lab, '198.51.100.201/32');
        return v.kernel.includes(`via ${node.lan.v4}`) ? v : undefined;
      }, 10_000, 100);
      expect(hasCommunity(v4.bgp, 64512, 7)).toBe(true);
      expect(hasLarge(v4.bgp, 64512, 1, 2)).toBe(true);
      expect(v4.bgp).toMatch(/64512/); // AS_PATH is our ASN
      const v6 = await eventually('2001:db8:100::c9 in the router', async () => {
        const v = await routerView(lab, '2001:db8:100::c9/128');
        return v.kernel.includes('via') ? v : undefined;
      }, 10_000, 100);
      expect(v6.kernel).toMatch(new RegExp(`via (${node.lan.v6}|fe80::)`));
      expect(hasCommunity(v6.bgp, 64512, 8)).toBe(true);
      expect(hasLarge(v6.bgp, 64512, 3, 4)).toBe(true);
      expect(sp.has((e) => e.event === 'sent' && Array.isArray(e.announced) && e.announced.length === 2)).toBe(true); // packed

      // Withdraw one IPv4 and the IPv6 prefix.
      sp.send({ cmd: 'set', advertisements: [ads[0]] });
      await eventually('198.51.100.202 and 2001:db8:100::c9 withdrawn', async () => {
        const [a, b] = await Promise.all([routerView(lab, '198.51.100.202/32'), routerView(lab, '2001:db8:100::c9/128')]);
        return !a.kernel.trim() && !b.kernel.trim() ? true : undefined;
      }, 10_000, 100);
      expect((await routerView(lab, '198.51.100.201/32')).kernel).toContain(`via ${node.lan.v4}`);

      // Shutdown: withdraw everything, then Cease.
      await sp.stop();
      expect(sp.has((e) => e.event === 'sent' && e.type === 'notification' && e.code === 6 && e.subcode === 2)).toBe(true);
      await eventually('198.51.100.201 withdrawn after shutdown', async () => (!(await routerView(lab, '198.51.100.201/32')).kernel.trim() ? true : undefined), 10_000, 100);
    } finally {
      await sp.stop();
    }
  });

  test('eBGP over IPv6 from a second node', async () => {
    const lab = await testLab();
    const net = lab.network!;
    const node = net.plan.nodes.filter((n) => n.cluster === 'member-1')[1]!;
    const sp = Speaker.start(lab, node, { peerAddress: net.plan.router.lan.v6 }, [{ prefix: '2001:db8:100::ca', communities: ['64512:9'] }, { prefix: '198.51.100.203' }]);
    try {
      await sp.wait('Established', (e) => e.event === 'state' && e.to === 'Established');
      await established(lab, node.lan.v6);
      const v6 = await eventually('2001:db8:100::ca in the router', async () => {
        const v = await routerView(lab, '2001:db8:100::ca/128');
        return v.kernel.includes('via') ? v : undefined;
      }, 10_000, 100);
      expect(hasCommunity(v6.bgp, 64512, 9)).toBe(true);
    } finally {
      await sp.stop();
    }
  });

  test('iBGP (the router\'s AS, on the lab\'s iBGP port): LOCAL_PREF and communities reach the router, no AS in the path', async () => {
    const lab = await testLab();
    const net = lab.network!;
    const node = net.plan.nodes.find((n) => n.cluster === 'member-1')!;
    const sp = Speaker.start(lab, node, { peerAddress: net.plan.router.lan.v4, peerPort: LAB_IBGP_PORT, localAsn: net.plan.router.asn }, [
      { prefix: '198.51.100.205', communities: ['64512:11'], localPref: 150 },
      { prefix: '2001:db8:100::cd', localPref: 120 },
    ]);
    try {
      await sp.wait('Established', (e) => e.event === 'state' && e.to === 'Established');
      if (net.router === 'bird') {
        const v4 = await eventually('198.51.100.205 in the router', async () => {
          const v = await routerView(lab, '198.51.100.205/32');
          return v.kernel.includes(`via ${node.lan.v4}`) ? v : undefined;
        }, 10_000, 100);
        expect(v4.bgp).toMatch(/BGP\.local_pref: 150/);
        expect(v4.bgp).toMatch(/BGP\.as_path:\s*$/m);
        expect(hasCommunity(v4.bgp, 64512, 11)).toBe(true);
        const v6 = await eventually('2001:db8:100::cd in the router', async () => {
          const v = await routerView(lab, '2001:db8:100::cd/128');
          return v.kernel.includes('via') ? v : undefined;
        }, 10_000, 100);
        expect(v6.bgp).toMatch(/BGP\.local_pref: 120/);
      } else {
        // FRR's iBGP bgpd keeps its routes in its BGP table (lab/router.ts).
        const v4 = await frrPathVia(lab, '198.51.100.205/32', node.lan.v4, 'ibgp');
        expect(v4).toMatchObject({ internal: true, localPref: 150, asPath: '', communities: ['64512:11'] });
        const v6 = await frrPathVia(lab, '2001:db8:100::cd/128', node.lan.v6, 'ibgp');
        expect(v6).toMatchObject({ internal: true, localPref: 120, asPath: '' });
      }
    } finally {
      await sp.stop();
    }
  });

  test('a 4-octet ASN over eBGP (AS 4200000001 in OPEN\'s capability and the AS_PATH)', async () => {
    const lab = await testLab();
    const net = lab.network!;
    const node = net.plan.nodes.filter((n) => n.cluster === 'member-1')[1]!;
    const sp = Speaker.start(lab, node, { peerAddress: net.plan.router.lan.v4, localAsn: 4_200_000_001 }, [{ prefix: '198.51.100.208', communities: ['64512:12'] }]);
    try {
      await sp.wait('Established', (e) => e.event === 'state' && e.to === 'Established');
      const v = await eventually('198.51.100.208 in the router', async () => {
        const r = await routerView(lab, '198.51.100.208/32');
        return r.kernel.includes(`via ${node.lan.v4}`) ? r : undefined;
      }, 10_000, 100);
      expect(v.bgp).toMatch(/BGP\.as_path: 4200000001\s*$|Paths: .*\n\s*4200000001\b|^\s*4200000001\s*$/m);
      expect(hasCommunity(v.bgp, 64512, 12)).toBe(true);
    } finally {
      await sp.stop();
    }
  });

  test('TCP MD5 (the lab\'s MD5 port): the right password connects, a wrong one never does', async () => {
    const lab = await testLab();
    const net = lab.network!;
    const [node, other] = net.plan.nodes.filter((n) => n.cluster === 'member-1');
    const wrong = Speaker.start(lab, other!, { peerAddress: net.plan.router.lan.v4, peerPort: LAB_MD5_PORT, password: 'not-the-password', connectTimeoutMs: 1500 }, [{ prefix: '198.51.100.207' }]);
    const sp = Speaker.start(lab, node!, { peerAddress: net.plan.router.lan.v4, peerPort: LAB_MD5_PORT, password: LAB_BGP_PASSWORD }, [{ prefix: '198.51.100.206' }]);
    try {
      await sp.wait('Established', (e) => e.event === 'state' && e.to === 'Established');
      if (net.router === 'bird') await eventually('198.51.100.206 in the router', async () => ((await routerView(lab, '198.51.100.206/32')).kernel.includes(`via ${node!.lan.v4}`) ? true : undefined), 10_000, 100);
      else await frrPathVia(lab, '198.51.100.206/32', node!.lan.v4, 'md5');
      // The router drops SYNs not signed with its key: the wrong key times out, again and again.
      await wrong.wait('two timed-out connects', () => wrong.events.filter((x) => x.event === 'state' && x.to === 'Active' && String(x.reason).includes('connect timed out')).length >= 2, 15_000);
      expect(wrong.has((e) => e.event === 'state' && e.to === 'OpenSent')).toBe(false);
      expect((await routerView(lab, '198.51.100.207/32')).kernel.trim()).toBe('');
      if (net.router === 'frr') expect(await frrPaths(lab, '198.51.100.207/32', 'md5')).toEqual([]);
    } finally {
      await Promise.all([sp.stop(), wrong.stop()]);
    }
  });

  test('a silently cut link: the router drops the route at hold-timer expiry, and so does the speaker', async () => {
    const lab = await testLab();
    const net = lab.network!;
    const node = net.plan.nodes.find((n) => n.cluster === 'member-1')!;
    const table = 'fleetlb_bgp_cut';
    const sp = Speaker.start(lab, node, { peerAddress: net.plan.router.lan.v4 }, [{ prefix: '198.51.100.204' }]);
    try {
      await sp.wait('Established', (e) => e.event === 'state' && e.to === 'Established');
      await eventually('198.51.100.204 in the router', async () => ((await routerView(lab, '198.51.100.204/32')).kernel.includes('via') ? true : undefined), 10_000, 100);

      // Drop BGP in both directions inside the node: nothing is sent, no FIN, no RST.
      const cut = await nsExec(lab, node.name, ['nft', '-f', '-'], cutBgpRules(table, [179]));
      expect(cut.stderr).toBe('');
      const t0 = Date.now();
      await eventually('the route gone from the router', async () => (!(await routerView(lab, '198.51.100.204/32')).kernel.trim() ? true : undefined), 20_000, 100);
      const routerMs = Date.now() - t0;
      const expired = await sp.wait('the speaker\'s own hold timer to expire', (e) => e.event === 'sent' && e.type === 'notification' && e.code === 4, 20_000);
      expect(expired.text).toMatch(/Hold Timer Expired/);
      // Hold time 9 s: the route lasts several seconds (not a TCP close), then goes at expiry.
      expect(routerMs).toBeGreaterThan(3_000);
      expect(routerMs).toBeLessThan(12_000);
      process.stderr.write(`hold-timer cut: route removed by the router after ${routerMs} ms\n`);

      // Restore the link: the speaker reconnects by itself and re-announces.
      await nsExec(lab, node.name, ['nft', 'delete', 'table', 'inet', table]);
      await eventually('198.51.100.204 back after reconnecting', async () => ((await routerView(lab, '198.51.100.204/32')).kernel.includes('via') ? true : undefined), 30_000, 250);
    } finally {
      await nsExec(lab, node.name, ['nft', 'delete', 'table', 'inet', table]);
      await sp.stop();
    }
  });
});
