import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { MemberClusterKind, type MemberCluster } from '../../api/cluster.js';
import { memberNamespace } from '../../api/labels.js';
import { InternalServiceExportKind, ServiceImportKind, type InternalServiceExport, type ServiceImport } from '../../api/networking.js';
import { findCondition } from '../../runtime/conditions.js';
import { KubeClient } from '../../runtime/kube-client.js';
import { CoreResources } from '../../runtime/resource.js';
import { eventually, ownDeployedFleet, uniqueName, type TestLab } from '../support/lab.js';

/**
 * Multi-cluster services on the lab fleet, with `fleetlb hub` running as a pod with its own RBAC.
 * This build has the hub side: the test writes the InternalServiceExports a member agent writes
 * (into the members' hub namespaces, on the real hub API server) and checks what the hub makes of
 * them — the ServiceImport, the MCS API conflict verdicts, and cleanup when exports go.
 */

let lab: TestLab;
let fleet: { lab: TestLab; down: () => Promise<void> } | undefined;
let hub: KubeClient;
const ns = uniqueName('mcs');

function exportOf(cluster: string, since: string, port: number): InternalServiceExport {
  return {
    apiVersion: `${InternalServiceExportKind.group}/${InternalServiceExportKind.version}`,
    kind: 'InternalServiceExport',
    metadata: { name: `${ns}-kuard`, namespace: memberNamespace(cluster) },
    spec: {
      ports: [{ name: 'http', protocol: 'TCP', port, targetPort: 8080 }],
      serviceReference: { clusterId: cluster, kind: 'Service', namespace: ns, name: 'kuard', namespacedName: `${ns}/kuard`, exportedSince: since },
      type: 'ClusterIP',
      weight: 1,
    },
  };
}

async function importStatus(): Promise<ServiceImport['status']> {
  return (await hub.find<ServiceImport>(ServiceImportKind, 'kuard', ns))?.status;
}

async function conflictOf(cluster: string) {
  const ise = await hub.find<InternalServiceExport>(InternalServiceExportKind, `${ns}-kuard`, memberNamespace(cluster));
  return findCondition(ise?.status?.conditions, 'Conflict');
}

beforeAll(async () => {
  fleet = await ownDeployedFleet('mcs');
  lab = fleet.lab;
  hub = new KubeClient(lab.kubeConfig('hub'), { fieldManager: 'mcs-test' });
  for (const m of lab.members) {
    await eventually(`${m.name} joined`, async () => {
      const mc = await hub.find<MemberCluster>(MemberClusterKind, m.name);
      return findCondition(mc?.status?.conditions, 'Healthy')?.status === 'True' ? true : undefined;
    }, 90_000, 500);
  }
  await hub.create(CoreResources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
}, 400_000);

afterAll(async () => {
  for (const m of lab.members) await hub.delete(InternalServiceExportKind, `${ns}-kuard`, memberNamespace(m.name)).catch(() => false);
  await hub.delete(CoreResources.namespaces, ns).catch(() => false);
  hub.close();
  await fleet?.down();
}, 120_000);

test('exports from two members become one ServiceImport listing both, neither conflicted', async () => {
  await hub.create(InternalServiceExportKind, exportOf('member-1', '2026-01-01T00:00:01Z', 8080));
  await hub.create(InternalServiceExportKind, exportOf('member-2', '2026-01-01T00:00:02Z', 8080));
  const status = await eventually('ServiceImport with both clusters', async () => {
    const s = await importStatus();
    return s?.clusters?.length === 2 ? s : undefined;
  }, 30_000, 250);
  expect(status).toEqual({ type: 'ClusterSetIP', sessionAffinity: 'None', ports: [{ name: 'http', protocol: 'TCP', port: 8080, targetPort: 8080 }], clusters: [{ cluster: 'member-1' }, { cluster: 'member-2' }] });
  for (const m of ['member-1', 'member-2']) await eventually(`${m} not conflicted`, async () => ((await conflictOf(m))?.status === 'False' ? true : undefined), 30_000, 250);
}, 90_000);

test('a newer export with another port is conflicted, names the field and the winner, and is left out', async () => {
  await hub.create(InternalServiceExportKind, exportOf('member-3', '2026-01-01T00:00:03Z', 9090));
  const conflict = await eventually('member-3 conflicted', async () => {
    const c = await conflictOf('member-3');
    return c?.status === 'True' ? c : undefined;
  }, 30_000, 250);
  expect(conflict.reason).toBe('PortConflict');
  expect(conflict.message).toContain('port "http" is TCP/9090 here but TCP/8080');
  expect(conflict.message).toContain('from cluster "member-1"');
  expect((await importStatus())?.clusters).toEqual([{ cluster: 'member-1' }, { cluster: 'member-2' }]);
}, 60_000);

test('when the exports that won go, the next oldest decides; the last one gone takes the import with it', async () => {
  await hub.delete(InternalServiceExportKind, `${ns}-kuard`, memberNamespace('member-1'));
  await hub.delete(InternalServiceExportKind, `${ns}-kuard`, memberNamespace('member-2'));
  // The finalizer lets them go only once the import no longer lists them.
  await eventually('member-1 and member-2 exports gone', async () => {
    const a = await hub.find(InternalServiceExportKind, `${ns}-kuard`, memberNamespace('member-1'));
    const b = await hub.find(InternalServiceExportKind, `${ns}-kuard`, memberNamespace('member-2'));
    return !a && !b ? true : undefined;
  }, 30_000, 250);
  const status = await eventually('member-3 alone in the import', async () => {
    const s = await importStatus();
    return s?.clusters?.length === 1 && s.clusters[0]?.cluster === 'member-3' ? s : undefined;
  }, 30_000, 250);
  expect(status.ports).toEqual([{ name: 'http', protocol: 'TCP', port: 9090, targetPort: 8080 }]);
  await eventually('member-3 no longer conflicted', async () => ((await conflictOf('member-3'))?.status === 'False' ? true : undefined), 30_000, 250);
  await hub.delete(InternalServiceExportKind, `${ns}-kuard`, memberNamespace('member-3'));
  await eventually('ServiceImport gone', async () => ((await hub.find(ServiceImportKind, 'kuard', ns)) ? undefined : true), 30_000, 250);
  // The hub lets the last export go (its finalizer) once the import no longer lists it.
  await eventually('member-3 export gone', async () => ((await hub.find(InternalServiceExportKind, `${ns}-kuard`, memberNamespace('member-3'))) ? undefined : true), 30_000, 250);
}, 90_000);
