import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { KubeConfig } from '@kubernetes/client-node';
import { labDown, labUp } from '../../lab/lab.js';
import { isRunning } from '../../lab/processes.js';
import type { LabState } from '../../lab/state.js';
import { EventRecorder } from '../../runtime/events.js';
import { Informer, type Transition } from '../../runtime/informer.js';
import { KubeClient } from '../../runtime/kube-client.js';
import { LeaderElector, type Lease } from '../../runtime/leader-election.js';
import { CoreResources, type KubeObject } from '../../runtime/resource.js';
import { eventually, uniqueName } from '../support/lab.js';
import { TcpProxy } from '../support/tcp-proxy.js';

/**
 * The runtime against a real control plane of its own (a small lab, because these tests kill the
 * API server and partition clients).
 */

let dir: string;
let lab: LabState;
let admin: KubeClient;
const CLUSTER = 'rt-1';

const cluster = () => lab.clusters.find((c) => c.name === CLUSTER)!;
const kubeConfig = async (server?: string) => {
  const text = await readFile(cluster().kubeconfig, 'utf8');
  const kc = new KubeConfig();
  kc.loadFromString(server ? text.replace(cluster().server, server) : text);
  return kc;
};
const client = async (server?: string, timeoutMs?: number) => new KubeClient(await kubeConfig(server), { fieldManager: 'runtime-test', timeoutMs });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetlb-runtime-'));
  lab = await labUp({ dir, members: `${CLUSTER}=eastus`, network: false });
  admin = await client();
});

afterAll(async () => {
  admin?.close();
  await labDown({ dir });
  await rm(dir, { recursive: true, force: true });
});

type ConfigMap = KubeObject & { data?: Record<string, string> };

async function namespace(): Promise<string> {
  const ns = uniqueName('rt');
  await admin.create(CoreResources.namespaces, { metadata: { name: ns } });
  return ns;
}

const configMap = (ns: string, name: string, value = 'v0'): ConfigMap => ({ metadata: { name, namespace: ns }, data: { value } });

/** name → resourceVersion as the server has it now. */
async function serverView(ns: string): Promise<Record<string, string>> {
  const { items } = await admin.list<ConfigMap>(CoreResources.configMaps, { namespace: ns });
  return Object.fromEntries(items.map((i) => [i.metadata.name ?? '', i.metadata.resourceVersion ?? '']));
}
const cacheView = (inf: Informer<ConfigMap>) => Object.fromEntries(inf.list().map((i) => [i.metadata.name ?? '', i.metadata.resourceVersion ?? '']));

const sorted = (view: Record<string, string>) => JSON.stringify(Object.entries(view).sort(([a], [b]) => a.localeCompare(b)));

async function converged(inf: Informer<ConfigMap>, ns: string): Promise<void> {
  await eventually('informer cache to equal the server', async () => (sorted(cacheView(inf)) === sorted(await serverView(ns)) ? true : undefined), 60_000);
}

/** An informer whose every connection goes through a proxy the test can partition. */
async function proxiedInformer(ns: string, extra: { idleTimeoutMs?: number } = {}): Promise<{ inf: Informer<ConfigMap>; proxy: TcpProxy; transitions: Transition[] }> {
  const proxy = new TcpProxy({ host: '127.0.0.1', port: cluster().ports.apiserver });
  await proxy.listen();
  const transitions: Transition[] = [];
  const inf = new Informer<ConfigMap>({
    client: await client(`https://127.0.0.1:${proxy.port}`, 2000),
    resource: CoreResources.configMaps,
    namespace: ns,
    backoff: { initialMs: 100, maxMs: 500 },
    ...extra,
  });
  inf.onTransition((t) => transitions.push(t));
  return { inf, proxy, transitions };
}

async function churn(ns: string, round: number): Promise<void> {
  for (let i = 0; i < 10; i++) await admin.create(CoreResources.configMaps, configMap(ns, `r${round}-${i}`));
  for (let i = 0; i < 4; i++) await admin.mergePatch(CoreResources.configMaps, `r${round}-${i}`, ns, { data: { value: 'changed' } });
  for (let i = 6; i < 10; i++) await admin.delete(CoreResources.configMaps, `r${round}-${i}`, ns);
}

async function restartApiserver(): Promise<void> {
  const rec = cluster().processes['kube-apiserver']!;
  process.kill(rec.pid, 'SIGKILL');
  await eventually('the API server to die', async () => (isRunning(rec) ? undefined : true), 10_000, 50);
  lab = await labUp({ dir });
}

describe('informer', () => {
  test("its cache equals the server's after the API server is killed and restarted mid-stream", async () => {
    const ns = await namespace();
    const transitions: Transition[] = [];
    const inf = new Informer<ConfigMap>({ client: await client(undefined, 2000), resource: CoreResources.configMaps, namespace: ns, backoff: { initialMs: 100, maxMs: 1000 } });
    inf.onTransition((t) => transitions.push(t));
    await inf.start();
    try {
      await churn(ns, 1);
      await converged(inf, ns);
      await restartApiserver();
      await churn(ns, 2);
      await converged(inf, ns);
      expect(transitions).toContain('watch-failed');
      // (kube-root-ca.crt appears whenever the controller-manager publishes it; it is not ours.)
      const ours = Object.keys(cacheView(inf)).filter((n) => n.startsWith('r')).sort();
      expect(ours).toEqual(['r1-0', 'r1-1', 'r1-2', 'r1-3', 'r1-4', 'r1-5', 'r2-0', 'r2-1', 'r2-2', 'r2-3', 'r2-4', 'r2-5']);
    } finally {
      await inf.stop();
    }
  });

  test('after etcd compaction forces a 410 it relists, and deletions it missed are delivered', async () => {
    const ns = await namespace();
    const { inf, proxy, transitions } = await proxiedInformer(ns);
    const deleted: string[] = [];
    inf.on({ delete: (o) => deleted.push(o.metadata.name ?? '') });
    await inf.start();
    try {
      await churn(ns, 1);
      await converged(inf, ns);
      // Partition the informer, change things it cannot see, and compact them out of etcd.
      proxy.freeze();
      await churn(ns, 2);
      for (let i = 0; i < 6; i++) await admin.delete(CoreResources.configMaps, `r1-${i}`, ns);
      const etcd = `http://127.0.0.1:${cluster().ports.etcdClient}`;
      const range = (await (await fetch(`${etcd}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: Buffer.from('/').toString('base64') }) })).json()) as { header: { revision: string } };
      const compact = await fetch(`${etcd}/v3/kv/compaction`, { method: 'POST', body: JSON.stringify({ revision: range.header.revision, physical: true }) });
      expect(compact.status).toBe(200);
      // A restarted API server's watch cache starts after the compaction, as etcd does.
      await restartApiserver();
      proxy.heal();
      await converged(inf, ns);
      expect(transitions).toContain('gone');
      // r1-6..9 were seen deleted before the partition; r1-0..5 were deleted behind it and only
      // the relist can tell. (r2-6..9 came and went unseen, so there is nothing to delete.)
      expect(deleted.sort()).toEqual(['r1-0', 'r1-1', 'r1-2', 'r1-3', 'r1-4', 'r1-5', 'r1-6', 'r1-7', 'r1-8', 'r1-9']);
      expect(inf.get(`${ns}/r2-0`)?.data?.value).toBe('changed');
    } finally {
      await inf.stop();
      await proxy.close();
    }
  });
});

describe('informer stop', () => {
  test('stopping while the first list is still in flight ends promptly, without starting a watch', async () => {
    const ns = await namespace();
    const transitions: Transition[] = [];
    const inf = new Informer<ConfigMap>({ client: await client(), resource: CoreResources.configMaps, namespace: ns });
    inf.onTransition((t) => transitions.push(t));
    void inf.start();
    const t0 = Date.now();
    await inf.stop();
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(transitions).not.toContain('watch-started');
  });
});

describe('informer watchdog', () => {
  test('a watch that goes silent without an error is restarted, and changes made meanwhile arrive', async () => {
    const ns = await namespace();
    const { inf, proxy, transitions } = await proxiedInformer(ns, { idleTimeoutMs: 1500 });
    await inf.start();
    try {
      proxy.freeze();
      await admin.create(CoreResources.configMaps, configMap(ns, 'during-silence'));
      await eventually('the watchdog to fire', async () => (transitions.includes('watchdog') ? true : undefined), 10_000, 50);
      proxy.heal();
      await eventually('the change made during the silence', async () => inf.get(`${ns}/during-silence`), 15_000);
    } finally {
      await inf.stop();
      await proxy.close();
    }
  });
});

describe('writes', () => {
  test('server-side apply sends the apply content type and field manager, is idempotent, and reaches the status subresource', async () => {
    const ns = await namespace();
    const svc = {
      metadata: { name: 'web', namespace: ns },
      spec: { type: 'LoadBalancer', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
    };
    const first = await admin.apply<KubeObject>(CoreResources.services, svc);
    const again = await admin.apply<KubeObject>(CoreResources.services, svc);
    expect(again.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    const managed = (again.metadata as { managedFields?: { manager: string; operation: string }[] }).managedFields ?? [];
    expect(managed).toContainEqual(expect.objectContaining({ manager: 'runtime-test', operation: 'Apply' }));
    const withStatus = await admin.apply<KubeObject & { status?: unknown }>(CoreResources.services, { metadata: { name: 'web', namespace: ns }, status: { loadBalancer: { ingress: [{ ip: '198.51.100.7' }] } } }, { subresource: 'status' });
    expect((withStatus as { status?: { loadBalancer?: { ingress?: { ip: string }[] } } }).status?.loadBalancer?.ingress?.[0]?.ip).toBe('198.51.100.7');
  });

  test('repeated events are aggregated into one Event with a count', async () => {
    const ns = await namespace();
    const cm = await admin.create<ConfigMap>(CoreResources.configMaps, configMap(ns, 'subject'));
    const recorder = new EventRecorder({ client: admin, component: 'runtime-test', instance: 'test' });
    const subject = { ...cm, apiVersion: 'v1', kind: 'ConfigMap' };
    for (let i = 0; i < 3; i++) await recorder.record(subject, 'Warning', 'AllocationFailed', 'no available IPs in pool default');
    await recorder.record(subject, 'Normal', 'IPAllocated', 'Assigned IP ["198.51.100.7"]');
    const { items } = await admin.list<KubeObject & { reason?: string; count?: number; involvedObject?: { uid?: string } }>(CoreResources.events, { namespace: ns });
    const failed = items.filter((e) => e.reason === 'AllocationFailed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.count).toBe(3);
    expect(failed[0]?.involvedObject?.uid).toBe(cm.metadata.uid);
    expect(items.filter((e) => e.reason === 'IPAllocated')).toHaveLength(1);
  });
});

interface ContenderLine {
  event: string;
  identity: string;
  at: number;
}

function contender(ns: string, lease: string, identity: string, kubeconfig: string): { child: ChildProcess; lines: ContenderLine[] } {
  const script = new URL('../../dist/test/support/lease-contender.js', import.meta.url).pathname;
  const child = spawn(process.execPath, [script, kubeconfig, ns, lease, identity], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: ContenderLine[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(JSON.parse(l) as ContenderLine));
  return { child, lines };
}

describe('leader election', () => {
  test('of two contenders exactly one leads, and the other takes over within the lease when the leader is killed', async () => {
    const ns = await namespace();
    const a = contender(ns, 'lead', 'a', cluster().kubeconfig);
    const b = contender(ns, 'lead', 'b', cluster().kubeconfig);
    try {
      const leader = await eventually('a leader', async () => [a, b].find((c) => c.lines.some((l) => l.event === 'leading')));
      const other = leader === a ? b : a;
      // Several renew periods later still exactly one has ever led.
      await new Promise((r) => setTimeout(r, 3000));
      expect(other.lines.some((l) => l.event === 'leading')).toBe(false);
      const held = await admin.get<Lease>(CoreResources.leases, 'lead', ns);
      expect(held.spec?.holderIdentity).toBe(leader.lines[0]?.identity);

      const killedAt = Date.now();
      leader.child.kill('SIGKILL');
      const took = await eventually('the other to lead', async () => other.lines.find((l) => l.event === 'leading'), 15_000, 50);
      // Lease 4 s, retry 0.5 s: the successor waits out the lease it last saw renewed.
      expect(took.at - killedAt).toBeLessThanOrEqual(4000 + 500 + 1000);
      expect((await admin.get<Lease>(CoreResources.leases, 'lead', ns)).spec?.holderIdentity).toBe(took.identity);
    } finally {
      for (const c of [a, b]) if (c.child.exitCode === null) c.child.kill('SIGKILL');
    }
  });

  test('a leader cut off from the API server stops acting before anyone else may take over', async () => {
    const ns = await namespace();
    const proxy = new TcpProxy({ host: '127.0.0.1', port: cluster().ports.apiserver });
    await proxy.listen();
    let startedAt = 0;
    let fencedAt = 0;
    let fenceReason = '';
    const fenced = new LeaderElector({
      client: await client(`https://127.0.0.1:${proxy.port}`, 1000),
      namespace: ns,
      name: 'fence',
      identity: 'cut-off',
      leaseDurationMs: 4000,
      renewDeadlineMs: 2500,
      retryPeriodMs: 500,
      onStartedLeading: () => (startedAt = Date.now()),
      onStoppedLeading: (reason) => ((fencedAt = Date.now()), (fenceReason = reason)),
    });
    fenced.start();
    const successor = contender(ns, 'fence', 'successor', cluster().kubeconfig);
    try {
      await eventually('the first elector to lead', async () => (startedAt ? true : undefined));
      await eventually('the successor to start contending', async () => (successor.lines.length > 0 ? true : undefined));
      const partitionAt = Date.now();
      proxy.freeze();
      const took = await eventually('the successor to lead', async () => successor.lines.find((l) => l.event === 'leading'), 20_000, 50);
      expect(fenceReason).toBe('fenced');
      expect(fencedAt).toBeGreaterThan(0);
      expect(fencedAt).toBeLessThan(took.at);
      // It stepped down within the renew deadline (+ one fence check) of losing the server.
      expect(fencedAt - partitionAt).toBeLessThanOrEqual(2500 + 500 + 200);
    } finally {
      successor.child.kill('SIGKILL');
      proxy.heal();
      await fenced.stop();
      await proxy.close();
    }
  });
});
