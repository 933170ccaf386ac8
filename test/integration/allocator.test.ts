import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Annotations, DeprecatedMetalLBAnnotations } from '../../api/labels.js';
import type { Condition } from '../../api/meta.js';
import { IPAddressPoolKind } from '../../api/metallb.js';
import { KubeClient } from '../../runtime/kube-client.js';
import type { Lease } from '../../runtime/leader-election.js';
import { CoreResources, type KubeObject } from '../../runtime/resource.js';
import { ALLOCATOR_LEASE, runMemberAgent } from '../../member-agent/agent.js';
import { AddressReasons, AllocationReasons, EventReasons, PoolConditions, PoolReasons, ServiceConditions } from '../../member-agent/allocator/errors.js';
import type { ServiceObject } from '../../member-agent/allocator/service.js';
import type { PoolObject } from '../../member-agent/allocator/status.js';
import { eventually, fleetlb, testLab, type TestLab } from '../support/lab.js';
import { serviceAccountKubeConfig, type ServiceAccountAccess } from '../support/service-account.js';

/**
 * The IP allocator against a real API server, running with the ServiceAccount and RBAC of
 * deploy/member-agent (never admin). Each run has its own controller namespace for its pools and
 * its own loadBalancerClass, so it never touches another test's Services.
 */

const CLUSTER = 'member-1';
const SA = { name: 'fleetlb-member-agent', namespace: 'fleetlb-system' };

let lab: TestLab;
let admin: KubeClient;
let access: ServiceAccountAccess;
const suffix = randomBytes(3).toString('hex');
const ctrlNs = `alloc-sys-${suffix}`;
const svcNs = `alloc-${suffix}`;
const lbClass = `fleetlb.io/test-${suffix}`;
let agent: { stop: AbortController; done: Promise<void> } | undefined;

function startAgent(namespace = ctrlNs, cls = lbClass): { stop: AbortController; done: Promise<void> } {
  const stop = new AbortController();
  const done = runMemberAgent({ kubeConfig: access.kubeConfig, controllers: ['allocator'], namespace, loadBalancerClass: cls }, stop.signal);
  return { stop, done };
}

async function stopAgent(): Promise<void> {
  if (!agent) return;
  agent.stop.abort();
  await agent.done;
  agent = undefined;
}

interface ServiceInput {
  annotations?: Record<string, string>;
  ports?: { protocol?: string; port: number }[];
  families?: ('IPv4' | 'IPv6')[];
  policy?: 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
  local?: boolean;
  selector?: Record<string, string>;
  cls?: string | null;
}

function service(name: string, s: ServiceInput = {}, namespace = svcNs): ServiceObject {
  const cls = s.cls === undefined ? lbClass : s.cls;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, ...(s.annotations ? { annotations: s.annotations } : {}) },
    spec: {
      type: 'LoadBalancer',
      ...(cls ? { loadBalancerClass: cls } : {}),
      ipFamilies: s.families ?? ['IPv4'],
      ipFamilyPolicy: s.policy ?? 'SingleStack',
      ports: s.ports ?? [{ protocol: 'TCP', port: 80 }],
      externalTrafficPolicy: s.local ? 'Local' : 'Cluster',
      selector: s.selector ?? { app: name },
    },
  };
}

const create = (s: ServiceObject) => admin.create(CoreResources.services, s);
const get = (name: string, namespace = svcNs) => admin.get<ServiceObject>(CoreResources.services, name, namespace);
const ips = (s: ServiceObject) => (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '');
const cond = (s: ServiceObject, type: string): Condition | undefined => s.status?.conditions?.find((c) => c.type === type);

async function pool(name: string, addresses: string[], extra: Record<string, unknown> = {}, namespace = ctrlNs): Promise<void> {
  await admin.create(IPAddressPoolKind, { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name, namespace }, spec: { addresses, ...extra } } as PoolObject);
}

const getPool = (name: string, namespace = ctrlNs) => admin.get<PoolObject>(IPAddressPoolKind, name, namespace);

/** The Service once `check` holds for it. */
function until(name: string, what: string, check: (s: ServiceObject) => boolean, timeoutMs = 30_000, namespace = svcNs): Promise<ServiceObject> {
  return eventually(`${namespace}/${name}: ${what}`, async () => {
    const s = await get(name, namespace);
    return check(s) ? s : undefined;
  }, timeoutMs);
}

const assigned = (name: string, n = 1, namespace = svcNs) => until(name, `${n} address(es)`, (s) => ips(s).length === n && cond(s, ServiceConditions.IPAllocated)?.status === 'True', 30_000, namespace);
const failed = (name: string, reason: string) => until(name, `IPAllocated=False ${reason}`, (s) => cond(s, ServiceConditions.IPAllocated)?.reason === reason);

interface CoreEvent extends KubeObject {
  type?: string;
  reason?: string;
  message?: string;
  involvedObject?: { name?: string; kind?: string };
}

async function events(name: string, namespace = svcNs): Promise<CoreEvent[]> {
  const { items } = await admin.list<CoreEvent>(CoreResources.events, { namespace, fieldSelector: `involvedObject.name=${name}` });
  return items;
}

const eventWith = (name: string, reason: string, namespace = svcNs) =>
  eventually(`a ${reason} event on ${name}`, async () => (await events(name, namespace)).find((e) => e.reason === reason), 30_000);

beforeAll(async () => {
  lab = await testLab();
  admin = new KubeClient(lab.kubeConfig(CLUSTER), { fieldManager: 'allocator-test' });
  // The CRDs, idempotently and forcing ownership (other suites install the same ones).
  await lab.installCrds(CLUSTER);
  for (const ns of [ctrlNs, svcNs]) await admin.create(CoreResources.namespaces, { metadata: { name: ns, labels: { 'alloc-test': suffix } } });
  access = await serviceAccountKubeConfig(lab, CLUSTER, { dir: 'deploy/member-agent', serviceAccount: SA, roleNamespace: ctrlNs });
  agent = startAgent();
}, 120_000);

afterAll(async () => {
  await stopAgent();
  if (!admin) return;
  for (const ns of [ctrlNs, svcNs]) await admin.delete(CoreResources.namespaces, ns).catch(() => false);
  admin.close();
});

describe('the allocator on a member cluster, as its ServiceAccount', () => {
  test('assigns the first address of a pool, with the annotation, condition, event and pool status', async () => {
    await pool('a-basic', ['198.51.100.0/28']);
    await create(service('web', { annotations: { [Annotations.addressPool]: 'a-basic' } }));
    const s = await assigned('web');
    expect(ips(s)).toEqual(['198.51.100.0']);
    expect(s.metadata.annotations?.[Annotations.ipAllocatedFromPool]).toBe('a-basic');
    expect(cond(s, ServiceConditions.IPAllocated)).toMatchObject({ status: 'True', reason: AllocationReasons.Allocated, message: 'Assigned 198.51.100.0 from pool a-basic' });
    expect(cond(s, ServiceConditions.AddressInPool)).toMatchObject({ status: 'True', reason: AddressReasons.InPool });
    expect((await eventWith('web', EventReasons.IPAllocated)).message).toBe('Assigned 198.51.100.0 from pool a-basic');
    const p = await eventually('pool a-basic status', async () => {
      const x = await getPool('a-basic');
      return x.status?.assignedIPv4 === 1 ? x : undefined;
    });
    expect(p.status).toMatchObject({ assignedIPv4: 1, availableIPv4: 15, assignedIPv6: 0, availableIPv6: 0 });
    expect(p.status?.conditions?.find((c) => c.type === PoolConditions.Ready)).toMatchObject({ status: 'True', reason: PoolReasons.Valid });
  });

  test('only Services of its loadBalancerClass are touched', async () => {
    await create(service('classless', { cls: null, annotations: { [Annotations.addressPool]: 'a-basic' } }));
    await create(service('classed', { annotations: { [Annotations.addressPool]: 'a-basic' } }));
    await assigned('classed');
    const other = await get('classless');
    expect(ips(other)).toEqual([]);
    expect(other.status?.conditions ?? []).toEqual([]);
    expect(other.metadata.annotations?.[Annotations.ipAllocatedFromPool]).toBeUndefined();
  });

  test('sharing: same key and disjoint ports share; overlapping ports or other backends do not', async () => {
    await pool('b-share', ['198.51.100.16/28']);
    const key = (k: string) => ({ [Annotations.addressPool]: 'b-share', [Annotations.allowSharedIP]: k });
    await create(service('dns-tcp', { annotations: key('dns'), ports: [{ protocol: 'TCP', port: 53 }], selector: { app: 'dns' } }));
    const tcp = ips(await assigned('dns-tcp'))[0];
    await create(service('dns-udp', { annotations: key('dns'), ports: [{ protocol: 'UDP', port: 53 }], selector: { app: 'dns' } }));
    expect(ips(await assigned('dns-udp'))).toEqual([tcp]);
    await create(service('dns-clash', { annotations: key('dns'), ports: [{ protocol: 'TCP', port: 53 }], selector: { app: 'dns' } }));
    const clash = ips(await assigned('dns-clash'))[0];
    expect(clash).not.toBe(tcp);
    // externalTrafficPolicy Local: only Services selecting the same pods may share.
    await create(service('local-a', { annotations: key('loc'), local: true, ports: [{ protocol: 'TCP', port: 80 }], selector: { app: 'a' } }));
    const la = ips(await assigned('local-a'))[0];
    await create(service('local-b', { annotations: key('loc'), local: true, ports: [{ protocol: 'TCP', port: 81 }], selector: { app: 'b' } }));
    expect(ips(await assigned('local-b'))[0]).not.toBe(la);
    await create(service('local-a2', { annotations: key('loc'), local: true, ports: [{ protocol: 'TCP', port: 82 }], selector: { app: 'a' } }));
    expect(ips(await assigned('local-a2'))).toEqual([la]);
    // Asking for the shared address without the key is refused, with the holder named.
    await create(service('sneaky', { annotations: { [Annotations.loadBalancerIPs]: tcp ?? '' }, ports: [{ protocol: 'TCP', port: 8080 }] }));
    const s = await failed('sneaky', AllocationReasons.IPInUse);
    expect(cond(s, ServiceConditions.IPAllocated)?.message).toMatch(/dns-(tcp|udp) holds it/);
    expect((await eventWith('sneaky', EventReasons.AllocationFailed)).type).toBe('Warning');
  });

  test('a dual-stack Service gets one address per family, primary family first', async () => {
    await pool('c-dual', ['198.51.100.32/28', '2001:db8:100::20/124']);
    await create(service('dual', { annotations: { [Annotations.addressPool]: 'c-dual' }, families: ['IPv6', 'IPv4'], policy: 'RequireDualStack' }));
    const s = await assigned('dual', 2);
    expect(ips(s)).toEqual(['2001:db8:100::20', '198.51.100.32']);
    const p = await eventually('pool c-dual status', async () => {
      const x = await getPool('c-dual');
      return x.status?.assignedIPv6 === 1 && x.status.assignedIPv4 === 1 ? x : undefined;
    });
    expect(p.status).toMatchObject({ availableIPv4: 15, availableIPv6: 15 });
    // PreferDualStack from a pool with IPv4 only: IPv4 now, and it says what is missing.
    await create(service('prefer', { annotations: { [Annotations.addressPool]: 'a-basic' }, families: ['IPv4', 'IPv6'], policy: 'PreferDualStack' }));
    const pr = await assigned('prefer', 1);
    expect(cond(pr, ServiceConditions.IPAllocated)?.message).toMatch(/no IPv6 address/);
  });

  test('shrinking a pool keeps every address, says so on the Services and the pool, and new Services use the new range', async () => {
    await pool('d-shrink', ['198.51.100.48/28']);
    const names = ['keep-1', 'keep-2', 'keep-3'];
    for (const n of names) await create(service(n, { annotations: { [Annotations.addressPool]: 'd-shrink' } }));
    const before = new Map<string, string>();
    for (const n of names) before.set(n, ips(await assigned(n))[0] ?? '');
    expect([...before.values()].sort()).toEqual(['198.51.100.48', '198.51.100.49', '198.51.100.50']);

    await admin.mergePatch(IPAddressPoolKind, 'd-shrink', ctrlNs, { spec: { addresses: ['198.51.100.56/29'] } });
    for (const n of names) {
      const s = await until(n, 'AddressInPool=False', (x) => cond(x, ServiceConditions.AddressInPool)?.status === 'False');
      expect(ips(s)).toEqual([before.get(n)]);
      expect(cond(s, ServiceConditions.AddressInPool)?.reason).toBe(AddressReasons.OutsidePool);
      expect(cond(s, ServiceConditions.IPAllocated)?.status).toBe('True');
      expect((await eventWith(n, AddressReasons.OutsidePool)).type).toBe('Warning');
    }
    const p = await eventually('pool d-shrink to report the addresses outside its ranges', async () => {
      const x = await getPool('d-shrink');
      return x.status?.conditions?.find((c) => c.type === PoolConditions.AddressesOutsideRanges)?.status === 'True' ? x : undefined;
    });
    const outside = p.status?.conditions?.find((c) => c.type === PoolConditions.AddressesOutsideRanges);
    expect(outside?.reason).toBe(PoolReasons.ServicesHoldRemovedAddresses);
    for (const n of names) expect(outside?.message).toContain(`${before.get(n)} (${svcNs}/${n})`);
    expect((await eventWith('d-shrink', EventReasons.AddressesOutsideRanges, ctrlNs)).type).toBe('Warning');

    await create(service('after-shrink', { annotations: { [Annotations.addressPool]: 'd-shrink' } }));
    expect(ips(await assigned('after-shrink'))).toEqual(['198.51.100.56']);

    // Putting the range back clears the reports; nobody moved at any point.
    await admin.mergePatch(IPAddressPoolKind, 'd-shrink', ctrlNs, { spec: { addresses: ['198.51.100.48/28'] } });
    for (const n of names) {
      const s = await until(n, 'AddressInPool=True', (x) => cond(x, ServiceConditions.AddressInPool)?.status === 'True');
      expect(ips(s)).toEqual([before.get(n)]);
    }
    // Deleting the pool: the Services still keep their addresses.
    await admin.delete(IPAddressPoolKind, 'd-shrink', ctrlNs);
    const gone = await until('keep-1', 'AddressInPool=False PoolDeleted', (x) => cond(x, ServiceConditions.AddressInPool)?.reason === AddressReasons.PoolDeleted);
    expect(ips(gone)).toEqual([before.get('keep-1')]);
  });

  test('bad input gets a clear reason, and everything else is still served', async () => {
    // An overlapping pool: the newer one is refused, and says which pool it overlaps.
    await pool('e-overlap', ['198.51.100.8/29']);
    const ov = await eventually('pool e-overlap Ready=False', async () => {
      const x = await getPool('e-overlap');
      return x.status?.conditions?.find((c) => c.type === PoolConditions.Ready && c.status === 'False');
    });
    expect(ov.reason).toBe(PoolReasons.OverlappingAddresses);
    expect(ov.message).toContain('a-basic');
    expect((await eventWith('e-overlap', EventReasons.PoolInvalid, ctrlNs)).message).toContain('198.51.100.8/29');
    await create(service('in-overlap', { annotations: { [Annotations.addressPool]: 'e-overlap' } }));
    await failed('in-overlap', AllocationReasons.PoolUnusable);

    // An exhausted pool.
    await pool('f-tiny', ['198.51.100.64/31']);
    for (const n of ['tiny-1', 'tiny-2']) await create(service(n, { annotations: { [Annotations.addressPool]: 'f-tiny' } }));
    await assigned('tiny-1');
    await assigned('tiny-2');
    await create(service('tiny-3', { annotations: { [Annotations.addressPool]: 'f-tiny' } }));
    const ex = await failed('tiny-3', AllocationReasons.PoolExhausted);
    expect(cond(ex, ServiceConditions.IPAllocated)?.message).toContain('2/2 in use');
    expect((await eventWith('tiny-3', EventReasons.AllocationFailed)).message).toContain('f-tiny');

    // A pool that does not exist, and annotations that make no sense.
    await create(service('no-pool', { annotations: { [Annotations.addressPool]: 'nope' } }));
    await failed('no-pool', AllocationReasons.PoolNotFound);
    await create(service('bad-ip', { annotations: { [Annotations.loadBalancerIPs]: '198.51.100.999' } }));
    expect(cond(await failed('bad-ip', AllocationReasons.InvalidAnnotation), ServiceConditions.IPAllocated)?.message).toContain('"198.51.100.999" is not an IP address');
    await create(service('wrong-family', { annotations: { [Annotations.loadBalancerIPs]: '2001:db8:100::5' } }));
    await failed('wrong-family', AllocationReasons.IPFamilyMismatch);

    // Meanwhile a good Service is served, and freeing an address serves the waiting one.
    await create(service('still-fine', { annotations: { [Annotations.addressPool]: 'a-basic' } }));
    await assigned('still-fine');
    await admin.delete(CoreResources.services, 'tiny-1', svcNs);
    await assigned('tiny-3');
  });

  test('the old metallb.universe.tf annotations work, with a deprecation warning', async () => {
    await create(service('legacy', { annotations: { [DeprecatedMetalLBAnnotations.addressPool]: 'a-basic' } }));
    const s = await assigned('legacy');
    expect(s.metadata.annotations?.[Annotations.ipAllocatedFromPool]).toBe('a-basic');
    expect((await eventWith('legacy', EventReasons.DeprecatedAnnotation)).message).toContain(DeprecatedMetalLBAnnotations.addressPool);
  });

  test('a Service that stops being a LoadBalancer gives its address back, and loses what the allocator wrote', async () => {
    await create(service('convert', { annotations: { [Annotations.addressPool]: 'a-basic' } }));
    const ip = ips(await assigned('convert'))[0];
    await admin.mergePatch(CoreResources.services, 'convert', svcNs, { spec: { type: 'ClusterIP', loadBalancerClass: null, externalTrafficPolicy: null } });
    const s = await until('convert', 'cleared', (x) => ips(x).length === 0 && !cond(x, ServiceConditions.IPAllocated) && x.metadata.annotations?.[Annotations.ipAllocatedFromPool] === undefined);
    expect(s.spec?.type).toBe('ClusterIP');
    await create(service('takes-it', { annotations: { [Annotations.loadBalancerIPs]: ip ?? '' } }));
    expect(ips(await assigned('takes-it'))).toEqual([ip]);
  });

  test('restart with 1,000 assigned Services: every address reloaded, nothing rewritten, nothing double-assigned', async () => {
    await pool('g-many', ['2001:db8:100::1:0/116']);
    const N = 1000;
    const names = Array.from({ length: N }, (_, i) => `many-${String(i).padStart(4, '0')}`);
    const annotations = { [Annotations.addressPool]: 'g-many' };
    for (let i = 0; i < N; i += 50) await Promise.all(names.slice(i, i + 50).map((n) => create(service(n, { annotations, families: ['IPv6'] }))));
    const snapshot = await eventually(
      'all 1,000 Services to have an address',
      async () => {
        const { items } = await admin.list<ServiceObject>(CoreResources.services, { namespace: svcNs });
        const many = items.filter((s) => s.metadata.name?.startsWith('many-') && ips(s).length === 1 && s.metadata.annotations?.[Annotations.ipAllocatedFromPool] === 'g-many');
        return many.length === N ? many : undefined;
      },
      120_000,
      1_000,
    );
    const before = new Map(snapshot.map((s) => [s.metadata.name ?? '', { ip: ips(s)[0], rv: s.metadata.resourceVersion }]));
    expect(new Set([...before.values()].map((b) => b.ip)).size).toBe(N);

    await stopAgent();
    // While it is down: new Services whose names sort first, as a trap for an allocator that
    // hands out addresses before it has reloaded the existing ones.
    const late = ['a-late-1', 'a-late-2', 'a-late-3'];
    for (const n of late) await create(service(n, { annotations, families: ['IPv6'] }));
    agent = startAgent();

    const lateIPs = new Set<string>();
    for (const n of late) lateIPs.add(ips(await assigned(n))[0] ?? '');
    const { items } = await admin.list<ServiceObject>(CoreResources.services, { namespace: svcNs });
    const changed = items.filter((s) => before.has(s.metadata.name ?? '')).filter((s) => {
      const b = before.get(s.metadata.name ?? '');
      return ips(s)[0] !== b?.ip || s.metadata.resourceVersion !== b?.rv;
    });
    expect(changed.map((s) => s.metadata.name)).toEqual([]);
    expect(lateIPs.size).toBe(late.length);
    for (const ip of lateIPs) expect([...before.values()].some((b) => b.ip === ip)).toBe(false);
  }, 240_000);

  // The member agent's ServiceAccount also runs the work applier (deploy/member-agent/placement-rbac.yaml),
  // which applies placed Services and Secrets; what neither controller needs stays refused.
  test('the ServiceAccount has what the allocator needs, and nothing neither member-agent controller needs', async () => {
    const as = `--as=system:serviceaccount:${SA.namespace}:${SA.name}`;
    const can = async (...args: string[]) => (await lab.kubectl(CLUSTER, ['auth', 'can-i', ...args, as])).stdout.trim();
    expect(await can('patch', 'services', '--subresource=status', '-n', svcNs)).toBe('yes');
    expect(await can('watch', 'services', '--all-namespaces')).toBe('yes');
    expect(await can('patch', 'ipaddresspools.metallb.io', '--subresource=status', '-n', ctrlNs)).toBe('yes');
    expect(await can('create', 'pods', '-n', svcNs)).toBe('no');
    expect(await can('create', 'clusterrolebindings')).toBe('no');
    expect(await can('delete', 'nodes')).toBe('no');
    expect(await can('create', 'ipaddresspools.metallb.io', '-n', ctrlNs)).toBe('no');
    expect(await can('patch', 'ipaddresspools.metallb.io', '-n', ctrlNs)).toBe('no');
    expect(await can('update', 'leases.coordination.k8s.io/someone-else', '-n', ctrlNs)).toBe('no');
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

describe('fleetlb member-agent --controllers=allocator', () => {
  test('an unknown controller is a usage error', async () => {
    const r = await fleetlb(['member-agent', '--controllers=allocator,bogus', '--kubeconfig', lab.kubeconfigPath(CLUSTER)], { timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown controller "bogus"');
    expect(r.stderr).toContain('allocator');
  });

  test('two replicas with leader election: one allocates, serves metrics, hands over on SIGTERM', async () => {
    const ns = `alloc-cli-${suffix}`;
    const cls = `fleetlb.io/cli-${suffix}`;
    await admin.create(CoreResources.namespaces, { metadata: { name: ns } });
    const dir = await mkdtemp(join(tmpdir(), 'fleetlb-alloc-'));
    const replicas: Replica[] = [];
    try {
      const cli = await serviceAccountKubeConfig(lab, CLUSTER, { dir: 'deploy/member-agent', serviceAccount: SA, roleNamespace: ns, kubeconfigPath: join(dir, 'sa.kubeconfig') });
      for (let i = 0; i < 2; i++) replicas.push(await replica(['--kubeconfig', cli.kubeconfigPath ?? '', '--namespace', ns, '--load-balancer-class', cls, '--leader-elect']));
      const leader = await eventually('one replica to lead', async () => {
        const leading = replicas.filter((r) => r.stderr().includes('"message":"became leader"'));
        return leading.length === 1 ? leading[0] : undefined;
      });
      const standby = replicas.find((r) => r !== leader) as Replica;

      await pool('h-cli', ['198.51.100.80/30'], {}, ns);
      await create(service('cli-web', { cls }, ns));
      const web = await assigned('cli-web', 1, ns);
      expect(ips(web)).toEqual(['198.51.100.80']);
      // The standby decides nothing, and the in-process allocator of this suite (another class)
      // leaves the Service alone. Proving that nothing happens takes a quiet period; both would
      // act within milliseconds of a change, so 1.5 s is ample.
      await new Promise((r) => setTimeout(r, 1500));
      expect((await get('cli-web', ns)).metadata.resourceVersion).toBe(web.metadata.resourceVersion);
      expect(standby.stderr()).not.toContain('reloaded assignments');
      const lease = await admin.get<Lease>(CoreResources.leases, ALLOCATOR_LEASE, ns);
      expect(lease.spec?.holderIdentity).toBeTruthy();
      const metrics = await eventually('allocator metrics', async () => {
        const text = await (await fetch(`http://127.0.0.1:${leader.port}/metrics`)).text();
        return text.includes('metallb_allocator_addresses_in_use_total{pool="h-cli"} 1') ? text : undefined;
      });
      expect(metrics).toContain('metallb_allocator_addresses_total{pool="h-cli"} 4');
      expect((await fetch(`http://127.0.0.1:${leader.port}/readyz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${standby.port}/readyz`)).status).toBe(200);

      // SIGTERM: the leader stops, releases the lease, exits 0; the standby takes over and serves.
      leader.child.kill('SIGTERM');
      expect(await leader.exited).toBe(0);
      expect(leader.stderr()).not.toContain('"level":"error"');
      await create(service('cli-web-2', { cls }, ns));
      expect(ips(await assigned('cli-web-2', 1, ns))).toEqual(['198.51.100.81']);
      expect(standby.stderr()).toContain('"message":"became leader"');
      expect(ips(await get('cli-web', ns))).toEqual(['198.51.100.80']);
      standby.child.kill('SIGTERM');
      expect(await standby.exited).toBe(0);
      const released = await admin.get<Lease>(CoreResources.leases, ALLOCATOR_LEASE, ns);
      expect(released.spec?.holderIdentity ?? '').toBe('');
    } finally {
      for (const r of replicas) if (r.child.exitCode === null) r.child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
      await admin.delete(CoreResources.namespaces, ns).catch(() => false);
    }
  }, 120_000);
});

interface Replica {
  child: ChildProcess;
  port: number;
  exited: Promise<number | null>;
  stderr: () => string;
}

/** `fleetlb member-agent --controllers=allocator` as a child process, with its metrics port. */
async function replica(args: string[]): Promise<Replica> {
  const port = await freePort();
  const child = spawn(process.execPath, [new URL('../../bin/fleetlb.js', import.meta.url).pathname, 'member-agent', '--controllers=allocator', '--metrics-port', String(port), ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, port, exited, stderr: () => stderr };
}
