import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { labDeploy } from '../../lab/deploy.js';
import { l2DemoManifest, L2Probes } from '../../lab/l2-probes.js';
import { labDown, labUp } from '../../lab/lab.js';
import { isRoot } from '../../lab/netns.js';
import { readState, type LabState } from '../../lab/state.js';
import { ARP_REPLY, ARP_REQUEST, decodeArp, formatMac } from '../../speaker/layer2/arp.js';
import { describeAsRoot, eventually } from '../support/lab.js';
import { readPcap } from '../support/pcap.js';

/**
 * `fleetlb speaker` deployed as a DaemonSet (its own ServiceAccount and RBAC) with the allocator,
 * on a 2-node member, seen from the lab's client: ARP and NDP answers from exactly the node that
 * ServiceL2Status names, curl to the pods over both families, failover when that speaker dies,
 * and fencing when it is cut off from its API server. Its own lab, because the deployed
 * allocator and speakers would serve every other suite's Services.
 * FLEETLB_L2_TEST_LAB_DIR names an existing lab to use instead (fleetlb deployed, nothing else in it).
 */

const MEMBER = 'l2-1';
const NS = 'l2-e2e';
let dir: string | undefined;
let state: LabState;
let probes: L2Probes;
let v4 = '';
let v6 = '';
const reused = process.env.FLEETLB_L2_TEST_LAB_DIR;
let cluster = MEMBER;

beforeAll(async () => {
  if (!isRoot()) return;
  if (reused) {
    state = (await readState(reused))!;
    cluster = state.clusters.find((c) => c.role === 'member')!.name;
  } else {
    dir = await mkdtemp(join(tmpdir(), 'fleetlb-l2-'));
    await chmod(dir, 0o755);
    state = await labUp({ dir, members: `${MEMBER}=eastus`, nodesPerMember: 2 });
  }
  await labDeploy({ dir: state.dir });
  probes = new L2Probes(state, cluster);
  // A previous run's namespace may still be terminating (reused lab): start from nothing.
  if (reused) await probes.removeDemo(NS);
  const applied = await probes.kubectl(['apply', '-f', '-'], l2DemoManifest({ namespace: NS, addresses: ['198.51.100.64/28', '2001:db8:100::40/124'], dualStack: true, localTraffic: false }));
  if (applied.code !== 0) throw new Error(applied.out);
  [v4, v6] = await eventually('both addresses assigned', async () => {
    const r = await probes.kubectl(['-n', NS, 'get', 'svc', 'kuard', '-o', 'jsonpath={.status.loadBalancer.ingress[*].ip}']);
    const ips = r.out.trim().split(/\s+/).filter(Boolean);
    return ips.length === 2 ? [ips.find((i) => !i.includes(':'))!, ips.find((i) => i.includes(':'))!] : undefined;
  }, 60_000);
  await eventually('3 kuard pods ready', async () => {
    const r = await probes.kubectl(['-n', NS, 'get', 'pods', '-o', 'jsonpath={.items[*].status.containerStatuses[0].ready}']);
    return r.out.split(/\s+/).filter((x) => x === 'true').length === 3 ? true : undefined;
  }, 90_000);
}, 420_000);

afterAll(async () => {
  if (reused && probes) await probes.removeDemo(NS);
  probes?.close();
  if (!dir) return;
  await labDown({ dir });
  await rm(dir, { recursive: true, force: true });
}, 120_000);

/** The one node ServiceL2Status names, once every speaker has settled on it. */
async function announcer(): Promise<string> {
  return eventually('exactly one ServiceL2Status', async () => {
    const a = await probes.announcers(NS, 'kuard');
    return a.length === 1 ? a[0] : undefined;
  }, 60_000);
}

async function allSpeakersReady(): Promise<void> {
  await eventually('every speaker ready', async () => ((await Promise.all(probes.nodes.map((n) => probes.speaker(n)))).every((s) => s.ready && s.pid) ? true : undefined), 90_000);
}

function capture(file: string, filter: string[]): ChildProcess {
  return spawn('ip', ['netns', 'exec', state.network!.plan.client.netns, 'tcpdump', '-i', 'eth0', '-U', '-n', '-w', file, ...filter], { stdio: 'ignore' });
}

/** tcpdump writes the pcap header once it listens: under load that can take well over a second. */
async function captureReady(file: string): Promise<void> {
  await eventually(`tcpdump listening (${file})`, async () => ((await stat(file).catch(() => undefined))?.size ?? 0) >= 24 ? true : undefined, 15_000, 100);
  await sleep(200);
}

async function stopCapture(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null) return;
  const closed = new Promise((r) => p.once('close', r));
  p.kill('SIGTERM');
  await closed;
}

const pages = (body: string | undefined) => /"hostname":"(kuard-[^"]+)"/.exec(body ?? '')?.[1];

describeAsRoot('layer-2 speaker in the lab', () => {
  test('exactly the node ServiceL2Status names answers ARP and NDP; curl reaches the pods over IPv4 and IPv6', async () => {
    await allSpeakersReady();
    const node = await announcer();
    const mac = await probes.nodeMac(node);

    const arp = await probes.exec('client', ['arping', '-c', '3', '-w', '5', '-I', 'eth0', v4]);
    const repliers = [...arp.stdout.matchAll(/bytes from ([0-9a-f:]{17}) /gi)].map((m) => m[1]!.toLowerCase());
    expect(repliers).toHaveLength(3);
    expect(new Set(repliers)).toEqual(new Set([mac]));

    // ndisc6 solicits from the client's own address and accepts only a valid, matching advertisement.
    const nd = await probes.exec('client', ['ndisc6', '-r', '3', v6, 'eth0']);
    expect(nd.stdout.toLowerCase()).toContain(`target link-layer address: ${mac}`);

    const pods = (await probes.kubectl(['-n', NS, 'get', 'pods', '-o', 'jsonpath={.items[*].metadata.name}'])).out.split(/\s+/);
    for (const ip of [v4, v6]) {
      const body = await eventually(`curl ${ip}`, () => probes.curl(ip, 2000), 20_000);
      expect(pods).toContain(pages(body));
    }

    // What a user reads: the event on the Service and the speaker's metrics.
    const events = await probes.kubectl(['-n', NS, 'get', 'events', '--field-selector', 'reason=nodeAssigned', '-o', 'jsonpath={.items[*].message}']);
    expect(events.out).toContain(`announcing from node "${node}" with protocol "layer2"`);
    const metrics = (await probes.exec(node, ['curl', '-s', '-m', '2', 'http://127.0.0.1:7472/metrics'])).stdout;
    expect(metrics).toMatch(new RegExp(`metallb_speaker_announced\\{[^}]*ip="${v4.replace(/\./g, '\\.')}"[^}]*\\} 1`));
    expect(metrics).toMatch(new RegExp(`metallb_speaker_announced\\{[^}]*protocol="layer2"[^}]*ip="${v6}"[^}]*\\} 1`));
    expect(Number(new RegExp(`metallb_layer2_responses_sent\\{ip="${v4.replace(/\./g, '\\.')}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0)).toBeGreaterThanOrEqual(3);
    expect(Number(new RegExp(`metallb_layer2_gratuitous_sent\\{ip="${v4.replace(/\./g, '\\.')}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0)).toBeGreaterThan(0);
  });

  test('an L2Advertisement naming an interface no node has: announceFailed on the Service, and nobody answers for the address', async () => {
    const manifest = `
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: ${NS}-nowhere, namespace: fleetlb-system}
spec:
  addresses: ["198.51.100.96/30"]
  autoAssign: false
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: ${NS}-nowhere, namespace: fleetlb-system}
spec: {ipAddressPools: [${NS}-nowhere], interfaces: [eth9]}
---
apiVersion: v1
kind: Service
metadata: {name: kuard-nowhere, namespace: ${NS}, annotations: {metallb.io/address-pool: ${NS}-nowhere}}
spec:
  type: LoadBalancer
  selector: {app: kuard}
  ports: [{port: 80, targetPort: 8080}]
`;
    const applied = await probes.kubectl(['apply', '-f', '-'], manifest);
    expect(applied.code).toBe(0);
    try {
      const ip = await eventually('an address for kuard-nowhere', async () => (await probes.kubectl(['-n', NS, 'get', 'svc', 'kuard-nowhere', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}'])).out.trim() || undefined, 60_000);
      const message = await eventually('an announceFailed event', async () => (await probes.kubectl(['-n', NS, 'get', 'events', '--field-selector', 'reason=announceFailed,involvedObject.name=kuard-nowhere', '-o', 'jsonpath={.items[*].message}'])).out.trim() || undefined, 60_000);
      expect(message).toContain('eth9');
      const arp = await probes.exec('client', ['arping', '-c', '2', '-w', '3', '-I', 'eth0', ip]);
      expect(arp.stdout).not.toMatch(/bytes from/);
    } finally {
      await probes.kubectl(['delete', '-f', '-', '--ignore-not-found', '--wait=false'], manifest);
    }
  });

  test('killing the announcing speaker moves the announcement: gratuitous ARP from the new node, curl works again', async () => {
    await allSpeakersReady();
    const from = await probes.settledAnnouncer(NS, 'kuard', v4, 90_000);
    const to = probes.nodes.find((n) => n !== from)!;
    const toMac = await probes.nodeMac(to);
    const pcap = join(state.dir, 'l2-failover.pcap');
    const tcpdump = capture(pcap, ['arp']);
    await captureReady(pcap);
    try {
      // Keep the speaker dead (the node agent restarts it) until the other node serves the VIP.
      await probes.killSpeaker(from, async () => (await probes.announcers(NS, 'kuard')).includes(to) && (await probes.routerMac(v4)) === toMac && (await probes.curl(v4, 1000)) !== undefined, 30_000);
    } finally {
      await sleep(300);
      await stopCapture(tcpdump);
    }
    const garps = (await readPcap(pcap)).map((f) => decodeArp(f.frame)).filter((p) => p && p.op === ARP_REQUEST && p.senderIp === v4 && p.targetIp === v4);
    expect(garps.map((p) => formatMac(p!.senderMac))).toContain(toMac);
    await allSpeakersReady();
    expect(await eventually('curl after the speaker came back', () => probes.curl(v4, 2000), 20_000)).toContain('KUAR Demo');
  });

  test('a speaker cut off from its API server falls silent before its Lease expires: two nodes never answer the same request', async () => {
    await allSpeakersReady();
    const cut = await probes.settledAnnouncer(NS, 'kuard', v4, 90_000);
    const other = probes.nodes.find((n) => n !== cut)!;
    const [cutMac, otherMac] = [await probes.nodeMac(cut), await probes.nodeMac(other)];
    const apiserver = state.network!.plan.apiserverAddress[cluster]!;
    const port = String(state.clusters.find((c) => c.name === cluster)!.ports.apiserver);
    const block = ['OUTPUT', '-p', 'tcp', '-d', apiserver, '--dport', port, '-j', 'DROP'];
    const pcap = join(state.dir, 'l2-fence.pcap');
    const tcpdump = capture(pcap, ['arp']);
    await captureReady(pcap);
    let arping: Promise<unknown> | undefined;
    try {
      // A request every 50 ms for 8 s; the cut comes after 1 s.
      arping = probes.exec('client', ['arping', '-c', '160', '-W', '0.05', '-I', 'eth0', v4], 20_000);
      await sleep(1000);
      const r = await probes.exec(cut, ['iptables', '-I', ...block]);
      expect(r.code).toBe(0);
      await arping;
    } finally {
      await probes.exec(cut, ['iptables', '-D', ...block]);
      await arping;
      await sleep(300);
      await stopCapture(tcpdump);
    }
    const client = state.network!.plan.client.lan.v4;
    const windows: Set<string>[] = [];
    const repliesFrom: { mac: string; atMs: number }[] = [];
    for (const { frame, atMs } of await readPcap(pcap)) {
      const p = decodeArp(frame);
      if (!p) continue;
      if (p.op === ARP_REQUEST && p.senderIp === client && p.targetIp === v4) windows.push(new Set());
      else if (p.op === ARP_REPLY && p.senderIp === v4 && windows.length > 0) {
        windows[windows.length - 1]!.add(formatMac(p.senderMac));
        repliesFrom.push({ mac: formatMac(p.senderMac), atMs });
      }
    }
    expect(windows.length).toBeGreaterThan(100);
    // Never two MACs for one request.
    expect(windows.filter((w) => w.size > 1)).toEqual([]);
    // The cut node answered first, then fell silent; the other took over only after a gap.
    const lastCut = Math.max(...repliesFrom.filter((r) => r.mac === cutMac).map((r) => r.atMs));
    const firstOther = Math.min(...repliesFrom.filter((r) => r.mac === otherMac).map((r) => r.atMs));
    expect(repliesFrom[0]?.mac).toBe(cutMac);
    expect(firstOther).toBeGreaterThan(lastCut);
    expect(repliesFrom.filter((r) => r.mac === otherMac).length).toBeGreaterThan(10);
    await allSpeakersReady();
  });
});
