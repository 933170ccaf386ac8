import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { MemberClusterKind, type MemberCluster } from '../../api/cluster.js';
import { memberNamespace } from '../../api/labels.js';
import { ClusterResourcePlacementKind, WorkKind, type ClusterResourcePlacement, type Work } from '../../api/placement.js';
import { LAB_HEARTBEAT_SECONDS, setUpMemberships } from '../../lab/memberships.js';
import { findCondition } from '../../runtime/conditions.js';
import { KubeClient } from '../../runtime/kube-client.js';
import { CoreResources, type KubeObject, type ResourceRef } from '../../runtime/resource.js';
import { describeAsRoot, eventually, ownDeployedFleet, uniqueName, type CommandResult, type TestLab } from '../support/lab.js';

/**
 * The walkthrough's placement on the lab fleet (hub; member-1 and member-2 in eastus; member-3 in
 * westus), with fleetlb deployed as users deploy it: `fleetlb hub` and the member agents run as
 * pods with their own ServiceAccounts, the agents reaching the hub with the credential
 * `lab deploy` gave them. Everything is checked on the real API servers of each cluster.
 */

const DEPLOYMENTS: ResourceRef = { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true };
const SERVICE_EXPORTS: ResourceRef = { group: 'networking.fleet.azure.com', version: 'v1beta1', kind: 'ServiceExport', plural: 'serviceexports', namespaced: true };
const examples = new URL('../../examples/kuard/', import.meta.url);
const MISSED_HEARTBEATS = 3; // deploy/hub/deployment.yaml
const BOUND_MS = LAB_HEARTBEAT_SECONDS * MISSED_HEARTBEATS * 1000;

let lab: TestLab;
let fleet: { lab: TestLab; down: () => Promise<void> } | undefined;
const clients = new Map<string, KubeClient>();
const c = (name: string) => clients.get(name) as KubeClient;
const created: string[] = [];

function ok(r: CommandResult, what: string): CommandResult {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.stderr}${r.stdout}`);
  return r;
}

interface Deployment extends KubeObject {
  spec?: { replicas?: number };
  status?: { availableReplicas?: number };
}

async function crpGone(name: string): Promise<void> {
  await c('hub').delete(ClusterResourcePlacementKind, name);
  await eventually(`CRP ${name} gone`, async () => ((await c('hub').find(ClusterResourcePlacementKind, name)) ? undefined : true), 60_000, 500);
}

async function namespaceGone(cluster: string, ns: string): Promise<boolean | undefined> {
  return (await c(cluster).find(CoreResources.namespaces, ns)) ? undefined : true;
}

/** A hub namespace holding one ConfigMap, and a CRP `name` placing it with `policy` (YAML flow). */
async function placeNamespace(name: string, policy: string): Promise<void> {
  ok(await lab.kubectl('hub', ['create', 'namespace', name]), 'create namespace');
  ok(await lab.kubectl('hub', ['-n', name, 'create', 'configmap', 'settings', `--from-literal=placement=${name}`]), 'create configmap');
  created.push(name);
  ok(await lab.apply('hub', `
apiVersion: placement.kubernetes-fleet.io/v1
kind: ClusterResourcePlacement
metadata: {name: ${name}}
spec:
  resourceSelectors: [{group: "", version: v1, kind: Namespace, name: ${name}}]
${policy ? `  policy: ${policy}\n` : ''}`), `apply CRP ${name}`);
}

beforeAll(async () => {
  fleet = await ownDeployedFleet('placement');
  lab = fleet.lab;
  for (const cl of lab.state.clusters) clients.set(cl.name, new KubeClient(lab.kubeConfig(cl.name), { fieldManager: 'placement-test' }));
  // Idempotent: fleetlb as users deploy it, and every member joined.
  for (const m of lab.members) {
    await eventually(`${m.name} joined and healthy`, async () => {
      const mc = await c('hub').find<MemberCluster>(MemberClusterKind, m.name);
      return findCondition(mc?.status?.conditions, 'Healthy')?.status === 'True' && findCondition(mc?.status?.conditions, 'Joined')?.status === 'True' ? true : undefined;
    }, 60_000, 500);
  }
  // A walkthrough left from an earlier run would make the first test pass for the wrong reason.
  await crpGone('kuard-demo');
  for (const m of lab.members) await eventually(`kuard-demo gone from ${m.name}`, () => namespaceGone(m.name, 'kuard-demo'), 90_000, 500);
  await c('hub').delete(CoreResources.namespaces, 'kuard-demo');
  await eventually('kuard-demo gone from the hub', () => namespaceGone('hub', 'kuard-demo'), 90_000, 500);
}, 400_000);

afterAll(async () => {
  for (const name of created) await c('hub').delete(ClusterResourcePlacementKind, name).catch(() => false);
  for (const name of created) await c('hub').delete(CoreResources.namespaces, name).catch(() => false);
  for (const cl of clients.values()) cl.close();
  await fleet?.down();
}, 120_000);

describeAsRoot('placement on the lab fleet', () => {
  test('kubectl get membercluster shows JOINED, AGE, the last heartbeat and the node count', async () => {
    const r = ok(await lab.kubectl('hub', ['get', 'membercluster']), 'kubectl get membercluster');
    const [header, ...rows] = r.stdout.trim().split('\n');
    expect(header?.split(/\s+/).slice(0, 5)).toEqual(['NAME', 'JOINED', 'AGE', 'MEMBER-AGENT-LAST-SEEN', 'NODE-COUNT']);
    expect(rows.map((l) => l.split(/\s+/)).map((f) => [f[0], f[1], f[4]])).toEqual([
      ['member-1', 'True', '2'],
      ['member-2', 'True', '2'],
      ['member-3', 'True', '2'],
    ]);
    // Properties: allocatable CPU and memory, and the Kubernetes version.
    const mc = await c('hub').get<MemberCluster>(MemberClusterKind, 'member-1');
    expect(mc.status?.resourceUsage?.allocatable?.cpu).toBeTruthy();
    expect(mc.status?.resourceUsage?.allocatable?.memory).toMatch(/Mi|Ki|\d/);
    expect(mc.status?.properties?.['k8s.io/k8s-version']?.value).toBe(lab.state.kubernetesVersion);
  });

  test('the walkthrough CRP places kuard-demo on the eastus members only, and its pods run', async () => {
    ok(await lab.kubectl('hub', ['create', 'namespace', 'kuard-demo']), 'create namespace');
    ok(await lab.kubectl('hub', ['apply', '-f', new URL('kuard-export-service.yaml', examples).pathname]), 'apply kuard');
    ok(await lab.kubectl('hub', ['apply', '-f', new URL('crp-2.yaml', examples).pathname]), 'apply crp-2');
    created.push('kuard-demo');
    for (const m of ['member-1', 'member-2']) {
      await eventually(`kuard running on ${m}`, async () => {
        const d = await c(m).find<Deployment>(DEPLOYMENTS, 'kuard', 'kuard-demo');
        return d?.status?.availableReplicas === 2 ? true : undefined;
      }, 120_000, 500);
      expect(await c(m).find(CoreResources.namespaces, 'kuard-demo')).toBeDefined();
      expect(await c(m).find(CoreResources.services, 'kuard', 'kuard-demo')).toBeDefined();
      expect(await c(m).find(SERVICE_EXPORTS, 'kuard', 'kuard-demo')).toBeDefined();
      const pods = (await c(m).list<KubeObject & { status?: { phase?: string } }>(CoreResources.pods, { namespace: 'kuard-demo' })).items;
      expect(pods.filter((p) => p.status?.phase === 'Running')).toHaveLength(2);
    }
    expect(await c('member-3').find(CoreResources.namespaces, 'kuard-demo')).toBeUndefined();
    // The hub's cluster IP stayed on the hub: the member allocated its own.
    const hubSvc = await c('hub').get<KubeObject & { spec: { clusterIP: string } }>(CoreResources.services, 'kuard', 'kuard-demo');
    const memberSvc = await c('member-1').get<KubeObject & { spec: { clusterIP: string } }>(CoreResources.services, 'kuard', 'kuard-demo');
    expect(memberSvc.spec.clusterIP).not.toBe(hubSvc.spec.clusterIP);

    const row = await eventually('kubectl get crp: SCHEDULED True and APPLIED True at generation 1', async () => {
      const r = ok(await lab.kubectl('hub', ['get', 'clusterresourceplacements']), 'kubectl get crp');
      const [header, ...rows] = r.stdout.trim().split('\n');
      expect(header?.split(/\s+/)).toEqual(['NAME', 'GEN', 'SCHEDULED', 'SCHEDULEDGEN', 'APPLIED', 'APPLIEDGEN', 'AGE']);
      const f = rows.find((l) => l.startsWith('kuard-demo '))?.split(/\s+/);
      return f && f.slice(0, 6).join(' ') === 'kuard-demo 1 True 1 True 1' ? f : undefined;
    }, 60_000, 1000);
    expect(row[0]).toBe('kuard-demo');
    const crp = await c('hub').get<ClusterResourcePlacement>(ClusterResourcePlacementKind, 'kuard-demo');
    expect(crp.status?.placementStatuses?.map((p) => p.clusterName)).toEqual(['member-1', 'member-2']);
    expect(crp.status?.selectedResources?.map((r) => `${r.kind}/${r.name}`).sort()).toEqual(['Deployment/kuard', 'Namespace/kuard-demo', 'Service/kuard', 'ServiceExport/kuard']);
  });

  test('drift on a member is put back: a scaled-down Deployment returns to the placed spec', async () => {
    const before = (await c('member-1').get<Deployment>(DEPLOYMENTS, 'kuard', 'kuard-demo')).metadata.generation ?? 0;
    ok(await lab.kubectl('member-1', ['-n', 'kuard-demo', 'scale', 'deployment/kuard', '--replicas=1']), 'scale on member-1');
    const back = await eventually('replicas back to 2 on member-1', async () => {
      const d = await c('member-1').get<Deployment>(DEPLOYMENTS, 'kuard', 'kuard-demo');
      return d.spec?.replicas === 2 ? d : undefined;
    }, 60_000, 500);
    // Two spec changes since: the scale down, and the applier's scale back up.
    expect(back.metadata.generation).toBeGreaterThanOrEqual(before + 2);
  });

  test('changing the affinity to westus moves everything to member-3', async () => {
    ok(await lab.kubectl('hub', ['patch', 'crp', 'kuard-demo', '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/spec/policy/affinity/clusterAffinity/requiredDuringSchedulingIgnoredDuringExecution/clusterSelectorTerms/0/labelSelector/matchLabels/fleet.azure.com~1location', value: 'westus' }])]), 'patch crp');
    await eventually('kuard running on member-3', async () => ((await c('member-3').find<Deployment>(DEPLOYMENTS, 'kuard', 'kuard-demo'))?.status?.availableReplicas === 2 ? true : undefined), 120_000, 500);
    for (const m of ['member-1', 'member-2']) await eventually(`kuard-demo gone from ${m}`, () => namespaceGone(m, 'kuard-demo'), 90_000, 500);
    await eventually('SCHEDULED and APPLIED at generation 2', async () => {
      const crp = await c('hub').get<ClusterResourcePlacement>(ClusterResourcePlacementKind, 'kuard-demo');
      const s = findCondition(crp.status?.conditions, 'ClusterResourcePlacementScheduled');
      const a = findCondition(crp.status?.conditions, 'ClusterResourcePlacementApplied');
      return crp.metadata.generation === 2 && s?.status === 'True' && s.observedGeneration === 2 && a?.status === 'True' && a.observedGeneration === 2 ? true : undefined;
    }, 60_000, 500);
  });

  test('an object removed from the hub is removed from the member (no longer placed)', async () => {
    await c('hub').delete(SERVICE_EXPORTS, 'kuard', 'kuard-demo');
    await eventually('ServiceExport gone from member-3', async () => ((await c('member-3').find(SERVICE_EXPORTS, 'kuard', 'kuard-demo')) ? undefined : true), 60_000, 1000);
    expect(await c('member-3').find(DEPLOYMENTS, 'kuard', 'kuard-demo')).toBeDefined();
  });

  test('deleting the CRP removes everything it placed', async () => {
    await crpGone('kuard-demo');
    await eventually('kuard-demo gone from member-3', () => namespaceGone('member-3', 'kuard-demo'), 90_000, 500);
    const works = (await c('hub').list<Work>(WorkKind)).items.filter((w) => w.metadata.labels?.['kubernetes-fleet.io/parent-CRP'] === 'kuard-demo');
    expect(works).toEqual([]);
  });

  test('PickN 2 with a topology spread over the region picks one cluster per region', async () => {
    const name = uniqueName('spread');
    await placeNamespace(name, '{placementType: PickN, numberOfClusters: 2, topologySpreadConstraints: [{maxSkew: 1, topologyKey: fleet.azure.com/location, whenUnsatisfiable: DoNotSchedule}]}');
    const placed = await eventually('placed on two clusters', async () => {
      const on: string[] = [];
      for (const m of lab.members) if (await c(m.name).find(CoreResources.configMaps, 'settings', name)) on.push(m.name);
      return on.length === 2 ? on : undefined;
    }, 60_000, 500);
    // One per region: member-3 (westus) and exactly one eastus member (member-1 wins the tie by name).
    expect(placed).toEqual(['member-1', 'member-3']);
    await crpGone(name);
    for (const m of placed) await eventually(`${name} gone from ${m}`, () => namespaceGone(m, name), 90_000, 500);
  });

  test('a member whose agent stops is not healthy within the heartbeat bound and gets no new placement', async () => {
    ok(await lab.kubectl('member-3', ['-n', 'fleetlb-system', 'scale', 'deployment/fleetlb-member-agent', '--replicas=0']), 'stop member-3 agent');
    await eventually('agent pods gone on member-3', async () => ((await c('member-3').list(CoreResources.pods, { namespace: 'fleetlb-system', labelSelector: 'app.kubernetes.io/component=member-agent' })).items.length === 0 ? true : undefined), 60_000, 500);
    const healthy = await eventually('member-3 not healthy', async () => {
      const mc = await c('hub').get<MemberCluster>(MemberClusterKind, 'member-3');
      const h = findCondition(mc.status?.conditions, 'Healthy');
      return h?.status === 'False' ? { h, beat: mc.status?.agentStatus?.[0]?.lastReceivedHeartbeat ?? '' } : undefined;
    }, BOUND_MS + 30_000, 500);
    // Marked within the bound (plus the hub's re-check second and the API's second-resolution times).
    expect(Date.parse(healthy.h.lastTransitionTime) - Date.parse(healthy.beat)).toBeLessThanOrEqual(BOUND_MS + 3000);
    expect(healthy.h.reason).toBe('MemberAgentHeartbeatOverdue');

    const name = uniqueName('everywhere');
    await placeNamespace(name, '');
    const crp = await eventually('scheduled', async () => {
      const x = await c('hub').get<ClusterResourcePlacement>(ClusterResourcePlacementKind, name);
      return findCondition(x.status?.conditions, 'ClusterResourcePlacementApplied')?.status === 'True' ? x : undefined;
    }, 60_000, 500);
    expect(crp.status?.placementStatuses?.map((p) => p.clusterName)).toEqual(['member-1', 'member-2']);
    expect((await c('hub').list<Work>(WorkKind, { namespace: memberNamespace('member-3') })).items).toEqual([]);
    await crpGone(name);

    ok(await lab.kubectl('member-3', ['-n', 'fleetlb-system', 'scale', 'deployment/fleetlb-member-agent', '--replicas=2']), 'restart member-3 agent');
    await eventually('member-3 healthy again', async () => (findCondition((await c('hub').get<MemberCluster>(MemberClusterKind, 'member-3')).status?.conditions, 'Healthy')?.status === 'True' ? true : undefined), 90_000, 500);
  });

  test('deleting a MemberCluster cleans both sides: placed objects on the member, its namespace on the hub', async () => {
    const name = uniqueName('leave');
    await placeNamespace(name, '{placementType: PickFixed, clusterNames: [member-3]}');
    await eventually('placed on member-3', async () => ((await c('member-3').find(CoreResources.configMaps, 'settings', name)) ? true : undefined), 60_000, 500);

    await c('hub').delete(MemberClusterKind, 'member-3');
    await eventually('MemberCluster member-3 gone', async () => ((await c('hub').find(MemberClusterKind, 'member-3')) ? undefined : true), 90_000, 500);
    await eventually('placed namespace gone from member-3', () => namespaceGone('member-3', name), 90_000, 500);
    await eventually('fleet-member-member-3 gone from the hub', () => namespaceGone('hub', memberNamespace('member-3')), 90_000, 500);
    const crp = await eventually('the CRP says member-3 is not there', async () => {
      const x = await c('hub').get<ClusterResourcePlacement>(ClusterResourcePlacementKind, name);
      return findCondition(x.status?.conditions, 'ClusterResourcePlacementScheduled')?.status === 'False' ? x : undefined;
    }, 60_000, 500);
    expect(findCondition(crp.status?.conditions, 'ClusterResourcePlacementScheduled')?.message).toContain('member-3 (no such member cluster)');
    await crpGone(name);

    // Join again, as an operator would, so the fleet is whole for whatever runs next.
    await setUpMemberships(lab.state);
    await eventually('member-3 joined again', async () => {
      const mc = await c('hub').find<MemberCluster>(MemberClusterKind, 'member-3');
      return findCondition(mc?.status?.conditions, 'Joined')?.status === 'True' && findCondition(mc?.status?.conditions, 'Healthy')?.status === 'True' ? true : undefined;
    }, 120_000, 500);
  });
});
