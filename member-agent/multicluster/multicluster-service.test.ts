import { describe, expect, it } from '@jest/globals';
import type { EndpointSliceImport, InternalServiceImport, MultiClusterService, ServiceImportStatus } from '../../api/networking.js';
import type { ServiceObject } from '../allocator/service.js';
import { derivedService, derivedServiceName } from './derived-service.js';
import { endpointSources, importHolder, internalServiceImport, loadBalancerStatus, planMultiClusterService, serviceUpToDate, sliceUpToDate, type MultiClusterServiceInput } from './multicluster-service.js';

const mcs = (name = 'kuard', created = '2026-01-01T00:00:00Z', extra: Partial<MultiClusterService['metadata']> = {}, importName = 'kuard'): MultiClusterService => ({
  apiVersion: 'networking.fleet.azure.com/v1alpha1',
  kind: 'MultiClusterService',
  metadata: { namespace: 'kuard-demo', name, creationTimestamp: created, ...extra },
  spec: { serviceImport: { name: importName } },
});
const imported: ServiceImportStatus = { type: 'ClusterSetIP', ports: [{ name: 'http', protocol: 'TCP', port: 8080 }], clusters: [{ cluster: 'member-1' }, { cluster: 'member-2' }] };
const isi = (status?: ServiceImportStatus, namespacedName = 'kuard-demo/kuard'): InternalServiceImport => ({
  ...internalServiceImport('member-1', 'fleet-member-member-1', ...(namespacedName.split('/') as [string, string])),
  ...(status ? { status } : {}),
});
const esi = (cluster: string, addresses: string[], service = 'kuard-demo/kuard'): EndpointSliceImport => ({
  apiVersion: 'networking.fleet.azure.com/v1beta1',
  kind: 'EndpointSliceImport',
  metadata: { name: `${cluster}-kuard-demo-kuard-abc`, namespace: 'fleet-member-member-1' },
  spec: {
    addressType: 'IPv4',
    endpoints: addresses.map((a) => ({ addresses: [a], conditions: { ready: true } })),
    ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
    endpointSliceReference: { clusterId: cluster, kind: 'EndpointSlice', namespace: 'kuard-demo', name: 'kuard-abc', namespacedName: 'kuard-demo/kuard-abc' },
    ownerServiceReference: { namespace: 'kuard-demo', name: service.split('/')[1] ?? '', namespacedName: service },
  },
});
const input = (over: Partial<MultiClusterServiceInput> = {}): MultiClusterServiceInput => {
  const m = over.mcs ?? mcs();
  return { mcs: m, all: [m], isi: isi(imported), esis: [esi('member-1', ['10.1.0.5']), esi('member-2', ['10.2.0.7'])], internalPools: [], live: undefined, ...over };
};
const svcName = derivedServiceName('kuard-demo', 'kuard');

describe('internalServiceImport', () => {
  it('names the import as fleet-networking does and says which member asks', () => {
    expect(internalServiceImport('member-1', 'fleet-member-member-1', 'kuard-demo', 'kuard')).toEqual({
      apiVersion: 'networking.fleet.azure.com/v1beta1',
      kind: 'InternalServiceImport',
      metadata: { name: 'kuard-demo-kuard', namespace: 'fleet-member-member-1' },
      spec: { serviceImportReference: { clusterId: 'member-1', kind: 'ServiceImport', namespace: 'kuard-demo', name: 'kuard', namespacedName: 'kuard-demo/kuard' } },
    });
  });
});

describe('importHolder', () => {
  it('is the oldest live MCS on the import, ties by name', () => {
    const a = mcs('a', '2026-01-01T00:00:02Z');
    const b = mcs('b', '2026-01-01T00:00:01Z');
    const c = mcs('c', '2026-01-01T00:00:01Z');
    expect(importHolder([a, c, b], 'kuard-demo/kuard')?.metadata.name).toBe('b');
    expect(importHolder([a, { ...b, metadata: { ...b.metadata, deletionTimestamp: '2026-01-02T00:00:00Z' } }], 'kuard-demo/kuard')?.metadata.name).toBe('a');
    expect(importHolder([a], 'kuard-demo/other')).toBeUndefined();
  });
});

describe('endpointSources', () => {
  it('groups the imported slices of one service by source cluster, ignoring other services', () => {
    const out = endpointSources([esi('member-1', ['10.1.0.5']), esi('member-2', ['10.2.0.7']), esi('member-1', ['10.1.0.9'], 'kuard-demo/other')], 'kuard-demo/kuard');
    expect(out.map((s) => [s.cluster, s.slices.flatMap((x) => x.endpoints.map((e) => e.addresses[0]))])).toEqual([
      ['member-1', ['10.1.0.5']],
      ['member-2', ['10.2.0.7']],
    ]);
  });
});

describe('planMultiClusterService', () => {
  it('an import with ports and clusters: apply the derived Service, slices from both clusters, Valid True, labels', () => {
    const plan = planMultiClusterService(input());
    expect(plan.service).toMatchObject({ action: 'apply', desired: { metadata: { name: svcName, namespace: 'fleetlb-system' } } });
    expect(plan.slices.flatMap((s) => s.endpoints?.map((e) => e.addresses[0]))).toEqual(['10.1.0.5', '10.2.0.7']);
    expect(plan.valid).toMatchObject({ type: 'Valid', status: 'True', reason: 'FoundServiceImport' });
    expect(plan.valid.message).toContain('2 clusters (member-1, member-2)');
    expect(plan.valid.message).toContain('waiting for an address');
    expect(plan.labels).toEqual({ 'networking.fleet.azure.com/service-import': 'kuard', 'networking.fleet.azure.com/derived-service': svcName });
  });

  it('says why there is no address yet when the allocator failed', () => {
    const live: ServiceObject = { metadata: { name: svcName }, status: { conditions: [{ type: 'fleetlb.io/IPAllocated', status: 'False', reason: 'NoAvailableIPs', message: 'no available IPs in pool "default"', lastTransitionTime: '' }] } };
    expect(planMultiClusterService(input({ live })).valid.message).toContain('no address yet: no available IPs in pool "default"');
  });

  it('no ServiceImport on the hub (no status yet, or {}): Valid False UnknownServiceImport, no Service', () => {
    for (const i of [undefined, isi(), isi({})]) {
      const plan = planMultiClusterService(input({ isi: i, esis: [] }));
      expect(plan.valid).toMatchObject({ status: 'False', reason: 'UnknownServiceImport' });
      expect(plan.valid.message).toContain('ServiceImport kuard-demo/kuard not found');
      expect(plan.service).toEqual({ action: 'delete' });
      expect(plan.slices).toEqual([]);
      expect(plan.labels['networking.fleet.azure.com/derived-service']).toBeNull();
    }
  });

  it('the import goes away while the MCS lives: the Service and its address are kept, the endpoints go', () => {
    const live: ServiceObject = { metadata: { name: svcName, uid: 'u' }, status: { loadBalancer: { ingress: [{ ip: '192.0.2.240' }] } } };
    const plan = planMultiClusterService(input({ isi: isi({}), esis: [esi('member-1', ['10.1.0.5'])], live }));
    expect(plan.service).toEqual({ action: 'keep' });
    expect(plan.slices).toEqual([]);
    expect(plan.valid).toMatchObject({ status: 'False', reason: 'UnknownServiceImport' });
    expect(plan.valid.message).toContain('address is kept');
    expect(plan.labels['networking.fleet.azure.com/derived-service']).toBe(svcName);
  });

  it('an import without ports: Valid False NoPorts', () => {
    const plan = planMultiClusterService(input({ isi: isi({ ...imported, ports: [] }) }));
    expect(plan.valid).toMatchObject({ status: 'False', reason: 'NoPorts' });
    expect(plan.service).toEqual({ action: 'delete' });
  });

  it('internal without an internal pool: Valid False NoInternalPool and no Service (never a public address)', () => {
    const m = mcs('kuard', undefined, { annotations: { 'service.beta.kubernetes.io/azure-load-balancer-internal': 'true' } });
    const plan = planMultiClusterService(input({ mcs: m, all: [m] }));
    expect(plan.valid).toMatchObject({ status: 'False', reason: 'NoInternalPool' });
    expect(plan.service).toEqual({ action: 'delete' });
    const ok = planMultiClusterService(input({ mcs: m, all: [m], internalPools: ['private'] }));
    expect(ok.service.action === 'apply' && ok.service.desired.metadata.annotations['metallb.io/address-pool']).toBe('private');
  });

  it('a younger MCS on the same import is refused, naming the one that holds it', () => {
    const older = mcs('first', '2026-01-01T00:00:00Z');
    const younger = mcs('second', '2026-01-01T00:00:05Z');
    const plan = planMultiClusterService(input({ mcs: younger, all: [older, younger] }));
    expect(plan.valid).toMatchObject({ status: 'False', reason: 'ServiceImportInUse' });
    expect(plan.valid.message).toContain('MultiClusterService kuard-demo/first');
    expect(plan.service).toEqual({ action: 'delete' });
    expect(planMultiClusterService(input({ mcs: older, all: [older, younger] })).valid.status).toBe('True');
  });

  it('an InternalServiceImport name taken by another import (a-b/c and a/b-c) is reported, not served', () => {
    const plan = planMultiClusterService(input({ isi: isi(imported, 'kuard/demo-kuard') }));
    expect(plan.valid).toMatchObject({ status: 'False', reason: 'InternalServiceImportTaken' });
    expect(plan.slices).toEqual([]);
  });
});

describe('serviceUpToDate', () => {
  const desired = () => {
    const r = derivedService(mcs('kuard', undefined, { annotations: { 'metallb.io/address-pool': 'blue' } }), imported, []);
    if (!r.ok) throw new Error('no service');
    return r.service;
  };
  const live = (): ServiceObject & { spec: Record<string, unknown> } => ({
    metadata: {
      name: svcName,
      labels: { 'networking.fleet.azure.com/multi-cluster-service-name': 'kuard', 'networking.fleet.azure.com/multi-cluster-service-namespace': 'kuard-demo' },
      annotations: { 'metallb.io/address-pool': 'blue', 'metallb.io/ip-allocated-from-pool': 'blue' },
    },
    // As the API server returns it: defaults and allocations added.
    spec: { type: 'LoadBalancer', ports: [{ name: 'http', protocol: 'TCP', port: 8080, targetPort: 8080, nodePort: 31234 } as never], externalTrafficPolicy: 'Cluster', sessionAffinity: 'None', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack' },
  });
  it('ignores what the API server and the allocator add', () => {
    expect(serviceUpToDate(desired(), live())).toBe(true);
  });
  it('sees a changed port, a removed pass-through annotation and a missing Service', () => {
    const d = desired();
    expect(serviceUpToDate({ ...d, spec: { ...d.spec, ports: [{ name: 'http', protocol: 'TCP', port: 9090 }] } }, live())).toBe(false);
    expect(serviceUpToDate({ ...d, metadata: { ...d.metadata, annotations: {} } }, live())).toBe(false);
    expect(serviceUpToDate(d, undefined)).toBe(false);
  });
});

describe('sliceUpToDate', () => {
  const desired = planMultiClusterService(input()).slices[0]!;
  const live = () => ({ ...desired, metadata: { ...desired.metadata, ownerReferences: [{ uid: 'u' }] }, ports: desired.ports?.map((p) => ({ ...p })) });
  it('is true for the same content owned by the Service', () => {
    expect(sliceUpToDate(desired, live(), 'u')).toBe(true);
  });
  it('is false for other endpoints, another owner, or no slice', () => {
    expect(sliceUpToDate(desired, { ...live(), endpoints: [{ addresses: ['10.9.9.9'] }] }, 'u')).toBe(false);
    expect(sliceUpToDate(desired, live(), 'other')).toBe(false);
    expect(sliceUpToDate(desired, undefined, 'u')).toBe(false);
  });
  it('an unnamed port as the API server defaults it ("") is the same port', () => {
    const d = { ...desired, ports: [{ protocol: 'TCP', port: 8080 }] };
    expect(sliceUpToDate(d, { ...live(), ports: [{ name: '', protocol: 'TCP', port: 8080 }] }, 'u')).toBe(true);
  });
});

describe('loadBalancerStatus', () => {
  it('is the derived Service\'s ingress, or nothing before there is an address', () => {
    expect(loadBalancerStatus({ metadata: {}, status: { loadBalancer: { ingress: [{ ip: '192.0.2.240' }] } } })).toEqual({ ingress: [{ ip: '192.0.2.240' }] });
    expect(loadBalancerStatus({ metadata: {}, status: { loadBalancer: {} } })).toBeUndefined();
    expect(loadBalancerStatus(undefined)).toBeUndefined();
  });
});
