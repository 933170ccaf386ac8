import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { BenchResult } from '../../bench/run.js';
import { run } from '../../lab/netns.js';
import { readState, type LabState } from '../../lab/state.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { repoRoot } from '../../runtime/repo-root.js';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../../runtime/kube-client.js';
import { CoreResources } from '../../runtime/resource.js';
import type { ServiceObject } from '../view.js';
import type { Advertisement } from './routes.js';

/**
 * `npm run bench -- bgp` against a running lab with BIRD (FLEETLB_LAB_DIR, default .lab-test):
 * our speaker (peer-main, in a member node's namespace) is Established with the router, then is
 * told to announce 10,000 VIPs (/128s of the lab's IPv6 pool; the IPv4 pool is a /24); we time
 * until BIRD's table holds all of them, and again until all are withdrawn.
 *
 * Then, when fleetlb is deployed in the lab (`fleetlb lab deploy`: allocator and speakers), the
 * whole path: SERVICE_RUNS LoadBalancer Services created one after another, each timed from the
 * create call until its VIP is in BIRD's table (allocator → speaker → BGP UPDATE → router).
 */

const PREFIXES = 10_000;
const SERVICE_RUNS = 20;
const NS = 'fleetlb-system';

function v6(i: number): string {
  return `2001:db8:100::1:${(i >> 8).toString(16)}${(i & 0xff).toString(16).padStart(2, '0')}`;
}

export default async function bgpBench(): Promise<BenchResult> {
  const dir = process.env.FLEETLB_LAB_DIR ?? join(repoRoot(), '.lab-test');
  const state = await readState(dir);
  const net = state?.network;
  if (!net) throw new Error(`no lab with a network in ${dir}: start one with \`node bin/fleetlb.js lab up --dir ${dir}\` (as root), or set FLEETLB_LAB_DIR`);
  if (net.router !== 'bird') throw new Error(`the bgp benchmark reads BIRD's table; the lab in ${dir} runs ${net.router}`);
  const node = net.plan.nodes.find((n) => n.cluster !== 'hub');
  if (!node) throw new Error('the lab has no member node');
  const birdc = (...args: string[]) => run('ip', ['netns', 'exec', net.plan.router.netns, 'birdc', '-s', join(dir, 'router', 'bird.ctl'), ...args]);
  const count = async () => {
    const out = await birdc('show', 'route', 'count', 'where', 'net ~ [2001:db8:100::1:0/112+]');
    return Number(/Total: (\d+) of/.exec(out)?.[1] ?? NaN);
  };

  const cfg = { peer: { localAsn: 64512, peerAsn: net.plan.router.asn, routerId: node.lan.v4, peerAddress: net.plan.router.lan.v4, holdTimeSec: 9 }, advertisements: [] };
  const child = spawn('ip', ['netns', 'exec', node.netns, process.execPath, join(repoRoot(), 'dist', 'speaker', 'bgp', 'peer-main.js'), JSON.stringify(cfg)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const events: { event: string; to?: string; type?: string; at: number }[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => events.push({ ...(JSON.parse(l) as Omit<(typeof events)[number], 'at'>), at: Date.now() }));
  const waitFor = async (what: string, ok: () => boolean | Promise<boolean>, timeoutMs: number, pollMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await ok()) return;
      await new Promise((r) => setTimeout(r, pollMs));
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  try {
    await waitFor('the session to be Established', () => events.some((e) => e.event === 'state' && e.to === 'Established'), 30_000, 50);
    await waitFor('an empty table', async () => (await count()) === 0, 10_000, 100);
    const ads: Advertisement[] = Array.from({ length: PREFIXES }, (_, i) => ({ prefix: v6(i), communities: ['64512:100'] }));
    const t0 = Date.now();
    child.stdin.write(`${JSON.stringify({ cmd: 'set', advertisements: ads })}\n`);
    await waitFor(`${PREFIXES} routes in BIRD`, async () => (await count()) >= PREFIXES, 60_000, 20);
    const announceMs = Date.now() - t0;
    const sent = events.filter((e) => e.event === 'sent' && e.type === 'update' && e.at >= t0);
    const updates = sent.length;
    const lastSentMs = (sent[sent.length - 1]?.at ?? NaN) - t0;
    const t1 = Date.now();
    child.stdin.write(`${JSON.stringify({ cmd: 'set', advertisements: [] })}\n`);
    await waitFor('every route withdrawn', async () => (await count()) === 0, 60_000, 20);
    const withdrawMs = Date.now() - t1;
    child.stdin.end(`${JSON.stringify({ cmd: 'stop' })}\n`);
    await new Promise((r) => child.once('close', r));
    const figures: Record<string, number> = { prefixes: PREFIXES, 'announce → all in BIRD (ms)': announceMs, 'withdraw → none in BIRD (ms)': withdrawMs, 'UPDATE messages (announce)': updates, 'announce → last UPDATE written (ms)': lastSentMs };
    const notes = ['IPv6 /128s over an IPv4 session (MP_REACH, global + link-local next hop); times include birdc polling every 20 ms'];
    const svc = await serviceToRoute(state, birdc, waitFor);
    if (svc) Object.assign(figures, svc);
    else notes.push('Service → route not measured: fleetlb is not deployed in this lab (run `fleetlb lab deploy --dir DIR` first)');
    return { figures, notes };
  } finally {
    if (child.exitCode === null) child.stdin.end(`${JSON.stringify({ cmd: 'stop' })}\n`);
  }
}

type Wait = (what: string, ok: () => boolean | Promise<boolean>, timeoutMs: number, pollMs: number) => Promise<void>;

/** Service creation → VIP in BIRD's table, SERVICE_RUNS times; undefined when no speaker is deployed. */
async function serviceToRoute(state: LabState, birdc: (...a: string[]) => Promise<string>, waitFor: Wait): Promise<Record<string, number> | undefined> {
  const member = state.clusters.find((c) => c.role === 'member');
  if (!member || !state.network) return undefined;
  const tmp = await mkdtemp(join(tmpdir(), 'fleetlb-bench-bgp-'));
  let n = 0;
  // `-f -` becomes a file holding `input` (run() feeds no stdin).
  const kubectl = async (args: string[], input?: string) => {
    let a = args;
    if (input !== undefined) {
      const f = join(tmp, `${n++}.json`);
      await writeFile(f, input);
      a = args.map((x) => (x === '-' ? f : x));
    }
    return run(join(state.binDir, 'kubectl'), ['--kubeconfig', member.kubeconfig, ...a]);
  };
  const ds = await kubectl(['get', 'daemonsets', '-n', NS, '-o', 'name']).catch(() => '');
  if (!ds.includes('fleetlb-speaker')) return undefined;
  const r = state.network.plan.router;
  const objs = [
    { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'bench-bgp', namespace: NS }, spec: { addresses: ['198.51.100.128/26'] } },
    { apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: { name: 'bench-bgp', namespace: NS }, spec: { ipAddressPools: ['bench-bgp'] } },
    { apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: { name: 'bench-bgp', namespace: NS }, spec: { myASN: 64512, peerASN: r.asn, peerAddress: r.lan.v4, holdTime: '9s' } },
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'bench-bgp', namespace: 'default' }, spec: { replicas: 1, selector: { matchLabels: { app: 'bench-bgp' } }, template: { metadata: { labels: { app: 'bench-bgp' } }, spec: { containers: [{ name: 'web', image: 'gcr.io/kuar-demo/kuard-amd64:blue', ports: [{ containerPort: 8080 }] }] } } } },
  ];
  await kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objs }));
  await kubectl(['rollout', 'status', 'deployment/bench-bgp', '-n', 'default', '--timeout=60s']);
  // birdc fails ("Network not found") while the route is absent.
  const inBird = async (ip: string) => (await birdc('show', 'route', `${ip}/32`).catch(() => '')).includes(`${ip}/32`);
  const kc = new KubeConfig();
  kc.loadFromFile(member.kubeconfig);
  const api = new KubeClient(kc, { fieldManager: 'fleetlb-bench' });
  const times: number[] = [];
  await kubectl(['delete', 'services', '-n', 'default', '-l', 'fleetlb.io/bench=bgp', '--wait=true']); // a previous run's, if it was interrupted
  try {
    for (let i = 0; i < SERVICE_RUNS; i++) {
      const name = `bench-bgp-${i}`;
      const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default', labels: { 'fleetlb.io/bench': 'bgp' } }, spec: { type: 'LoadBalancer', selector: { app: 'bench-bgp' }, ports: [{ port: 8080 }] } };
      // Through the API in-process: a kubectl process start would count in the figure.
      const t0 = Date.now();
      await api.create(CoreResources.services, svc);
      let ip = '';
      await waitFor(`${name} in BIRD`, async () => {
        if (!ip) ip = (await api.get<ServiceObject>(CoreResources.services, name, 'default')).status?.loadBalancer?.ingress?.[0]?.ip ?? '';
        return !!ip && (await inBird(ip));
      }, 30_000, 10);
      times.push(Date.now() - t0);
      await kubectl(['delete', 'service', name, '-n', 'default', '--wait=false']);
      await waitFor(`${name} withdrawn`, async () => !(await inBird(ip)), 30_000, 50);
    }
  } finally {
    await kubectl(['delete', '-f', '-', '--ignore-not-found', '--wait=false'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objs })).catch(() => '');
    await rm(tmp, { recursive: true, force: true });
    api.close();
  }
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { services: times.length, 'Service → route in BIRD, median (ms)': at(0.5), 'Service → route in BIRD, p90 (ms)': at(0.9), 'Service → route in BIRD, max (ms)': sorted[sorted.length - 1] ?? NaN };
}
