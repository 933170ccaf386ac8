import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLEETLB_NAMESPACE, labDeploy } from '../../lab/deploy.js';
import { labDown, labUp } from '../../lab/lab.js';
import { isRoot } from '../../lab/netns.js';
import { LAB_IBGP_PORT, type RouterKind } from '../../lab/router.js';
import { cutBgpRules, frrPaths, hasCommunity, hasLarge, nextHops, nsExec, routerView, usedNextHops, type FrrPath, type LabNet } from '../support/bgp-router.js';
import { describeAsRoot, eventually, TestLab } from '../support/lab.js';
import { deployment, service } from '../support/manifests.js';

/**
 * `fleetlb speaker` with BGP, deployed as a DaemonSet with its own ServiceAccount, on both nodes
 * of a member, peering with the lab router — BIRD, then FRR (a lab runs one router kind, so each
 * gets its own small lab, one after the other). eBGP from a 4-octet ASN and iBGP (the router's
 * AS, on the lab's iBGP port), each over IPv4 and IPv6 sessions, on both. The router must show
 * each VIP with one ECMP next hop per node, with the configured communities and local
 * preference; a killed speaker's paths go at once (TCP close), a silently cut one's at hold-timer
 * expiry (3 s); deleting the Service withdraws it. BIRD puts every session's paths in one table
 * (and the kernel); FRR runs a bgpd per port (lab/router.ts), so its iBGP paths are read from the
 * iBGP instance's BGP table and its eBGP paths from the kernel and the eBGP instance's table.
 */

const MEMBER = 'bgp-1';
const MY_ASN = 4_200_000_001;
const HOLD = '3s';

interface Ctx {
  lab: TestLab;
  net: LabNet;
  kubectl: (args: string[], input?: string) => Promise<string>;
}

/** Start a lab in `dir` (made by the caller, so a lab that fails or times out is still taken down). */
async function start(router: RouterKind, dir: string): Promise<Ctx> {
  const state = await labUp({ dir, members: `${MEMBER}=eastus`, nodesPerMember: 2, router });
  await labDeploy({ dir });
  const lab = new TestLab(state);
  const kubectl = async (args: string[], input?: string) => {
    const r = await lab.kubectl(MEMBER, args, input === undefined ? {} : { input });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  return { lab, net: { dir, network: state.network! }, kubectl };
}

async function stop(dir: string | undefined): Promise<void> {
  if (!dir) return;
  await labDown({ dir }).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
}

function bgpObjects(c: Ctx): string {
  const r = c.net.network.plan.router;
  const peer = (name: string, spec: Record<string, unknown>) => JSON.stringify({ apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: { name, namespace: FLEETLB_NAMESPACE }, spec: { holdTime: HOLD, keepaliveTime: '1s', connectTime: '1s', ...spec } });
  const docs = [
    JSON.stringify({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'bgp', namespace: FLEETLB_NAMESPACE }, spec: { addresses: ['198.51.100.64/28', '2001:db8:100::40/124'] } }),
    JSON.stringify({ apiVersion: 'metallb.io/v1beta1', kind: 'Community', metadata: { name: 'aliases', namespace: FLEETLB_NAMESPACE }, spec: { communities: [{ name: 'edge', value: '64512:100' }] } }),
    JSON.stringify({ apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: { name: 'vips', namespace: FLEETLB_NAMESPACE }, spec: { ipAddressPools: ['bgp'], communities: ['edge', 'large:64512:7:8'], localPref: 150 } }),
    peer('ebgp4', { myASN: MY_ASN, peerASN: r.asn, peerAddress: r.lan.v4 }),
    peer('ebgp6', { myASN: MY_ASN, peerASN: r.asn, peerAddress: r.lan.v6 }),
    peer('with-vrf', { myASN: MY_ASN, peerASN: r.asn, peerAddress: r.lan.v4, vrf: 'red' }),
    peer('ibgp4', { myASN: r.asn, peerASN: r.asn, peerAddress: r.lan.v4, peerPort: LAB_IBGP_PORT }),
    peer('ibgp6', { myASN: r.asn, peerASN: r.asn, peerAddress: r.lan.v6, peerPort: LAB_IBGP_PORT }),
  ];
  return docs.join('\n---\n');
}

interface PeerStatus {
  metadata: { name: string };
  status?: { sessions?: { node: string; state: string; prefixesSent: number; establishedSince?: string }[]; conditions?: { type: string; status: string; message: string }[] };
}

async function vips(c: Ctx): Promise<{ v4: string; v6: string }> {
  return eventually('both VIPs of the Service', async () => {
    const out = JSON.parse(await c.kubectl(['get', 'service', 'web', '-n', 'default', '-o', 'json'])) as { status?: { loadBalancer?: { ingress?: { ip?: string }[] } } };
    const ips = (out.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '');
    const v4 = ips.find((i) => !i.includes(':'));
    const v6 = ips.find((i) => i.includes(':'));
    return v4 && v6 ? { v4, v6 } : undefined;
  }, 60_000);
}

/** The speaker pod of a node, and its process (the lab's container ID is fleetlb-lab://PID). */
async function speakerPid(c: Ctx, node: string): Promise<number | undefined> {
  const pods = JSON.parse(await c.kubectl(['get', 'pods', '-n', FLEETLB_NAMESPACE, '-l', 'app.kubernetes.io/component=speaker', '-o', 'json'])) as { items: { spec?: { nodeName?: string }; status?: { containerStatuses?: { containerID?: string; ready?: boolean }[] } }[] };
  const pod = pods.items.find((p) => p.spec?.nodeName === node);
  const id = pod?.status?.containerStatuses?.[0]?.containerID ?? '';
  const m = /^fleetlb-lab:\/\/(\d+)$/.exec(id);
  return m ? Number(m[1]) : undefined;
}

/** FRR's iBGP instance: the distinct next hops it forwards a prefix to, once they equal `want`. */
async function frrIbgpVia(c: Ctx, prefix: string, want: string[], timeoutMs: number, stepMs: number): Promise<FrrPath[]> {
  return eventually(`${prefix} via ${want.join(', ') || 'nothing'} in FRR's iBGP table`, async () => {
    const paths = await frrPaths(c.net, prefix, 'ibgp');
    return JSON.stringify(usedNextHops(paths)) === JSON.stringify(want) ? paths : undefined;
  }, timeoutMs, stepMs);
}

/** Milliseconds from `t0` until each wait is over (the waits run side by side). */
async function msUntil(t0: number, waits: Record<string, () => Promise<unknown>>): Promise<Record<string, number>> {
  return Object.fromEntries(await Promise.all(Object.entries(waits).map(async ([k, wait]) => {
    await wait();
    return [k, Date.now() - t0] as const;
  })));
}

function scenario(router: RouterKind) {
  describe(`with ${router}`, () => {
    let c: Ctx | undefined;
    let dir: string | undefined;
    beforeAll(async () => {
      if (!isRoot()) return;
      dir = await mkdtemp(join(tmpdir(), `fleetlb-bgp-${router}-`));
      await chmod(dir, 0o755);
      c = await start(router, dir);
    }, 600_000);
    afterAll(async () => stop(dir), 120_000);

    test('every node announces the VIPs (ECMP) with communities and local preference; status and sessions readable; a killed speaker\'s path goes at once, a cut one at hold expiry; deleting the Service withdraws', async () => {
      const ctx = c!;
      const net = ctx.net.network;
      const nodes = net.plan.nodes.filter((n) => n.cluster === MEMBER);
      expect(nodes).toHaveLength(2);
      await ctx.kubectl(['apply', '-f', '-'], bgpObjects(ctx));
      await ctx.kubectl(['apply', '-f', '-'], deployment({ namespace: 'default', name: 'web', image: 'gcr.io/kuar-demo/kuard-amd64:blue', replicas: 1, port: 8080 }) + service({ namespace: 'default', name: 'web', type: 'LoadBalancer', port: 8080, extraSpec: '  ipFamilyPolicy: RequireDualStack\n  ipFamilies: [IPv4, IPv6]\n' }));
      const { v4, v6 } = await vips(ctx);

      // One next hop per node, for both families.
      const allV4 = nodes.map((n) => n.lan.v4).sort();
      const v4View = await eventually(`${v4} via both nodes`, async () => {
        const v = await routerView(ctx.net, `${v4}/32`);
        return JSON.stringify(nextHops(v.kernel)) === JSON.stringify(allV4) ? v : undefined;
      }, 60_000, 200);
      const v6View = await eventually(`${v6} via two next hops`, async () => {
        const v = await routerView(ctx.net, `${v6}/128`);
        return nextHops(v.kernel).length === 2 ? v : undefined;
      }, 60_000, 200);
      for (const v of [v4View, v6View]) {
        expect(hasCommunity(v.bgp, 64512, 100)).toBe(true); // the alias "edge"
        expect(hasLarge(v.bgp, 64512, 7, 8)).toBe(true);
      }
      if (router === 'bird') {
        // eBGP paths carry our 4-octet ASN; iBGP paths carry LOCAL_PREF 150 (and win).
        expect(v4View.bgp).toMatch(new RegExp(`BGP\\.as_path: ${MY_ASN}\\s*$`, 'm'));
        expect(v4View.bgp).toMatch(/BGP\.local_pref: 150/);
        expect(v6View.bgp).toMatch(/BGP\.local_pref: 150/);
        for (const n of nodes) expect(v4View.bgp).toContain(n.lan.v4);
      } else {
        // eBGP (in the kernel): every path comes from our 4-octet ASN.
        for (const prefix of [`${v4}/32`, `${v6}/128`]) {
          const paths = await frrPaths(ctx.net, prefix, 'ebgp');
          expect(paths.length).toBeGreaterThanOrEqual(2);
          for (const p of paths) expect(p.asPath).toBe(String(MY_ASN));
        }
        // iBGP: one ECMP next hop per node for each VIP, LOCAL_PREF 150, the communities, no AS.
        const allV6 = nodes.map((n) => n.lan.v6).sort();
        for (const [prefix, want] of [[`${v4}/32`, allV4], [`${v6}/128`, allV6]] as const) {
          const paths = await frrIbgpVia(ctx, prefix, want, 30_000, 200);
          for (const p of paths) {
            expect(p).toMatchObject({ internal: true, localPref: 150, asPath: '' });
            expect(p.communities).toContain('64512:100');
            expect(p.large).toContain('64512:7:8');
          }
        }
      }

      // What a user reads: sessions per node on each BGPPeer, Supported, ServiceBGPStatus.
      const peers = ['ebgp4', 'ebgp6', 'ibgp4', 'ibgp6'];
      await eventually('every session Established with prefixes sent, in the BGPPeers\' status', async () => {
        const list = JSON.parse(await ctx.kubectl(['get', 'bgppeers', '-n', FLEETLB_NAMESPACE, '-o', 'json'])) as { items: PeerStatus[] };
        return peers.every((p) => {
          const s = list.items.find((i) => i.metadata.name === p)?.status?.sessions ?? [];
          return s.length === 2 && s.every((x) => x.state === 'Established' && x.prefixesSent >= 1 && x.establishedSince);
        }) ? true : undefined;
      }, 30_000, 500);
      const vrf = await eventually('the vrf peer reported as unsupported', async () => {
        const p = JSON.parse(await ctx.kubectl(['get', 'bgppeer', 'with-vrf', '-n', FLEETLB_NAMESPACE, '-o', 'json'])) as PeerStatus;
        return p.status?.conditions?.find((x) => x.type === 'Supported' && x.status === 'False');
      }, 30_000, 500);
      expect(vrf.message).toMatch(/vrf "red".*no session/);
      const statuses = await eventually('a ServiceBGPStatus per node', async () => {
        const l = JSON.parse(await ctx.kubectl(['get', 'servicebgpstatuses', '-n', FLEETLB_NAMESPACE, '-l', 'metallb.io/service-name=web', '-o', 'json'])) as { items: { status?: { node?: string; peers?: string[] } }[] };
        return l.items.length === 2 ? l.items : undefined;
      }, 30_000, 500);
      expect(statuses.map((s) => s.status?.node).sort()).toEqual(nodes.map((n) => n.name).sort());
      for (const s of statuses) expect([...(s.status?.peers ?? [])].sort()).toEqual(peers);

      // Kill node 2's speaker: its TCP sessions close, the router drops its path at once.
      const [n1, n2] = nodes as [typeof nodes[0], typeof nodes[0]];
      const pid = await speakerPid(ctx, n2.name);
      expect(pid).toBeDefined();
      const t0 = Date.now();
      process.kill(pid!, 'SIGKILL');
      const killMs = await msUntil(t0, {
        kernel: () => eventually(`${v4} via ${n1.name} only`, async () => (JSON.stringify(nextHops((await routerView(ctx.net, `${v4}/32`)).kernel)) === JSON.stringify([n1.lan.v4]) ? true : undefined), 10_000, 50),
        ...(router === 'frr' ? { ibgp: () => frrIbgpVia(ctx, `${v4}/32`, [n1.lan.v4], 10_000, 50) } : {}),
      });
      process.stderr.write(`[bgp-speaker ${router}] killed speaker: path removed after ${JSON.stringify(killMs)} ms\n`);
      for (const ms of Object.values(killMs)) expect(ms).toBeLessThan(2_000); // well under the 3 s hold time: the TCP close did it
      await eventually(`${v4} via both nodes again (speaker restarted)`, async () => (JSON.stringify(nextHops((await routerView(ctx.net, `${v4}/32`)).kernel)) === JSON.stringify(allV4) ? true : undefined), 60_000, 250);
      if (router === 'frr') await frrIbgpVia(ctx, `${v4}/32`, allV4, 30_000, 250);

      // Cut node 1's BGP silently: the router drops its path when the 3 s hold timer expires.
      const table = 'fleetlb_bgp_cut';
      const cut = await nsExec(ctx.net, n1.name, ['nft', '-f', '-'], cutBgpRules(table, [179, LAB_IBGP_PORT]));
      expect(cut.stderr).toBe('');
      try {
        const cutMs = await msUntil(Date.now(), {
          kernel: () => eventually(`${v4} via ${n2.name} only`, async () => (JSON.stringify(nextHops((await routerView(ctx.net, `${v4}/32`)).kernel)) === JSON.stringify([n2.lan.v4]) ? true : undefined), 15_000, 100),
          ...(router === 'frr' ? { ibgp: () => frrIbgpVia(ctx, `${v4}/32`, [n2.lan.v4], 15_000, 100) } : {}),
        });
        process.stderr.write(`[bgp-speaker ${router}] cut link: path removed after ${JSON.stringify(cutMs)} ms\n`);
        for (const ms of Object.values(cutMs)) {
          expect(ms).toBeGreaterThan(1_500);
          expect(ms).toBeLessThan(6_000);
        }
      } finally {
        await nsExec(ctx.net, n1.name, ['nft', 'delete', 'table', 'inet', table]);
      }
      await eventually(`${v4} via both nodes after the link is back`, async () => (JSON.stringify(nextHops((await routerView(ctx.net, `${v4}/32`)).kernel)) === JSON.stringify(allV4) ? true : undefined), 60_000, 250);
      if (router === 'frr') await frrIbgpVia(ctx, `${v4}/32`, allV4, 60_000, 250);

      // Delete the Service: withdrawn everywhere, statuses gone.
      await ctx.kubectl(['delete', 'service', 'web', '-n', 'default']);
      await eventually('both VIPs withdrawn from the router', async () => {
        const [a, b] = await Promise.all([routerView(ctx.net, `${v4}/32`), routerView(ctx.net, `${v6}/128`)]);
        return !a.kernel.trim() && !b.kernel.trim() ? true : undefined;
      }, 15_000, 100);
      if (router === 'frr') for (const prefix of [`${v4}/32`, `${v6}/128`]) await frrIbgpVia(ctx, prefix, [], 15_000, 100);
      await eventually('no ServiceBGPStatus left for the Service', async () => {
        const l = JSON.parse(await ctx.kubectl(['get', 'servicebgpstatuses', '-n', FLEETLB_NAMESPACE, '-l', 'metallb.io/service-name=web', '-o', 'json'])) as { items: unknown[] };
        return l.items.length === 0 ? true : undefined;
      }, 15_000, 250);
    }, 300_000);
  });
}

describeAsRoot('BGP speakers in the lab', () => {
  scenario('bird');
  scenario('frr');
});
