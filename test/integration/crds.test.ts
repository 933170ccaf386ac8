import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import {
  AllKinds,
  Annotations,
  ClusterResourcePlacementConditions,
  Labels,
  MultiClusterServiceConditions,
  ServiceExportConditions,
  type Condition,
} from '../../api/index.js';
import { eventually, testLab, uniqueName, type CommandResult, type TestLab } from '../support/lab.js';

/**
 * The CRDs in crds/ against a real kube-apiserver: they install, the anchors' manifests and our
 * examples apply unchanged, bad input is refused with the offending field named, and `kubectl get`
 * prints the walkthrough's columns.
 */

const repo = new URL('../../', import.meta.url);
const crdDir = new URL('crds/', repo).pathname;
const exampleDir = new URL('examples/', repo).pathname;
const CLUSTERS = ['hub', 'member-1'] as const;
type Cluster = (typeof CLUSTERS)[number];

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: unknown }; [k: string]: unknown };

function ok(r: CommandResult, what: string): CommandResult {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.stderr}${r.stdout}`);
  return r;
}

/** kubectl output as rows of cells: columns are separated by at least two spaces. */
function table(stdout: string): string[][] {
  return stdout.trimEnd().split('\n').map((line) => line.trim().split(/\s{2,}/));
}

function condition(type: string, status: Condition['status'], reason: string, generation?: number): Condition {
  return { type, status, reason, message: '', lastTransitionTime: '2026-01-01T00:00:00Z', ...(generation !== undefined ? { observedGeneration: generation } : {}) };
}

function yamlDocs(path: string): Manifest[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS() as Manifest).filter((m) => m !== null);
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.yaml')).sort().map((f) => `${dir}${f}`);
}

const crdNames = yamlFiles(crdDir).flatMap(yamlDocs).filter((m) => m.kind === 'CustomResourceDefinition').map((m) => m.metadata.name);

let lab: TestLab;
/** A namespace of this run on each cluster. */
const ns: Record<Cluster, string> = { hub: uniqueName('crds'), 'member-1': uniqueName('crds') };
/** Cluster-scoped objects this run created, to delete afterwards. */
const clusterScoped: { cluster: Cluster; resource: string; name: string }[] = [];

async function install(cluster: Cluster): Promise<void> {
  await lab.installCrds(cluster);
  ok(await lab.kubectl(cluster, ['create', 'namespace', ns[cluster]]), `creating namespace ${ns[cluster]}`);
}

/** `kubectl apply --dry-run=server --validate=strict` of one object (JSON is YAML). */
function dryRun(cluster: Cluster, m: Manifest): Promise<CommandResult> {
  return lab.apply(cluster, JSON.stringify(m), ['--dry-run=server', '--validate=strict']);
}

describe('fleetlb CRDs on a real API server', () => {
  beforeAll(async () => {
    lab = await testLab();
    await Promise.all(CLUSTERS.map((c) => install(c)));
    // An admission policy starts to act a moment after it is created: wait until it does.
    for (const c of CLUSTERS) {
      await eventually(`the ServiceExport weight policy to act on ${c}`, async () => {
        const r = await dryRun(c, serviceExport(ns[c], 'probe', '5000'));
        return r.code !== 0 && r.stderr.includes('ValidatingAdmissionPolicy') ? true : undefined;
      }, 30_000);
    }
  }, 170_000);

  afterAll(async () => {
    if (!lab) return;
    for (const o of clusterScoped) await lab.kubectl(o.cluster, ['delete', o.resource, o.name, '--ignore-not-found', '--wait=false']);
    for (const c of CLUSTERS) await lab.kubectl(c, ['delete', 'namespace', ns[c], '--ignore-not-found', '--wait=false']);
  });

  test('every CRD is established with its names accepted, on the hub and on a member', async () => {
    expect(crdNames).toHaveLength(AllKinds.length);
    for (const c of CLUSTERS) {
      const r = ok(await lab.kubectl(c, ['get', 'crd', '-l', `${Labels.partOf}=fleetlb`, '-o', 'json']), 'listing CRDs');
      const items = (JSON.parse(r.stdout) as { items: { metadata: { name: string }; status: { conditions?: Condition[] } }[] }).items;
      for (const name of crdNames) {
        const crd = items.find((i) => i.metadata.name === name);
        expect({ name, conditions: crd?.status.conditions?.filter((x) => x.type !== 'NonStructuralSchema').map((x) => `${x.type}=${x.status}`).sort() }).toEqual({
          name,
          conditions: ['Established=True', 'NamesAccepted=True'],
        });
      }
    }
  });

  describe('the example manifests apply unchanged, with no unknown fields', () => {
    // Where the walkthrough applies each file; MetalLB objects go to a member.
    const clusterOf = (file: string): Cluster => (file.endsWith('kuard-export-service.yaml') || file.endsWith('crp-2.yaml') ? 'hub' : 'member-1');
    const files = yamlFiles(exampleDir);

    test('there is an example of every metallb.io kind and the three walkthrough files', () => {
      const names = files.map((f) => f.slice(exampleDir.length));
      expect(names).toEqual(expect.arrayContaining(['kuard/kuard-export-service.yaml', 'kuard/crp-2.yaml', 'kuard/kuard-mcs.yaml']));
      const kinds = new Set(files.flatMap(yamlDocs).map((m) => `${m.apiVersion}/${m.kind}`));
      for (const k of AllKinds.filter((x) => x.group === 'metallb.io')) for (const v of k.versions) expect([...kinds]).toContain(`metallb.io/${v}/${k.kind}`);
    });

    test.each(files.map((f) => [f.slice(exampleDir.length), f] as const))('%s', async (_name, file) => {
      const cluster = clusterOf(file);
      const docs = yamlDocs(file);
      // Namespaced objects are created for real, moved into this run's namespace so runs never
      // collide; cluster-scoped ones (the placement) go through a server-side dry run.
      const namespaced = docs.filter((d) => d.metadata.namespace !== undefined).map((d) => ({ ...d, metadata: { ...d.metadata, namespace: ns[cluster] } }));
      const clusterWide = docs.filter((d) => d.metadata.namespace === undefined);
      if (namespaced.length > 0) {
        const r = ok(await lab.apply(cluster, namespaced.map((d) => JSON.stringify(d)).join('\n---\n'), ['--validate=strict']), `applying ${file}`);
        expect(r.stdout.trim().split('\n').filter((l) => / created$/.test(l))).toHaveLength(namespaced.length);
        expect(r.stderr.split('\n').filter((l) => l !== '' && !/deprecated/.test(l))).toEqual([]);
      }
      for (const d of clusterWide) {
        const r = ok(await dryRun(cluster, d), `dry-run of ${d.kind} ${d.metadata.name} from ${file}`);
        expect(r.stdout).toContain(`/${d.metadata.name} created (server dry run)`);
      }
    });
  });

  describe('bad input is refused, naming the field; the same object with the field fixed is accepted', () => {
    const m = 'member-1' as const;
    const pool = (...addresses: string[]): Manifest => ({
      apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'pool', namespace: ns[m] }, spec: { addresses },
    });
    const peer = (spec: Record<string, unknown>, version = 'v1beta2'): Manifest => ({
      apiVersion: `metallb.io/${version}`, kind: 'BGPPeer', metadata: { name: 'router', namespace: ns[m] },
      spec: { myASN: 64512, peerAddress: '192.0.2.1', ...('dynamicASN' in spec ? {} : { peerASN: 64513 }), ...spec },
    });
    const crp = (spec: Record<string, unknown>): Manifest => ({
      apiVersion: 'placement.kubernetes-fleet.io/v1', kind: 'ClusterResourcePlacement', metadata: { name: uniqueName('crp') },
      spec: { resourceSelectors: [{ group: '', version: 'v1', kind: 'Namespace', name: 'kuard-demo' }], ...spec },
    });
    const ise = (weight: number): Manifest => ({
      apiVersion: 'networking.fleet.azure.com/v1alpha1', kind: 'InternalServiceExport', metadata: { name: 'kuard-demo-kuard', namespace: ns.hub },
      spec: {
        ports: [{ port: 8080, protocol: 'TCP' }], weight,
        serviceReference: { clusterId: 'member-1', kind: 'Service', namespace: 'kuard-demo', name: 'kuard', namespacedName: 'kuard-demo/kuard' },
      },
    });
    const slice = (addressType: string, addresses: string[]): Manifest => ({
      apiVersion: 'networking.fleet.azure.com/v1alpha1', kind: 'EndpointSliceExport', metadata: { name: 'member-1-kuard-demo-kuard-abcde', namespace: ns.hub },
      spec: {
        addressType,
        endpoints: addresses.map((a) => ({ addresses: [a], conditions: { ready: false, serving: true, terminating: true } })),
        ports: [{ port: 8080, protocol: 'TCP' }],
        endpointSliceReference: { clusterId: 'member-1', kind: 'EndpointSlice', namespace: 'kuard-demo', name: 'kuard-abcde', namespacedName: 'kuard-demo/kuard-abcde' },
        ownerServiceReference: { namespace: 'kuard-demo', name: 'kuard', namespacedName: 'kuard-demo/kuard' },
      },
    });

    interface Case {
      what: string;
      cluster: Cluster;
      bad: Manifest;
      good: Manifest;
      /** The path that must appear in the error. */
      field: string;
    }
    const cases: Case[] = [
      { what: 'a pool address that is a word', cluster: m, bad: pool('198.51.100.0/28', 'banana'), good: pool('198.51.100.0/28', '198.51.100.64/28'), field: 'spec.addresses[1]' },
      { what: 'a pool address that is a bare IP', cluster: m, bad: pool('198.51.100.7'), good: pool('198.51.100.7/32'), field: 'spec.addresses[0]' },
      { what: 'a pool CIDR with a prefix too long', cluster: m, bad: pool('198.51.100.0/33'), good: pool('198.51.100.0/32'), field: 'spec.addresses[0]' },
      { what: 'an IPv4 range ending before it starts', cluster: m, bad: pool('198.51.100.0/28', '198.51.100.20-198.51.100.10'), good: pool('198.51.100.0/28', '198.51.100.10-198.51.100.20'), field: 'spec.addresses[1]' },
      { what: 'an IPv4 range ending before it starts in an earlier octet', cluster: m, bad: pool('198.51.101.1-198.51.100.254'), good: pool('198.51.100.254-198.51.101.1'), field: 'spec.addresses[0]' },
      { what: 'an IPv6 range ending before it starts', cluster: m, bad: pool('2001:db8:100::1:0-2001:db8:100::ffff'), good: pool('2001:db8:100::ffff-2001:db8:100::1:0'), field: 'spec.addresses[0]' },
      { what: 'a range mixing IPv4 and IPv6', cluster: m, bad: pool('198.51.100.10-2001:db8:100::10'), good: pool('198.51.100.10-198.51.100.10', '2001:db8:100::10-2001:db8:100::10'), field: 'spec.addresses[0]' },
      { what: 'myASN 0', cluster: m, bad: peer({ myASN: 0 }), good: peer({ myASN: 1 }), field: 'spec.myASN' },
      { what: 'myASN above 4294967295', cluster: m, bad: peer({ myASN: 4294967296 }), good: peer({ myASN: 4294967295 }), field: 'spec.myASN' },
      { what: 'peerASN 0', cluster: m, bad: peer({ peerASN: 0 }), good: peer({ peerASN: 65000 }), field: 'spec.peerASN' },
      { what: 'localASN above 4294967295', cluster: m, bad: peer({ localASN: 4294967296 }), good: peer({ localASN: 4200000000 }), field: 'spec.localASN' },
      { what: 'a hold time of 1s', cluster: m, bad: peer({ holdTime: '1s' }), good: peer({ holdTime: '0s' }), field: 'spec.holdTime' },
      { what: 'a hold time of 2s', cluster: m, bad: peer({ holdTime: '2s' }), good: peer({ holdTime: '3s' }), field: 'spec.holdTime' },
      { what: 'a hold time that is not a duration', cluster: m, bad: peer({ holdTime: 'soon' }), good: peer({ holdTime: '1m30s' }), field: 'spec.holdTime' },
      { what: 'keepaliveTime above holdTime', cluster: m, bad: peer({ holdTime: '9s', keepaliveTime: '10s' }), good: peer({ holdTime: '9s', keepaliveTime: '3s' }), field: 'spec.keepaliveTime' },
      { what: 'peerASN together with dynamicASN', cluster: m, bad: peer({ dynamicASN: 'external', peerASN: 64513 }), good: peer({ dynamicASN: 'external' }), field: 'spec.dynamicASN' },
      { what: 'an unknown dynamicASN mode', cluster: m, bad: peer({ dynamicASN: 'sideways' }), good: peer({ dynamicASN: 'internal' }), field: 'spec.dynamicASN' },
      { what: 'the same, in the deprecated v1beta1 BGPPeer', cluster: m, bad: peer({ holdTime: '2s' }, 'v1beta1'), good: peer({ holdTime: '90s' }, 'v1beta1'), field: 'spec.holdTime' },
      { what: 'an unknown placement type', cluster: 'hub', bad: crp({ policy: { placementType: 'PickSome' } }), good: crp({ policy: { placementType: 'PickAll' } }), field: 'spec.policy.placementType' },
      { what: 'placing a reserved namespace', cluster: 'hub', bad: crp({ resourceSelectors: [{ group: '', version: 'v1', kind: 'Namespace', name: 'kube-system' }] }), good: crp({}), field: 'spec.resourceSelectors[0].name' },
      { what: 'an export weight above 1000', cluster: 'hub', bad: ise(1001), good: ise(1000), field: 'spec.weight' },
      { what: 'an export weight below 0', cluster: 'hub', bad: ise(-1), good: ise(0), field: 'spec.weight' },
      { what: 'an IPv6 address in an IPv4 endpoint slice', cluster: 'hub', bad: slice('IPv4', ['198.18.0.10', '2001:db8:1000::10']), good: slice('IPv6', ['2001:db8:1000::10', '2001:db8:1000::11']), field: 'spec.endpoints' },
      { what: 'an endpoint address that is not an IP', cluster: 'hub', bad: slice('IPv4', ['198.18.0.300']), good: slice('IPv4', ['198.18.0.30']), field: 'spec.endpoints[0].addresses[0]' },
      {
        what: 'a MultiClusterService naming an impossible ServiceImport', cluster: m,
        bad: { apiVersion: 'networking.fleet.azure.com/v1alpha1', kind: 'MultiClusterService', metadata: { name: 'kuard', namespace: ns[m] }, spec: { serviceImport: { name: 'Kuard_1' } } },
        good: { apiVersion: 'networking.fleet.azure.com/v1alpha1', kind: 'MultiClusterService', metadata: { name: 'kuard', namespace: ns[m] }, spec: { serviceImport: { name: 'kuard-1' } } },
        field: 'spec.serviceImport.name',
      },
    ];
    for (const weight of ['1001', '-1', 'heavy']) {
      for (const cluster of CLUSTERS) {
        cases.push({
          what: `a ServiceExport weight annotation of "${weight}" on ${cluster}`, cluster,
          bad: serviceExport(ns[cluster], 'kuard', weight), good: serviceExport(ns[cluster], 'kuard', weight === '-1' ? '0' : '1000'),
          field: `metadata.annotations[${Annotations.weight}]`,
        });
      }
    }

    test.each(cases.map((c) => [c.what, c] as const))('%s', async (_what, c) => {
      const bad = await dryRun(c.cluster, c.bad);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain(c.field);
      ok(await dryRun(c.cluster, c.good), `the corrected ${c.good.kind}`);
    });
  });

  describe('kubectl get prints the walkthrough columns', () => {
    async function create(cluster: Cluster, m: Manifest, status: Record<string, unknown>): Promise<void> {
      ok(await lab.apply(cluster, JSON.stringify(m), ['--validate=strict']), `creating ${m.kind} ${m.metadata.name}`);
      if (m.metadata.namespace === undefined) clusterScoped.push({ cluster, resource: `${m.kind.toLowerCase()}.${m.apiVersion.split('/')[0]}`, name: m.metadata.name });
      const where = m.metadata.namespace !== undefined ? ['-n', m.metadata.namespace] : [];
      const resource = `${m.kind.toLowerCase()}.${m.apiVersion.split('/')[0]}`;
      ok(await lab.kubectl(cluster, ['patch', resource, m.metadata.name, ...where, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]), `writing the status of ${m.kind} ${m.metadata.name}`);
    }

    test('serviceexport: NAME IS-VALID IS-CONFLICTED AGE, reading the Valid and Conflict conditions', async () => {
      const c = 'member-1' as const;
      await create(c, serviceExport(ns[c], 'kuard'), {
        conditions: [condition(ServiceExportConditions.Valid, 'True', 'ServiceIsValid'), condition(ServiceExportConditions.Conflict, 'False', 'NoConflictFound')],
      });
      const t = table(ok(await lab.kubectl(c, ['get', 'serviceexport', 'kuard', '--namespace', ns[c]]), 'kubectl get serviceexport').stdout);
      expect(t[0]).toEqual(['NAME', 'IS-VALID', 'IS-CONFLICTED', 'AGE']);
      expect(t[1]!.slice(0, 3)).toEqual(['kuard', 'True', 'False']);
      // The short name works too.
      expect(table(ok(await lab.kubectl(c, ['get', 'svcexport', '-n', ns[c]]), 'kubectl get svcexport').stdout)[0]).toEqual(['NAME', 'IS-VALID', 'IS-CONFLICTED', 'AGE']);
    });

    test('multiclusterservice (mcs): NAME SERVICE-IMPORT EXTERNAL-IP IS-VALID AGE', async () => {
      const c = 'member-1' as const;
      const mcs: Manifest = { apiVersion: 'networking.fleet.azure.com/v1alpha1', kind: 'MultiClusterService', metadata: { name: 'kuard', namespace: ns[c] }, spec: { serviceImport: { name: 'kuard' } } };
      await create(c, mcs, {
        loadBalancer: { ingress: [{ ip: '198.51.100.10' }, { ip: '2001:db8:100::10' }] },
        conditions: [condition(MultiClusterServiceConditions.Valid, 'True', 'FoundServiceImport')],
      });
      for (const resource of ['multiclusterservice', 'mcs']) {
        const t = table(ok(await lab.kubectl(c, ['get', resource, 'kuard', '--namespace', ns[c]]), `kubectl get ${resource}`).stdout);
        expect(t[0]).toEqual(['NAME', 'SERVICE-IMPORT', 'EXTERNAL-IP', 'IS-VALID', 'AGE']);
        expect(t[1]!.slice(0, 4)).toEqual(['kuard', 'kuard', '198.51.100.10', 'True']);
      }
    });

    test('clusterresourceplacements (crp): NAME GEN SCHEDULED SCHEDULEDGEN APPLIED APPLIEDGEN AGE, more with -o wide', async () => {
      const c = 'hub' as const;
      const name = uniqueName('kuard-demo');
      const crp: Manifest = { ...yamlDocs(`${exampleDir}kuard/crp-2.yaml`)[0]!, metadata: { name } };
      await create(c, crp, {
        conditions: [
          condition(ClusterResourcePlacementConditions.Scheduled, 'True', 'SchedulingPolicyFulfilled', 1),
          condition(ClusterResourcePlacementConditions.WorkSynchronized, 'True', 'WorkSynchronized', 1),
          condition(ClusterResourcePlacementConditions.Applied, 'True', 'ApplySucceeded', 1),
          condition(ClusterResourcePlacementConditions.Available, 'True', 'ResourceAvailable', 1),
        ],
      });
      const t = table(ok(await lab.kubectl(c, ['get', 'clusterresourceplacements', name]), 'kubectl get clusterresourceplacements').stdout);
      expect(t[0]).toEqual(['NAME', 'GEN', 'SCHEDULED', 'SCHEDULEDGEN', 'APPLIED', 'APPLIEDGEN', 'AGE']);
      expect(t[1]!.slice(0, 6)).toEqual([name, '1', 'True', '1', 'True', '1']);
      const wide = table(ok(await lab.kubectl(c, ['get', 'crp', name, '-o', 'wide']), 'kubectl get crp -o wide').stdout);
      expect(wide[0]).toEqual(['NAME', 'GEN', 'TYPE', 'SCHEDULED', 'SCHEDULEDGEN', 'WORK-SYNCHRONIZED', 'WORK-SYNCHRONIZED-GEN', 'APPLIED', 'APPLIEDGEN', 'AVAILABLE', 'AVAILABLE-GEN', 'AGE']);
      expect(wide[1]!.slice(0, 11)).toEqual([name, '1', 'PickAll', 'True', '1', 'True', '1', 'True', '1', 'True', '1']);
    });

    test('membercluster: JOINED, AGE, the member agent heartbeat and the node count', async () => {
      const c = 'hub' as const;
      const name = uniqueName('member');
      const mc: Manifest = {
        apiVersion: 'cluster.kubernetes-fleet.io/v1', kind: 'MemberCluster', metadata: { name, labels: { [Labels.location]: 'eastus' } },
        spec: { identity: { kind: 'ServiceAccount', name: 'member-agent', namespace: 'fleetlb-system' } },
      };
      const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      await create(c, mc, {
        conditions: [condition('Joined', 'True', 'MemberClusterJoined')],
        agentStatus: [{ type: 'MemberAgent', lastReceivedHeartbeat: now }],
        properties: { 'kubernetes-fleet.io/node-count': { value: '3', observationTime: now } },
        resourceUsage: { available: { cpu: '3500m', memory: '10Gi' } },
      });
      const t = table(ok(await lab.kubectl(c, ['get', 'membercluster', name]), 'kubectl get membercluster').stdout);
      expect(t[0]).toEqual(['NAME', 'JOINED', 'AGE', 'MEMBER-AGENT-LAST-SEEN', 'NODE-COUNT', 'AVAILABLE-CPU', 'AVAILABLE-MEMORY']);
      expect(t[1]![0]).toBe(name);
      expect(t[1]![1]).toBe('True');
      expect(t[1]![3]).toMatch(/^\d+s$/);
      expect(t[1]!.slice(4)).toEqual(['3', '3500m', '10Gi']);
    });

    test('serviceimport: TYPE, PORTS and CLUSTERS', async () => {
      const c = 'member-1' as const;
      const si: Manifest = { apiVersion: 'networking.fleet.azure.com/v1alpha1', kind: 'ServiceImport', metadata: { name: 'kuard', namespace: ns[c] } };
      await create(c, si, {
        type: 'ClusterSetIP',
        ports: [{ port: 8080, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }],
        clusters: [{ cluster: 'member-1' }, { cluster: 'member-2' }],
      });
      const t = table(ok(await lab.kubectl(c, ['get', 'svcimport', 'kuard', '-n', ns[c]]), 'kubectl get svcimport').stdout);
      expect(t[0]).toEqual(['NAME', 'TYPE', 'PORTS', 'CLUSTERS', 'AGE']);
      expect(t[1]![1]).toBe('ClusterSetIP');
      expect(t[1]![2]).toMatch(/8080.*TCP.*53.*UDP/);
      expect(t[1]![3]).toMatch(/member-1.*member-2/);
    });
  });

  describe('fields that must not change are refused on update, naming the field', () => {
    async function refusedPatch(cluster: Cluster, resource: string, name: string, patch: object, field: string, namespace?: string): Promise<void> {
      const where = namespace !== undefined ? ['-n', namespace] : [];
      const r = await lab.kubectl(cluster, ['patch', resource, name, ...where, '--type=merge', '-p', JSON.stringify(patch)]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(field);
    }

    test('a placement keeps its type and policy, and its tolerations can only grow', async () => {
      const c = 'hub' as const;
      const name = uniqueName('pick-two');
      ok(await lab.apply(c, JSON.stringify({
        apiVersion: 'placement.kubernetes-fleet.io/v1beta1', kind: 'ClusterResourcePlacement', metadata: { name },
        spec: {
          resourceSelectors: [{ group: '', version: 'v1', kind: 'Namespace', name: 'kuard-demo' }],
          policy: { placementType: 'PickN', numberOfClusters: 2, tolerations: [{ key: 'maintenance', operator: 'Exists' }] },
        },
      }), ['--validate=strict']), 'creating a PickN placement');
      clusterScoped.push({ cluster: c, resource: 'clusterresourceplacements.placement.kubernetes-fleet.io', name });
      const crp = 'clusterresourceplacements.placement.kubernetes-fleet.io';
      await refusedPatch(c, crp, name, { spec: { policy: { placementType: 'PickAll', numberOfClusters: null } } }, 'spec.policy.placementType');
      const removed = await lab.kubectl(c, ['patch', crp, name, '--type=json', '-p', '[{"op":"remove","path":"/spec/policy"}]']);
      expect(removed.code).not.toBe(0);
      expect(removed.stderr).toContain('spec.policy');
      await refusedPatch(c, crp, name, { spec: { policy: { tolerations: [{ key: 'other', operator: 'Exists' }] } } }, 'spec.policy.tolerations');
      ok(await lab.kubectl(c, ['patch', crp, name, '--type=merge', '-p', JSON.stringify({ spec: { policy: { numberOfClusters: 3, tolerations: [{ key: 'maintenance', operator: 'Exists' }, { key: 'other', operator: 'Exists' }] } } })]), 'growing the placement and its tolerations');
    });

    test("a BGPPeer's graceful restart setting and an endpoint slice's address type are immutable", async () => {
      const m = 'member-1' as const;
      ok(await lab.apply(m, JSON.stringify({
        apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: { name: 'gr', namespace: ns[m] },
        spec: { myASN: 64512, peerASN: 64513, peerAddress: '192.0.2.1', enableGracefulRestart: true },
      }), ['--validate=strict']), 'creating a BGPPeer with graceful restart');
      await refusedPatch(m, 'bgppeers.metallb.io', 'gr', { spec: { enableGracefulRestart: false } }, 'spec.enableGracefulRestart', ns[m]);

      const h = 'hub' as const;
      ok(await lab.apply(h, JSON.stringify({
        apiVersion: 'networking.fleet.azure.com/v1beta1', kind: 'EndpointSliceExport', metadata: { name: 'member-1-kuard-demo-kuard-v6', namespace: ns[h] },
        spec: {
          addressType: 'IPv6',
          endpoints: [{ addresses: ['2001:db8:1000::10'], conditions: { ready: true, serving: true, terminating: false } }],
          endpointSliceReference: { clusterId: 'member-1', kind: 'EndpointSlice', namespace: 'kuard-demo', name: 'kuard-v6', namespacedName: 'kuard-demo/kuard-v6' },
          ownerServiceReference: { namespace: 'kuard-demo', name: 'kuard', namespacedName: 'kuard-demo/kuard' },
        },
      }), ['--validate=strict']), 'creating an IPv6 EndpointSliceExport');
      await refusedPatch(h, 'endpointsliceexports.networking.fleet.azure.com', 'member-1-kuard-demo-kuard-v6', { spec: { addressType: 'IPv4', endpoints: [{ addresses: ['198.18.0.10'] }] } }, 'spec.addressType', ns[h]);
    });
  });

  describe('every served version is the same object', () => {
    test('a ServiceExport created as v1alpha1 reads back as v1beta1, and a BGPPeer created as v1beta1 as v1beta2', async () => {
      const c = 'member-1' as const;
      ok(await lab.apply(c, JSON.stringify(serviceExport(ns[c], 'versions', '7')), ['--validate=strict']), 'creating a v1alpha1 ServiceExport');
      const se = ok(await lab.kubectl(c, ['get', 'serviceexports.v1beta1.networking.fleet.azure.com', 'versions', '-n', ns[c], '-o', 'json']), 'reading it as v1beta1');
      const seObj = JSON.parse(se.stdout) as Manifest;
      expect(seObj.apiVersion).toBe('networking.fleet.azure.com/v1beta1');
      expect((seObj.metadata.annotations as Record<string, string>)[Annotations.weight]).toBe('7');

      const legacy: Manifest = {
        apiVersion: 'metallb.io/v1beta1', kind: 'BGPPeer', metadata: { name: 'legacy', namespace: ns[c] },
        spec: { myASN: 64512, peerASN: 64513, peerAddress: '192.0.2.1', holdTime: '90s', nodeSelectors: [{ matchLabels: { 'kubernetes.io/hostname': 'node-1' } }] },
      };
      const created = ok(await lab.apply(c, JSON.stringify(legacy), ['--validate=strict']), 'creating a v1beta1 BGPPeer');
      expect(created.stderr).toContain('deprecated');
      const peer = JSON.parse(ok(await lab.kubectl(c, ['get', 'bgppeers.v1beta2.metallb.io', 'legacy', '-n', ns[c], '-o', 'json']), 'reading it as v1beta2').stdout) as Manifest;
      expect(peer.apiVersion).toBe('metallb.io/v1beta2');
      expect(peer.spec).toEqual({ ...(legacy.spec as object), peerPort: 179, disableMP: false, dualStackAddressFamily: false });
    });
  });
});

function serviceExport(namespace: string, name: string, weight?: string): Manifest {
  return {
    apiVersion: 'networking.fleet.azure.com/v1alpha1',
    kind: 'ServiceExport',
    metadata: { name, namespace, ...(weight !== undefined ? { annotations: { [Annotations.weight]: weight } } : {}) },
  };
}
