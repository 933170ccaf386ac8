import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { MemberClusterKind, type MemberCluster } from '../../api/cluster.js';
import { EndpointSliceManager, FleetLBNamespace, Labels, memberNamespace } from '../../api/labels.js';
import {
  InternalServiceImportKind,
  MultiClusterServiceKind,
  ServiceExportKind,
  type InternalServiceImport,
  type MultiClusterService,
} from '../../api/networking.js';
import { derivedServiceName } from '../../member-agent/multicluster/derived-service.js';
import type { EndpointSliceObject } from '../../member-agent/multicluster/service-export.js';
import { findCondition } from '../../runtime/conditions.js';
import { KubeClient } from '../../runtime/kube-client.js';
import { CoreResources, type KubeObject } from '../../runtime/resource.js';
import { eventually, ownDeployedFleet, uniqueName, type TestLab } from '../support/lab.js';
import { deployment, service } from '../support/manifests.js';

/**
 * The member side of multi-cluster services end to end, on a two-member fleet of its own with every
 * component deployed with its RBAC: kuard exported from both members (real Services, pods and
 * ServiceExports), a MultiClusterService on a member asks the hub for the import, and what the hub
 * sends back becomes a derived LoadBalancer Service with an address from that member's pool and
 * EndpointSlices holding the pods of both clusters; curl from the lab client to the address
 * reaches pods of both members. Several members, one holder per import, internal pools, and
 * deletion in any order.
 */

let lab: TestLab;
let fleet: { lab: TestLab; down: () => Promise<void> } | undefined;
let hub: KubeClient;
const members: Record<string, KubeClient> = {};
const ns = uniqueName('mcsi');
const pools: Record<string, string> = { 'member-1': '198.51.100.80/29', 'member-2': '198.51.100.88/29' };
const exporters = ['member-1', 'member-2'];

const serviceExport = `
---
apiVersion: networking.fleet.azure.com/v1alpha1
kind: ServiceExport
metadata: {name: kuard, namespace: ${ns}}
`;

const mcsManifest = (name: string, annotations: Record<string, string> = {}) => `
apiVersion: networking.fleet.azure.com/v1alpha1
kind: MultiClusterService
metadata:
  name: ${name}
  namespace: ${ns}
  annotations: ${JSON.stringify(annotations)}
spec: {serviceImport: {name: kuard}}
`;

const poolManifest = (name: string, addresses: string, labels: Record<string, string> = {}) => `
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: ${name}, namespace: ${FleetLBNamespace}, labels: ${JSON.stringify(labels)}}
spec: {addresses: [${addresses}], autoAssign: ${Object.keys(labels).length === 0}}
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: ${name}, namespace: ${FleetLBNamespace}}
spec: {ipAddressPools: [${name}]}
`;

async function applyOk(cluster: string, manifest: string): Promise<void> {
  const r = await lab.apply(cluster, manifest);
  if (r.code !== 0) throw new Error(`kubectl apply on ${cluster} failed: ${r.stderr}`);
}

/** The pod addresses of kuard's ready endpoints on one member. */
async function podAddresses(cluster: string): Promise<string[]> {
  const slices = await members[cluster]!.list<EndpointSliceObject & KubeObject>(CoreResources.endpointSlices, { namespace: ns, labelSelector: `${Labels.serviceName}=kuard` });
  return slices.items.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).flatMap((e) => e.addresses)).sort();
}

/** The hub's answer to member `importer`'s request, once it lists both exporting clusters. */
async function importServed(importer: string): Promise<void> {
  const isi = await eventually(`${importer}'s InternalServiceImport served by the hub`, async () => {
    const i = await hub.find<InternalServiceImport>(InternalServiceImportKind, `${ns}-kuard`, memberNamespace(importer));
    return (i?.status?.clusters ?? []).length === exporters.length ? i : undefined;
  }, 60_000, 250);
  expect(isi?.spec.serviceImportReference).toEqual({ clusterId: importer, kind: 'ServiceImport', namespace: ns, name: 'kuard', namespacedName: `${ns}/kuard` });
}

async function mcsOf(cluster: string, name: string): Promise<MultiClusterService | undefined> {
  return members[cluster]!.find<MultiClusterService>(MultiClusterServiceKind, name, ns);
}

async function addressOf(cluster: string, name: string): Promise<string> {
  return eventually(`an address on MultiClusterService ${name} in ${cluster}`, async () => {
    const m = await mcsOf(cluster, name);
    const ip = m?.status?.loadBalancer?.ingress?.[0]?.ip;
    return ip && findCondition(m.status?.conditions, 'Valid')?.status === 'True' ? ip : undefined;
  }, 60_000, 250);
}

async function derivedSlices(cluster: string, mcsName: string): Promise<(EndpointSliceObject & KubeObject)[]> {
  const svc = derivedServiceName(ns, mcsName);
  return (await members[cluster]!.list<EndpointSliceObject & KubeObject>(CoreResources.endpointSlices, { namespace: FleetLBNamespace, labelSelector: `${Labels.serviceName}=${svc}` })).items;
}

/** Pod addresses the answers of `count` requests from the lab client to `ip` came from. */
async function answeringPods(ip: string, count: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const r = await lab.exec('client', ['curl', '-s', '--max-time', '2', `http://${ip}:8080/`], { timeoutMs: 5000 });
    const m = /"addrs":\[([^\]]*)\]/.exec(r.stdout);
    for (const a of m?.[1]?.split(',') ?? []) seen.add(JSON.parse(a) as string);
  }
  return seen;
}

async function nothingLeftOf(cluster: string, mcsName: string): Promise<void> {
  const svc = derivedServiceName(ns, mcsName);
  await eventually(`derived Service, slices and hub request of ${mcsName} gone from ${cluster}`, async () => {
    const s = await members[cluster]!.find(CoreResources.services, svc, FleetLBNamespace);
    const slices = await derivedSlices(cluster, mcsName);
    const isi = await hub.find(InternalServiceImportKind, `${ns}-kuard`, memberNamespace(cluster));
    return !s && slices.length === 0 && !isi ? true : undefined;
  }, 30_000, 250);
}

beforeAll(async () => {
  fleet = await ownDeployedFleet('mcsi', { members: 'member-1=eastus,member-2=eastus' });
  lab = fleet.lab;
  hub = new KubeClient(lab.kubeConfig('hub'), { fieldManager: 'mcsi-test' });
  for (const m of lab.members) {
    members[m.name] = new KubeClient(lab.kubeConfig(m.name), { fieldManager: 'mcsi-test' });
    await eventually(`${m.name} joined`, async () => {
      const mc = await hub.find<MemberCluster>(MemberClusterKind, m.name);
      return findCondition(mc?.status?.conditions, 'Healthy')?.status === 'True' ? true : undefined;
    }, 90_000, 500);
  }
  // The ServiceImport lives in the Service's namespace on the hub.
  await hub.create(CoreResources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  for (const cluster of ['member-1', 'member-2']) {
    await applyOk(cluster, `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}\n---${deployment({ namespace: ns, name: 'kuard', image: 'gcr.io/kuar-demo/kuard-amd64:blue', replicas: 2, port: 8080 })}${service({ namespace: ns, name: 'kuard', type: 'ClusterIP', port: 8080 })}${serviceExport}`);
    await applyOk(cluster, poolManifest(`${ns}-public`, JSON.stringify(pools[cluster])));
  }
  for (const cluster of exporters) await eventually(`kuard pods ready in ${cluster}`, async () => ((await podAddresses(cluster)).length === 2 ? true : undefined), 120_000, 500);
}, 600_000);

afterAll(async () => {
  hub?.close();
  for (const c of Object.values(members)) c.close();
  await fleet?.down();
}, 120_000);

test('an MCS on member-1 gets a derived Service with an address from its pool, the endpoints of both clusters, and curl reaches pods of both', async () => {
  await applyOk('member-1', mcsManifest('kuard'));
  await importServed('member-1');
  const ip = await addressOf('member-1', 'kuard');
  expect(ip).toMatch(/^198\.51\.100\.(8[0-7])$/);

  const get = await lab.kubectl('member-1', ['get', 'mcs', '-n', ns]);
  expect(get.stdout).toMatch(/^NAME\s+SERVICE-IMPORT\s+EXTERNAL-IP\s+IS-VALID\s+AGE\n/);
  expect(get.stdout).toMatch(new RegExp(`^kuard\\s+kuard\\s+${ip.replace(/\./g, '\\.')}\\s+True\\s+`, 'm'));
  const events = await lab.kubectl('member-1', ['get', 'events', '-n', ns, '--field-selector', 'involvedObject.kind=MultiClusterService', '-o', 'jsonpath={.items[*].reason}']);
  expect(events.stdout.split(' ')).toEqual(expect.arrayContaining(['FoundServiceImport', 'ExternalIPAssigned']));
  const mcs = await mcsOf('member-1', 'kuard');
  expect(mcs?.metadata.labels).toMatchObject({ [Labels.serviceImport]: 'kuard', [Labels.derivedService]: derivedServiceName(ns, 'kuard') });

  const expected = { 'member-1': await podAddresses('member-1'), 'member-2': await podAddresses('member-2') };
  const slices = await eventually('derived slices with the pods of both clusters', async () => {
    const s = await derivedSlices('member-1', 'kuard');
    const bySource = (c: string) => s.filter((x) => x.metadata.labels?.[Labels.mcsSourceCluster] === c).flatMap((x) => (x.endpoints ?? []).map((e) => e.addresses[0])).sort();
    return JSON.stringify(bySource('member-1')) === JSON.stringify(expected['member-1']) && JSON.stringify(bySource('member-2')) === JSON.stringify(expected['member-2']) ? s : undefined;
  }, 30_000, 250);
  for (const s of slices) expect(s.metadata.labels).toMatchObject({ [Labels.mcsServiceName]: 'kuard', [Labels.endpointSliceManagedBy]: EndpointSliceManager });

  const answered = await eventually('answers from pods of both members', async () => {
    const seen = await answeringPods(ip, 24);
    return [...expected['member-1'], ...expected['member-2']].every((a) => seen.has(a)) ? seen : undefined;
  }, 60_000, 500);
  expect([...answered].some((a) => expected['member-2'].includes(a))).toBe(true);
}, 240_000);

test('member-2 scaled to 0: its pods leave member-1\'s derived slices and the answers; scaled back, they return', async () => {
  const ip = await addressOf('member-1', 'kuard');
  const sources = async () => [...new Set((await derivedSlices('member-1', 'kuard')).filter((x) => (x.endpoints ?? []).length > 0).map((x) => x.metadata.labels?.[Labels.mcsSourceCluster]))].sort();
  const member2 = await podAddresses('member-2');
  await applyOk('member-2', deployment({ namespace: ns, name: 'kuard', image: 'gcr.io/kuar-demo/kuard-amd64:blue', replicas: 0, port: 8080 }));
  await eventually('only member-1 in the derived slices', async () => (JSON.stringify(await sources()) === '["member-1"]' ? true : undefined), 60_000, 250);
  const member1 = await podAddresses('member-1');
  const seen = await answeringPods(ip, 10);
  expect(member1.some((a) => seen.has(a))).toBe(true);
  expect(member2.filter((a) => seen.has(a))).toEqual([]);
  await applyOk('member-2', deployment({ namespace: ns, name: 'kuard', image: 'gcr.io/kuar-demo/kuard-amd64:blue', replicas: 2, port: 8080 }));
  await eventually('member-2 back in the derived slices', async () => (JSON.stringify(await sources()) === '["member-1","member-2"]' ? true : undefined), 120_000, 250);
}, 240_000);

test('an MCS for the same service on member-2 gets its own derived Service and an address from member-2\'s pool', async () => {
  await applyOk('member-2', mcsManifest('kuard'));
  await importServed('member-2');
  const ip = await addressOf('member-2', 'kuard');
  expect(ip).toMatch(/^198\.51\.100\.(8[89]|9[0-5])$/);
  expect(await derivedSlices('member-2', 'kuard')).not.toHaveLength(0);
}, 120_000);

test('a second MCS on member-1 for the same import is refused, naming the one that holds it', async () => {
  await applyOk('member-1', mcsManifest('kuard-again'));
  const valid = await eventually('kuard-again Valid=False', async () => {
    const c = findCondition((await mcsOf('member-1', 'kuard-again'))?.status?.conditions, 'Valid');
    return c?.status === 'False' ? c : undefined;
  }, 30_000, 250);
  expect(valid.reason).toBe('ServiceImportInUse');
  expect(valid.message).toContain(`MultiClusterService ${ns}/kuard`);
  expect(await members['member-1']!.find(CoreResources.services, derivedServiceName(ns, 'kuard-again'), FleetLBNamespace)).toBeUndefined();
  await members['member-1']!.delete(MultiClusterServiceKind, 'kuard-again', ns);
  await eventually('kuard-again gone', async () => ((await mcsOf('member-1', 'kuard-again')) ? undefined : true), 30_000, 250);
  // The import is still asked for: kuard holds it.
  expect(await hub.find(InternalServiceImportKind, `${ns}-kuard`, memberNamespace('member-1'))).toBeDefined();
}, 60_000);

test('deleting the MCS removes its derived Service, slices and hub request; an internal MCS waits for an internal pool', async () => {
  await members['member-2']!.delete(MultiClusterServiceKind, 'kuard', ns);
  await nothingLeftOf('member-2', 'kuard');
  await eventually('member-2 MCS gone (finalizer released)', async () => ((await mcsOf('member-2', 'kuard')) ? undefined : true), 30_000, 250);

  await applyOk('member-2', mcsManifest('kuard-internal', { 'service.beta.kubernetes.io/azure-load-balancer-internal': 'true' }));
  const refused = await eventually('NoInternalPool', async () => {
    const c = findCondition((await mcsOf('member-2', 'kuard-internal'))?.status?.conditions, 'Valid');
    return c?.reason === 'NoInternalPool' ? c : undefined;
  }, 30_000, 250);
  expect(refused.status).toBe('False');
  expect(await members['member-2']!.find(CoreResources.services, derivedServiceName(ns, 'kuard-internal'), FleetLBNamespace)).toBeUndefined();

  await applyOk('member-2', poolManifest(`${ns}-internal`, '"198.51.100.96/29"', { [Labels.internalPool]: 'true' }));
  const ip = await addressOf('member-2', 'kuard-internal');
  expect(ip).toMatch(/^198\.51\.100\.(9[6-9]|10[0-3])$/);
}, 120_000);

test('the exports going away keep the address and drop the endpoints; deleting the namespaces then leaves nothing behind', async () => {
  const ip = await addressOf('member-1', 'kuard');
  // Every export withdrawn: the hub drops the ServiceImport, empties the ISI and the slice imports.
  for (const cluster of exporters) await members[cluster]!.delete(ServiceExportKind, 'kuard', ns);
  const valid = await eventually('Valid=False UnknownServiceImport', async () => {
    const c = findCondition((await mcsOf('member-1', 'kuard'))?.status?.conditions, 'Valid');
    return c?.reason === 'UnknownServiceImport' ? c : undefined;
  }, 30_000, 250);
  expect(valid.status).toBe('False');
  await eventually('derived slices gone', async () => ((await derivedSlices('member-1', 'kuard')).length === 0 ? true : undefined), 30_000, 250);
  expect((await mcsOf('member-1', 'kuard'))?.status?.loadBalancer?.ingress?.[0]?.ip).toBe(ip);

  for (const cluster of ['member-1', 'member-2']) await members[cluster]!.delete(CoreResources.namespaces, ns);
  await hub.delete(CoreResources.namespaces, ns);
  await nothingLeftOf('member-1', 'kuard');
  await nothingLeftOf('member-2', 'kuard-internal');
  for (const cluster of ['member-1', 'member-2']) {
    await eventually(`namespace ${ns} gone from ${cluster}`, async () => ((await members[cluster]!.find(CoreResources.namespaces, ns)) ? undefined : true), 60_000, 500);
  }
}, 180_000);
