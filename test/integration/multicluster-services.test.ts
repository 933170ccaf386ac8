import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { MemberClusterKind, memberAgentServiceAccount, type MemberCluster } from '../../api/cluster.js';
import { Annotations, FleetLBNamespace, Labels, memberNamespace } from '../../api/labels.js';
import {
  EndpointSliceExportKind,
  EndpointSliceImportKind,
  InternalServiceExportKind,
  InternalServiceImportKind,
  MultiClusterServiceKind,
  ServiceExportKind,
  ServiceImportKind,
  type EndpointSliceExport,
  type EndpointSliceImport,
  type InternalServiceExport,
  type InternalServiceImport,
  type ServiceExport,
  type ServiceImport,
} from '../../api/networking.js';
import { DEFAULT_MISSED_HEARTBEATS, memberAgent } from '../../hub/member-health.js';
import { DeadClusterBoundMs } from '../../hub/endpoint-liveness.js';
import { findCondition } from '../../runtime/conditions.js';
import { isConflict, KubeClient } from '../../runtime/kube-client.js';
import { CoreResources, type KubeObject } from '../../runtime/resource.js';
import { eventually, ownDeployedFleet, uniqueName, type TestLab } from '../support/lab.js';
import { deployment, service } from '../support/manifests.js';

/**
 * Multi-cluster services on a fleet of its own, with `fleetlb hub` and `fleetlb member-agent`
 * running as pods with their own RBAC. Real Services, Deployments and ServiceExports on the
 * members: what the member agents export (InternalServiceExports, EndpointSliceExports), what the
 * hub makes of them (ServiceImport, MCS API conflict verdicts, EndpointSliceImports for an
 * importer), weight 0, a member agent that stops (withdrawn within the documented bound) and
 * cleanup in any order.
 */

let lab: TestLab;
let fleet: Promise<{ lab: TestLab; down: () => Promise<void> }> | undefined;
let hub: KubeClient;
const members = new Map<string, KubeClient>();
const ns = uniqueName('mcs');
const key = `${ns}/kuard`;
const IMAGE = 'ghcr.io/kuar-demo/kuard-amd64:1';
const IMPORTER = 'member-3';

const member = (name: string) => members.get(name)!;
const serviceExport = `
---
apiVersion: networking.fleet.azure.com/v1alpha1
kind: ServiceExport
metadata: {name: kuard, namespace: ${ns}}
`;

async function listIn<T extends KubeObject>(kind: typeof EndpointSliceExportKind | typeof EndpointSliceImportKind, namespace: string): Promise<T[]> {
  return (await hub.list<T>(kind, { namespace })).items;
}

/** This Service's EndpointSliceExports a member wrote, or the EndpointSliceImports an importer holds. */
async function slicesOf(kind: typeof EndpointSliceExportKind | typeof EndpointSliceImportKind, cluster: string): Promise<(EndpointSliceExport | EndpointSliceImport)[]> {
  return (await listIn<EndpointSliceExport>(kind, memberNamespace(cluster))).filter((e) => e.spec.ownerServiceReference.namespacedName === key);
}

const addresses = (slices: { spec: EndpointSliceExport['spec'] }[]) => slices.flatMap((s) => s.spec.endpoints.flatMap((e) => e.addresses)).sort();

/** Ready pod addresses of the Service on a member, from its own EndpointSlices. */
async function podAddresses(cluster: string): Promise<string[]> {
  const slices = await member(cluster).list<KubeObject & { endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[] }>(CoreResources.endpointSlices, { namespace: ns, labelSelector: `${Labels.serviceName}=kuard` });
  return slices.items.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).flatMap((e) => e.addresses)).sort();
}

async function exportColumns(cluster: string): Promise<string> {
  const r = await lab.kubectl(cluster, ['get', 'serviceexport', 'kuard', '-n', ns, '--no-headers']);
  const [, valid, conflicted] = r.stdout.trim().split(/\s+/);
  return `${valid} ${conflicted}`;
}

async function exportCondition(cluster: string, type: string) {
  return findCondition((await member(cluster).find<ServiceExport>(ServiceExportKind, 'kuard', ns))?.status?.conditions, type);
}

async function importStatus(): Promise<ServiceImport['status']> {
  return (await hub.find<ServiceImport>(ServiceImportKind, 'kuard', ns))?.status;
}

const clustersOf = (s: ServiceImport['status']) => (s?.clusters ?? []).map((c) => c.cluster);

/** Source clusters of the EndpointSliceImports the importer holds for the Service. */
async function importedFrom(): Promise<string[]> {
  return [...new Set((await slicesOf(EndpointSliceImportKind, IMPORTER)).map((e) => e.metadata.labels?.[Labels.mcsSourceCluster] ?? '?'))].sort();
}

const multiClusterService = `
apiVersion: networking.fleet.azure.com/v1alpha1
kind: MultiClusterService
metadata: {name: kuard, namespace: ${ns}}
spec: {serviceImport: {name: kuard}}
`;

/**
 * member-3 imports the Service: a MultiClusterService there, and the InternalServiceImport its
 * agent writes for it (MCS-CONTRACT step 3). The test writes that one too, the same object, so the
 * hub's side is tested whether or not this build's agent has the multiclusterservice controller.
 */
async function importOnMember3(): Promise<void> {
  await kubectlOk(IMPORTER, ['apply', '-f', '-'], multiClusterService);
  await hub.create(InternalServiceImportKind, internalServiceImport()).catch((err: unknown) => {
    if (!isConflict(err)) throw err;
  });
}

/** The MultiClusterService goes, and with the last one on member-3 its agent withdraws the request. */
async function stopImportOnMember3(): Promise<void> {
  await member(IMPORTER).delete(MultiClusterServiceKind, 'kuard', ns);
  await hub.delete(InternalServiceImportKind, `${ns}-kuard`, memberNamespace(IMPORTER));
}

/** What member-3's agent writes when a MultiClusterService there uses the ServiceImport (MCS-CONTRACT step 3). */
function internalServiceImport(): InternalServiceImport {
  return {
    apiVersion: `${InternalServiceImportKind.group}/${InternalServiceImportKind.version}`,
    kind: 'InternalServiceImport',
    metadata: { name: `${ns}-kuard`, namespace: memberNamespace(IMPORTER) },
    spec: { serviceImportReference: { clusterId: IMPORTER, kind: 'ServiceImport', namespace: ns, name: 'kuard', namespacedName: key } },
  };
}

/** The deployed hub's /metrics, read from the node its pod runs on. */
async function hubMetrics(): Promise<string> {
  const pods = await hub.list<KubeObject & { spec?: { nodeName?: string }; status?: { podIP?: string; phase?: string } }>(CoreResources.pods, { namespace: FleetLBNamespace, labelSelector: 'app.kubernetes.io/component=hub' });
  const pod = pods.items.find((p) => p.status?.phase === 'Running' && p.status.podIP && p.spec?.nodeName);
  if (!pod) throw new Error('no running hub pod');
  const r = await lab.exec(pod.spec?.nodeName ?? '', ['curl', '-s', '-m', '5', `http://${pod.status?.podIP}:9130/metrics`]);
  if (r.code !== 0) throw new Error(`curl the hub's metrics: ${r.stderr}`);
  return r.stdout;
}

async function kubectlOk(cluster: string, args: string[], input?: string): Promise<void> {
  const r = await lab.kubectl(cluster, args, input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} on ${cluster}: ${r.stderr}`);
}

beforeAll(async () => {
  // Kept as a promise: should this hook time out, afterAll still waits for the lab and takes it down.
  fleet = ownDeployedFleet('mcs');
  lab = (await fleet).lab;
  hub = new KubeClient(lab.kubeConfig('hub'), { fieldManager: 'mcs-test' });
  for (const m of lab.members) {
    members.set(m.name, new KubeClient(lab.kubeConfig(m.name), { fieldManager: 'mcs-test' }));
    await eventually(`${m.name} joined`, async () => {
      const mc = await hub.find<MemberCluster>(MemberClusterKind, m.name);
      return findCondition(mc?.status?.conditions, 'Healthy')?.status === 'True' ? true : undefined;
    }, 90_000, 500);
  }
  // The ServiceImport lives in the Service's namespace on the hub, where it is placed from.
  await hub.create(CoreResources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  for (const m of ['member-1', 'member-2', 'member-3']) await member(m).create(CoreResources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
}, 900_000);

afterAll(async () => {
  await hub?.delete(InternalServiceImportKind, `${ns}-kuard`, memberNamespace(IMPORTER)).catch(() => false);
  for (const c of members.values()) {
    await c.delete(CoreResources.namespaces, ns).catch(() => false);
    c.close();
  }
  await hub?.delete(CoreResources.namespaces, ns).catch(() => false);
  hub?.close();
  await (await fleet?.catch(() => undefined))?.down();
}, 600_000);

test('a Service exported from two members: ServiceExports True False, one ServiceImport listing both, their endpoints on the hub', async () => {
  // member-1 first: the oldest export decides conflicts.
  for (const m of ['member-1', 'member-2']) {
    await kubectlOk(m, ['apply', '-f', '-'], deployment({ namespace: ns, name: 'kuard', image: IMAGE, replicas: 1, port: 8080 }) + service({ namespace: ns, name: 'kuard', type: 'ClusterIP', port: 8080, portName: 'http' }) + serviceExport);
  }
  for (const m of ['member-1', 'member-2']) {
    await eventually(`${m}: ServiceExport True False`, async () => ((await exportColumns(m)) === 'True False' ? true : undefined), 60_000, 500);
  }
  const status = await eventually('ServiceImport with both clusters', async () => {
    const s = await importStatus();
    return clustersOf(s).length === 2 ? s : undefined;
  }, 30_000, 250);
  expect(status).toEqual({ type: 'ClusterSetIP', sessionAffinity: 'None', ports: [{ name: 'http', protocol: 'TCP', port: 8080, targetPort: 8080 }], clusters: [{ cluster: 'member-1' }, { cluster: 'member-2' }] });
  expect(await exportCondition('member-1', 'Conflict')).toMatchObject({ status: 'False', reason: 'NoConflictFound' });

  for (const m of ['member-1', 'member-2']) {
    const pods = await eventually(`${m}: a ready kuard pod`, async () => {
      const a = await podAddresses(m);
      return a.length === 1 ? a : undefined;
    }, 90_000, 500);
    const eses = await eventually(`${m}: its endpoints exported to the hub`, async () => {
      const e = await slicesOf(EndpointSliceExportKind, m);
      return JSON.stringify(addresses(e)) === JSON.stringify(pods) ? e : undefined;
    }, 30_000, 250);
    for (const e of eses) {
      expect(e.metadata.labels).toMatchObject({ [Labels.mcsServiceName]: 'kuard', [Labels.mcsSourceCluster]: m });
      expect(e.spec.endpointSliceReference.clusterId).toBe(m);
      expect(e.spec.endpoints.every((p) => p.conditions?.ready === true)).toBe(true);
    }
  }
  const ise = await hub.find<InternalServiceExport>(InternalServiceExportKind, `${ns}-kuard`, memberNamespace('member-1'));
  expect(ise?.spec.serviceReference).toMatchObject({ clusterId: 'member-1', namespacedName: key });
}, 300_000);

test('on the hub a member agent writes its own exports and imports, reads the endpoint imports, and nothing of other members', async () => {
  const as = `--as=system:serviceaccount:${FleetLBNamespace}:${memberAgentServiceAccount('member-2')}`;
  const can = async (verb: string, resource: string, namespace: string, ...extra: string[]) => (await lab.kubectl('hub', ['auth', 'can-i', verb, `${resource}.networking.fleet.azure.com`, '-n', namespace, ...extra, as])).stdout.trim();
  const own = memberNamespace('member-2');
  for (const r of ['internalserviceexports', 'endpointsliceexports', 'internalserviceimports']) {
    expect(await can('create', r, own)).toBe('yes');
    expect(await can('delete', r, own)).toBe('yes');
    expect(await can('create', r, memberNamespace('member-1'))).toBe('no');
  }
  expect(await can('watch', 'endpointsliceimports', own)).toBe('yes');
  expect(await can('create', 'endpointsliceimports', own)).toBe('no');
  expect(await can('patch', 'internalserviceexports', own, '--subresource=status')).toBe('no');
  expect(await can('get', 'internalserviceexports', own, '--subresource=status')).toBe('yes');
  expect(await can('get', 'serviceimports', ns)).toBe('no');
}, 60_000);

test('a newer export with another port is conflicted on its member, naming the field and the winner, and left out', async () => {
  await kubectlOk(IMPORTER, ['apply', '-f', '-'], service({ namespace: ns, name: 'kuard', type: 'ClusterIP', port: 9090, targetPort: 8080, portName: 'http' }) + serviceExport);
  await eventually('member-3: ServiceExport True True', async () => ((await exportColumns(IMPORTER)) === 'True True' ? true : undefined), 60_000, 500);
  const conflict = await exportCondition(IMPORTER, 'Conflict');
  expect(conflict?.reason).toBe('PortConflict');
  expect(conflict?.message).toContain('port "http" is TCP/9090 here but TCP/8080');
  expect(conflict?.message).toContain('from cluster "member-1"');
  expect(clustersOf(await importStatus())).toEqual(['member-1', 'member-2']);
  const events = await lab.kubectl(IMPORTER, ['get', 'events', '-n', ns, '--field-selector', 'involvedObject.kind=ServiceExport', '-o', 'jsonpath={.items[*].reason}']);
  expect(events.stdout).toContain('ServiceExportConflictFound');
}, 90_000);

test('an importer gets the endpoints of every served cluster, the import status and the in-use-by annotation', async () => {
  await importOnMember3();
  await eventually('EndpointSliceImports from member-1 and member-2 (not the conflicted member-3)', async () => {
    return JSON.stringify(await importedFrom()) === JSON.stringify(['member-1', 'member-2']) ? true : undefined;
  }, 30_000, 250);
  const esis = await slicesOf(EndpointSliceImportKind, IMPORTER);
  const exported = [...(await slicesOf(EndpointSliceExportKind, 'member-1')), ...(await slicesOf(EndpointSliceExportKind, 'member-2'))];
  expect(addresses(esis)).toEqual(addresses(exported));
  for (const e of esis) expect(e.metadata.labels?.[Labels.mcsServiceName]).toBe('kuard');

  const si = await hub.find<ServiceImport>(ServiceImportKind, 'kuard', ns);
  await eventually('the InternalServiceImport carries the ServiceImport status', async () => {
    const isi = await hub.find<InternalServiceImport>(InternalServiceImportKind, `${ns}-kuard`, memberNamespace(IMPORTER));
    return JSON.stringify(clustersOf(isi?.status)) === JSON.stringify(['member-1', 'member-2']) && isi?.status?.ports?.[0]?.port === 8080 ? true : undefined;
  }, 30_000, 250);
  expect(si?.status?.ports?.[0]?.port).toBe(8080);
  await eventually('ServiceImport annotated with its importer', async () => {
    const a = (await hub.find<ServiceImport>(ServiceImportKind, 'kuard', ns))?.metadata.annotations?.[Annotations.serviceInUseBy];
    return a && JSON.parse(a)[memberNamespace(IMPORTER)] === IMPORTER ? true : undefined;
  }, 30_000, 250);
}, 90_000);

test('weight 0 takes a cluster\'s export and endpoints out, and they come back without it', async () => {
  await kubectlOk('member-2', ['annotate', 'serviceexport', 'kuard', '-n', ns, `${Annotations.weight}=0`, '--overwrite']);
  await eventually('member-2 out of the import and of the importer\'s slices', async () => {
    return JSON.stringify(clustersOf(await importStatus())) === JSON.stringify(['member-1']) && JSON.stringify(await importedFrom()) === JSON.stringify(['member-1']) ? true : undefined;
  }, 30_000, 250);
  expect(await hub.find(InternalServiceExportKind, `${ns}-kuard`, memberNamespace('member-2'))).toBeUndefined();
  expect(await slicesOf(EndpointSliceExportKind, 'member-2')).toEqual([]);
  expect(await exportColumns('member-2')).toBe('True False');

  await kubectlOk('member-2', ['annotate', 'serviceexport', 'kuard', '-n', ns, `${Annotations.weight}-`]);
  await eventually('member-2 back', async () => (JSON.stringify(await importedFrom()) === JSON.stringify(['member-1', 'member-2']) ? true : undefined), 30_000, 250);
}, 90_000);

test('a member whose agent stops has its endpoints withdrawn from the importer within the documented bound after its heartbeat deadline', async () => {
  await kubectlOk('member-2', ['scale', 'deployment', 'fleetlb-member-agent', '-n', FleetLBNamespace, '--replicas=0']);
  try {
    const goneAt = await eventually('member-2\'s endpoints withdrawn', async () => ((await importedFrom()).includes('member-2') ? undefined : Date.now()), 120_000, 250);
    const mc = await hub.find<MemberCluster>(MemberClusterKind, 'member-2');
    const beat = Date.parse(memberAgent(mc?.status?.agentStatus)?.lastReceivedHeartbeat ?? '');
    const deadline = beat + (mc?.spec.heartbeatPeriodSeconds ?? 60) * 1000 * DEFAULT_MISSED_HEARTBEATS;
    process.stderr.write(`member-2's endpoints withdrawn ${((goneAt - deadline) / 1000).toFixed(2)} s after its heartbeat deadline (bound ${DeadClusterBoundMs / 1000} s)\n`);
    // Not before the deadline (the heartbeat decides), and within the bound after it (the poll adds up to 250 ms).
    expect(goneAt).toBeGreaterThanOrEqual(deadline - 500);
    expect(goneAt - deadline).toBeLessThanOrEqual(DeadClusterBoundMs + 500);
    expect(await importedFrom()).toEqual(['member-1']);
    // The bound and the withdrawal, as the hub's metrics tell an operator.
    const metrics = await hubMetrics();
    expect(metrics).toMatch(/^fleetlb_dead_cluster_withdrawal_bound_seconds 10$/m);
    const count = Number(/^fleetlb_dead_cluster_withdrawal_delay_seconds_count (\d+)$/m.exec(metrics)?.[1] ?? 0);
    const withinBound = Number(/^fleetlb_dead_cluster_withdrawal_delay_seconds_bucket\{le="10"\} (\d+)$/m.exec(metrics)?.[1] ?? -1);
    expect(count).toBeGreaterThanOrEqual(1);
    expect(withinBound).toBe(count);
  } finally {
    await kubectlOk('member-2', ['scale', 'deployment', 'fleetlb-member-agent', '-n', FleetLBNamespace, '--replicas=2']);
  }
  await eventually('member-2 served again once its agent is back', async () => (JSON.stringify(await importedFrom()) === JSON.stringify(['member-1', 'member-2']) ? true : undefined), 120_000, 500);
}, 300_000);

test('deleting the import (its MultiClusterService), a Service, its export and a whole namespace, in that order, leaves nothing behind', async () => {
  await stopImportOnMember3();
  await eventually('the importer\'s slices gone, and the annotation', async () => {
    const si = await hub.find<ServiceImport>(ServiceImportKind, 'kuard', ns);
    return (await slicesOf(EndpointSliceImportKind, IMPORTER)).length === 0 && !si?.metadata.annotations?.[Annotations.serviceInUseBy] ? true : undefined;
  }, 30_000, 250);

  // The Service before its export: the export turns invalid and is withdrawn.
  await member('member-1').delete(CoreResources.services, 'kuard', ns);
  await eventually('member-1: ServiceExport False, its hub objects gone', async () => {
    const valid = await exportCondition('member-1', 'Valid');
    const ise = await hub.find(InternalServiceExportKind, `${ns}-kuard`, memberNamespace('member-1'));
    return valid?.status === 'False' && valid.reason === 'ServiceNotFound' && !ise && (await slicesOf(EndpointSliceExportKind, 'member-1')).length === 0 ? true : undefined;
  }, 30_000, 250);
  expect(clustersOf(await importStatus())).not.toContain('member-1');
  await member('member-1').delete(ServiceExportKind, 'kuard', ns);
  await eventually('member-1: ServiceExport gone (its finalizer let go)', async () => ((await member('member-1').find(ServiceExportKind, 'kuard', ns)) ? undefined : true), 30_000, 250);

  // A whole namespace, export and Service together.
  await member('member-2').delete(CoreResources.namespaces, ns);
  await eventually('member-2: hub objects and namespace gone', async () => {
    const ise = await hub.find(InternalServiceExportKind, `${ns}-kuard`, memberNamespace('member-2'));
    return !ise && (await slicesOf(EndpointSliceExportKind, 'member-2')).length === 0 && !(await member('member-2').find(CoreResources.namespaces, ns)) ? true : undefined;
  }, 60_000, 250);

  // The export before its Service.
  await member(IMPORTER).delete(ServiceExportKind, 'kuard', ns);
  await eventually('member-3: export gone', async () => ((await member(IMPORTER).find(ServiceExportKind, 'kuard', ns)) ? undefined : true), 30_000, 250);
  await member(IMPORTER).delete(CoreResources.services, 'kuard', ns);

  await eventually('nothing of the Service left on the hub', async () => {
    for (const m of ['member-1', 'member-2', 'member-3']) {
      if (await hub.find(InternalServiceExportKind, `${ns}-kuard`, memberNamespace(m))) return undefined;
      if ((await slicesOf(EndpointSliceExportKind, m)).length > 0 || (await slicesOf(EndpointSliceImportKind, m)).length > 0) return undefined;
    }
    return (await hub.find(ServiceImportKind, 'kuard', ns)) ? undefined : true;
  }, 30_000, 250);
}, 180_000);

test('a member that leaves the fleet is withdrawn from the importer at once, and its ServiceExport can still be deleted', async () => {
  await kubectlOk('member-1', ['apply', '-f', '-'], service({ namespace: ns, name: 'kuard', type: 'ClusterIP', port: 8080, portName: 'http' }) + serviceExport);
  await importOnMember3();
  await eventually('member-1 served to member-3', async () => (JSON.stringify(await importedFrom()) === JSON.stringify(['member-1']) ? true : undefined), 60_000, 250);

  const leftAt = Date.now();
  await hub.delete(MemberClusterKind, 'member-1');
  // A member that leaves is out at once (no heartbeat deadline to wait for): well within the bound.
  await eventually('member-1 withdrawn', async () => ((await importedFrom()).includes('member-1') ? undefined : true), DeadClusterBoundMs, 100);
  process.stderr.write(`member-1's endpoints withdrawn ${((Date.now() - leftAt) / 1000).toFixed(2)} s after it was told to leave\n`);

  // Once it has left, its hub namespace (and its Role there) is gone; deleting the export must not hang on the hub.
  await eventually('member-1 left: its hub namespace gone', async () => ((await hub.find(CoreResources.namespaces, memberNamespace('member-1'))) ? undefined : true), 180_000, 500);
  await member('member-1').delete(ServiceExportKind, 'kuard', ns);
  await eventually('member-1: ServiceExport released', async () => ((await member('member-1').find(ServiceExportKind, 'kuard', ns)) ? undefined : true), 60_000, 250);
  await stopImportOnMember3();
}, 360_000);
