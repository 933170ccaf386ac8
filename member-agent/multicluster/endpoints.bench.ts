import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { benchLab } from '../../bench/bench-lab.js';
import type { BenchResult } from '../../bench/run.js';
import { FleetLBNamespace, Labels } from '../../api/labels.js';
import { IPAddressPoolKind } from '../../api/metallb.js';
import { MultiClusterServiceKind, ServiceExportKind } from '../../api/networking.js';
import { walkthroughLab } from '../../lab/demo.js';
import type { LabState } from '../../lab/state.js';
import { Informer } from '../../runtime/informer.js';
import { KubeClient } from '../../runtime/kube-client.js';
import { CoreResources, type KubeObject } from '../../runtime/resource.js';
import { derivedServiceName } from './derived-service.js';
import { benchAddress, churnPlan, percentile, type ChurnEvent } from './endpoints-bench-plan.js';
import type { EndpointSliceObject } from './service-export.js';

/**
 * `npm run bench -- endpoints`: 100 selector-less Services, each exported from 3 members with 20
 * endpoints between them (7 + 7 + 6), in EndpointSlices the benchmark writes on each member as
 * the EndpointSlice controller would for pods; a MultiClusterService for each on member-1. The
 * member agents and the hub run as deployed (pods, their own RBAC). Then endpoints churn on all
 * three members — a ready endpoint turns not ready, and back — at a steady rate; each turn of
 * member-2's and member-3's endpoints back to ready is timed from the write on its member until
 * member-1's derived EndpointSlice shows the address ready (a watch in this process). Prints p50,
 * p99 and the hub's peak memory (its process's RSS, sampled, and VmHWM). Target (issue 9): p99 ≤ 1 s.
 * FLEETLB_BENCH_LAB_DIR names a running lab to use (fleetlb deployed; left running); otherwise a
 * lab of its own is made and removed. Everything it creates is deleted at the end.
 */

const NS = 'endpoints-bench';
const SERVICES = Number(process.env.FLEETLB_BENCH_SERVICES ?? 100);
const ENDPOINTS = 20;
const EVENTS = Number(process.env.FLEETLB_BENCH_EVENTS ?? 300);
const EVENTS_PER_SECOND = 10;
const EVENT_TIMEOUT_MS = 30_000;
const SYNC_TIMEOUT_MS = 600_000;
const POOL = 'endpoints-bench';

type Slice = EndpointSliceObject & KubeObject;

function client(state: LabState, name: string): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromFile(state.clusters.find((c) => c.name === name)!.kubeconfig);
  return new KubeClient(kc, { fieldManager: 'endpoints-bench', timeoutMs: 30_000 });
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (!(await check().catch(() => false))) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(500);
  }
  return Date.now() - start;
}

/** Run `fn` over `items`, `width` at a time. */
async function pool<T>(items: readonly T[], width: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

const svcName = (s: number) => `svc-${String(s).padStart(3, '0')}`;

function slice(memberIndex: number, s: number, share: number, notReady: ReadonlySet<number>): Slice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${svcName(s)}-bench`, namespace: NS, labels: { [Labels.serviceName]: svcName(s), [Labels.endpointSliceManagedBy]: 'endpoints-bench' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
    endpoints: Array.from({ length: share }, (_, k) => ({ addresses: [benchAddress(memberIndex, s, k)], conditions: { ready: !notReady.has(k) } })),
  };
}

/** The hub process's memory, from its pod's container ID (the lab's is fleetlb-lab://PID). */
async function hubPid(hub: KubeClient): Promise<number | undefined> {
  const pods = await hub.list<KubeObject & { status?: { containerStatuses?: { containerID?: string }[] } }>(CoreResources.pods, { namespace: FleetLBNamespace, labelSelector: 'app.kubernetes.io/component=hub' });
  for (const p of pods.items) {
    const m = /^fleetlb-lab:\/\/(\d+)$/.exec(p.status?.containerStatuses?.[0]?.containerID ?? '');
    if (m) return Number(m[1]);
  }
  return undefined;
}

async function memoryMB(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number | undefined> {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(await readFile(`/proc/${pid}/status`, 'utf8').catch(() => ''));
  return m?.[1] ? Math.round(Number(m[1]) / 1024) : undefined;
}

export default async function endpointsBench(): Promise<BenchResult> {
  const progress = (l: string) => process.stderr.write(l + '\n');
  const lab = await benchLab('fleetlb-endpoints-bench-', (dir) => walkthroughLab({ dir, nodesPerMember: 1, progress }));
  const state = lab.state;
  const members = state.clusters.filter((c) => c.role === 'member').slice(0, 3);
  if (members.length < 3) throw new Error(`the lab in ${state.dir} has ${members.length} members; the benchmark needs 3`);
  const importer = members[0]!;
  const hubName = state.clusters.find((c) => c.role === 'hub')!.name;
  const kube = new Map([hubName, ...members.map((m) => m.name)].map((n) => [n, client(state, n)] as const));
  const k = (n: string) => kube.get(n)!;
  const shares = [7, 7, 6];
  const notReady = members.map(() => new Map<number, Set<number>>()); // per member: service → endpoint indexes not ready
  const derivedOwner = new Map(Array.from({ length: SERVICES }, (_, s) => [derivedServiceName(NS, svcName(s)), s] as const));
  let derived: Informer<Slice> | undefined;
  let sampler: NodeJS.Timeout | undefined;
  try {
    await cleanup(kube, members.map((m) => m.name), importer.name, hubName);
    progress(`creating ${SERVICES} Services × ${ENDPOINTS} endpoints on ${members.map((m) => m.name).join(', ')}, and a MultiClusterService for each on ${importer.name}`);
    for (const n of [hubName, ...members.map((m) => m.name)]) await k(n).create(CoreResources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await k(importer.name).apply(IPAddressPoolKind, { apiVersion: `${IPAddressPoolKind.group}/${IPAddressPoolKind.version}`, kind: 'IPAddressPool', metadata: { name: POOL, namespace: FleetLBNamespace }, spec: { addresses: ['198.51.100.0/24'] } } as KubeObject);
    const services = Array.from({ length: SERVICES }, (_, s) => s);
    for (const [i, m] of members.entries()) {
      await pool(services, 8, async (s) => {
        await k(m.name).apply(CoreResources.services, { apiVersion: 'v1', kind: 'Service', metadata: { name: svcName(s), namespace: NS }, spec: { ports: [{ name: 'http', protocol: 'TCP', port: 8080, targetPort: 8080 }] } } as KubeObject);
        await k(m.name).apply(CoreResources.endpointSlices, slice(m.index, s, shares[i]!, new Set()));
        await k(m.name).apply(ServiceExportKind, { apiVersion: `${ServiceExportKind.group}/${ServiceExportKind.version}`, kind: 'ServiceExport', metadata: { name: svcName(s), namespace: NS } } as KubeObject);
      });
    }
    await pool(services, 8, (s) =>
      k(importer.name).apply(MultiClusterServiceKind, { apiVersion: `${MultiClusterServiceKind.group}/${MultiClusterServiceKind.version}`, kind: 'MultiClusterService', metadata: { name: svcName(s), namespace: NS, annotations: { 'metallb.io/address-pool': POOL } }, spec: { serviceImport: { name: svcName(s) } } } as KubeObject),
    );

    // What member-1's derived slices say, per service and address, kept current by a watch.
    const ready = new Map<string, boolean>();
    const waiters = new Map<string, { want: boolean; resolve: (t: number) => void }>();
    const observe = (sl: Slice) => {
      const s = derivedOwner.get(sl.metadata.labels?.[Labels.serviceName] ?? '');
      if (s === undefined) return;
      const now = performance.now();
      for (const e of sl.endpoints ?? []) {
        const key = `${s}/${e.addresses[0] ?? ''}`;
        const r = e.conditions?.ready !== false;
        ready.set(key, r);
        const w = waiters.get(key);
        if (w && w.want === r) {
          waiters.delete(key);
          w.resolve(now);
        }
      }
    };
    derived = new Informer<Slice>({ client: k(importer.name), resource: CoreResources.endpointSlices, namespace: FleetLBNamespace, labelSelector: `${Labels.endpointSliceManagedBy}=endpointslice-import.fleetlb.io` });
    derived.on({ add: observe, update: observe });
    await derived.start();

    const pid = await hubPid(k(hubName));
    let hubPeak = 0;
    if (pid) sampler = setInterval(() => void memoryMB(pid, 'VmRSS').then((v) => (hubPeak = Math.max(hubPeak, v ?? 0))), 250);
    const syncMs = await until(`all ${SERVICES * ENDPOINTS} endpoints ready in ${importer.name}'s derived slices`, SYNC_TIMEOUT_MS, async () => {
      const n = [...ready.values()].filter(Boolean).length;
      return n >= SERVICES * ENDPOINTS;
    });
    progress(`initial sync: ${SERVICES * ENDPOINTS} endpoints in ${importer.name}'s derived slices after ${(syncMs / 1000).toFixed(1)} s; churning ${EVENTS} endpoints at ${EVENTS_PER_SECOND}/s`);

    const plan = churnPlan(EVENTS, SERVICES, shares, 42);
    const remote: number[] = [];
    const local: number[] = [];
    let timeouts = 0;
    const turn = async (ev: ChurnEvent, wantReady: boolean): Promise<number | undefined> => {
      const m = members[ev.member]!;
      const set = notReady[ev.member]!.get(ev.service) ?? new Set<number>();
      if (wantReady) set.delete(ev.endpoint);
      else set.add(ev.endpoint);
      notReady[ev.member]!.set(ev.service, set);
      const key = `${ev.service}/${benchAddress(m.index, ev.service, ev.endpoint)}`;
      const seen = new Promise<number>((resolve) => waiters.set(key, { want: wantReady, resolve }));
      const t0 = performance.now();
      await k(m.name).apply(CoreResources.endpointSlices, slice(m.index, ev.service, shares[ev.member]!, set));
      const t1 = await Promise.race([seen, sleep(EVENT_TIMEOUT_MS).then(() => undefined)]);
      if (t1 === undefined) {
        waiters.delete(key);
        timeouts++;
        return undefined;
      }
      return t1 - t0;
    };
    // One write at a time per slice: each write carries the whole slice.
    const chains = new Map<string, Promise<void>>();
    const inFlight: Promise<void>[] = [];
    const started = Date.now();
    for (const [i, ev] of plan.entries()) {
      const due = started + (i * 1000) / EVENTS_PER_SECOND;
      if (due > Date.now()) await sleep(due - Date.now());
      const key = `${ev.member}/${ev.service}`;
      const run = (chains.get(key) ?? Promise.resolve()).then(async () => {
        if ((await turn(ev, false)) === undefined) return;
        const ms = await turn(ev, true);
        if (ms !== undefined) (ev.member === 0 ? local : remote).push(ms);
      });
      chains.set(key, run);
      inFlight.push(run);
    }
    await Promise.all(inFlight);
    const hubHWM = pid ? await memoryMB(pid, 'VmHWM') : undefined;
    return {
      figures: {
        'services × endpoints': SERVICES * ENDPOINTS,
        'initial sync of all endpoints (s)': syncMs / 1000,
        'ready → derived slice, p50 (ms)': percentile(remote, 50),
        'ready → derived slice, p99 (ms)': percentile(remote, 99),
        'ready → derived slice, max (ms)': percentile(remote, 100),
        'timed turns (member-2, member-3)': remote.length,
        'same member, p50 (ms)': percentile(local, 50),
        'timeouts (> 30 s)': timeouts,
        'hub peak RSS, sampled (MB)': hubPeak,
        ...(hubHWM !== undefined ? { 'hub VmHWM (MB)': hubHWM } : {}),
      },
      notes: [
        `lab ${state.dir}: ${members.map((m) => m.name).join(', ')}; ${EVENTS} churn events at ${EVENTS_PER_SECOND}/s, each not ready then ready again`,
        pid ? `hub process ${pid}` : 'hub process not found: no memory figures',
      ],
    };
  } finally {
    if (sampler) clearInterval(sampler);
    await derived?.stop();
    await cleanup(kube, members.map((m) => m.name), importer.name, hubName).catch((err: unknown) => progress(`cleanup: ${(err as Error).message}`));
    for (const c of kube.values()) c.close();
    await lab.release();
  }
}

/** Remove everything the benchmark makes: MultiClusterServices first (their finalizers), then the namespaces and the pool. */
async function cleanup(kube: Map<string, KubeClient>, members: string[], importer: string, hub: string): Promise<void> {
  const imp = kube.get(importer)!;
  const mcs = await imp.list(MultiClusterServiceKind, { namespace: NS }).catch(() => ({ items: [] as KubeObject[] }));
  await pool(mcs.items, 8, (m) => imp.delete(MultiClusterServiceKind, m.metadata.name ?? '', NS));
  await until('the benchmark\'s MultiClusterServices to be deleted', 180_000, async () => (await imp.list(MultiClusterServiceKind, { namespace: NS })).items.length === 0);
  for (const n of [...members, hub]) await kube.get(n)!.delete(CoreResources.namespaces, NS).catch(() => false);
  for (const n of [...members, hub]) await until(`namespace ${NS} gone from ${n}`, 180_000, async () => !(await kube.get(n)!.find(CoreResources.namespaces, NS)));
  await imp.delete(IPAddressPoolKind, POOL, FleetLBNamespace).catch(() => false);
}
