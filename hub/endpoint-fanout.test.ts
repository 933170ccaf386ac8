import { describe, expect, it } from '@jest/globals';
import type { EndpointSliceExport, EndpointSliceImport, InternalServiceImport, ServiceImport } from '../api/networking.js';
import { desiredEndpointSliceImports, importStatus, inUseByPatch, planFanOut, serviceInUseBy } from './endpoint-fanout.js';

const svc = { namespace: 'kuard-demo', name: 'kuard' };

function isi(cluster: string, opts: { deleting?: boolean; namespace?: string } = {}): InternalServiceImport {
  return {
    apiVersion: 'networking.fleet.azure.com/v1beta1',
    kind: 'InternalServiceImport',
    metadata: { name: 'kuard-demo-kuard', namespace: opts.namespace ?? `fleet-member-${cluster}`, ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { serviceImportReference: { clusterId: cluster, kind: 'ServiceImport', namespace: 'kuard-demo', name: 'kuard', namespacedName: 'kuard-demo/kuard' } },
  };
}

function ese(cluster: string, slice: string, opts: { claims?: string; addresses?: string[] } = {}): EndpointSliceExport {
  return {
    apiVersion: 'networking.fleet.azure.com/v1beta1',
    kind: 'EndpointSliceExport',
    metadata: { name: `${cluster}-kuard-demo-${slice}`, namespace: `fleet-member-${cluster}` },
    spec: {
      addressType: 'IPv4',
      endpoints: [{ addresses: opts.addresses ?? ['10.1.0.5'], conditions: { ready: true } }],
      ports: [{ name: '', protocol: 'TCP', port: 8080 }],
      endpointSliceReference: { clusterId: opts.claims ?? cluster, kind: 'EndpointSlice', namespace: 'kuard-demo', name: slice, namespacedName: `kuard-demo/${slice}` },
      ownerServiceReference: { namespace: 'kuard-demo', name: 'kuard', namespacedName: 'kuard-demo/kuard' },
    },
  };
}

function serviceImport(clusters: string[], annotations?: Record<string, string>): ServiceImport {
  return {
    apiVersion: 'networking.fleet.azure.com/v1beta1',
    kind: 'ServiceImport',
    metadata: { name: 'kuard', namespace: 'kuard-demo', ...(annotations ? { annotations } : {}) },
    status: { type: 'ClusterSetIP', ports: [{ protocol: 'TCP', port: 8080 }], clusters: clusters.map((cluster) => ({ cluster })) },
  };
}

const names = (esis: EndpointSliceImport[]) => esis.map((e) => `${e.metadata.namespace}/${e.metadata.name}`).sort();

describe('desiredEndpointSliceImports', () => {
  it('gives every importer every endpoint slice of every cluster the ServiceImport lists, labelled like an MCS API slice', () => {
    const esis = desiredEndpointSliceImports(svc, [isi('member-1'), isi('member-3')], [ese('member-1', 'a'), ese('member-2', 'b')], serviceImport(['member-1', 'member-2']));
    expect(names(esis)).toEqual([
      'fleet-member-member-1/member-1-kuard-demo-a',
      'fleet-member-member-1/member-2-kuard-demo-b',
      'fleet-member-member-3/member-1-kuard-demo-a',
      'fleet-member-member-3/member-2-kuard-demo-b',
    ]);
    const one = esis.find((e) => e.metadata.namespace === 'fleet-member-member-3' && e.metadata.name === 'member-2-kuard-demo-b');
    expect(one?.metadata.labels).toEqual({ 'multicluster.kubernetes.io/service-name': 'kuard', 'multicluster.kubernetes.io/source-cluster': 'member-2' });
    expect(one?.spec).toEqual(ese('member-2', 'b').spec);
  });

  it('leaves out clusters the ServiceImport does not list (left, silent or conflicted) and everything without an import', () => {
    expect(names(desiredEndpointSliceImports(svc, [isi('member-1')], [ese('member-1', 'a'), ese('member-2', 'b')], serviceImport(['member-1'])))).toEqual(['fleet-member-member-1/member-1-kuard-demo-a']);
    expect(desiredEndpointSliceImports(svc, [isi('member-1')], [ese('member-1', 'a')], undefined)).toEqual([]);
    expect(desiredEndpointSliceImports(svc, [], [ese('member-1', 'a')], serviceImport(['member-1']))).toEqual([]);
  });

  it('ignores a deleting import, an import outside member namespaces, and an export that claims another cluster', () => {
    expect(desiredEndpointSliceImports(svc, [isi('member-1', { deleting: true }), isi('x', { namespace: 'kuard-demo' })], [ese('member-1', 'a')], serviceImport(['member-1']))).toEqual([]);
    // member-2 writes into its own namespace but says the endpoints are member-1's.
    expect(names(desiredEndpointSliceImports(svc, [isi('member-1')], [ese('member-2', 'b', { claims: 'member-1' })], serviceImport(['member-1', 'member-2'])))).toEqual([]);
    // Two imports of the Service in one namespace make one importer.
    const twice = [isi('member-1'), { ...isi('member-1'), metadata: { ...isi('member-1').metadata, name: 'other' } }];
    expect(names(desiredEndpointSliceImports(svc, twice, [ese('member-1', 'a')], serviceImport(['member-1'])))).toEqual(['fleet-member-member-1/member-1-kuard-demo-a']);
  });
});

describe('planFanOut', () => {
  const desired = desiredEndpointSliceImports(svc, [isi('member-1')], [ese('member-1', 'a'), ese('member-2', 'b')], serviceImport(['member-1', 'member-2']));

  it('writes what is missing or different and deletes what is no longer wanted, naming its source cluster', () => {
    const stale = { ...desired[0]!, spec: { ...desired[0]!.spec, endpoints: [{ addresses: ['10.1.0.9'] }] } };
    const gone: EndpointSliceImport = { ...desired[1]!, metadata: { ...desired[1]!.metadata, name: 'member-3-kuard-demo-c' }, spec: ese('member-3', 'c').spec };
    const plan = planFanOut(desired, [stale, gone]);
    expect(names(plan.apply)).toEqual(names(desired));
    expect(plan.remove).toEqual([{ namespace: 'fleet-member-member-1', name: 'member-3-kuard-demo-c', sourceCluster: 'member-3' }]);
  });

  it('does nothing when the imports are as wanted, whatever order the API server wrote the keys in', () => {
    const fromServer = JSON.parse(JSON.stringify(desired, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v))) as EndpointSliceImport[];
    expect(planFanOut(desired, fromServer)).toEqual({ apply: [], remove: [] });
  });
});

describe('import status and service-in-use-by', () => {
  it('copies the ServiceImport status, or {} while there is none', () => {
    expect(importStatus(serviceImport(['member-1']))).toEqual(serviceImport(['member-1']).status);
    expect(importStatus(undefined)).toEqual({});
  });

  it('names every live importer, sorted, and is patched only when it changes', () => {
    expect(serviceInUseBy([isi('member-3'), isi('member-1'), isi('member-2', { deleting: true })])).toBe('{"fleet-member-member-1":"member-1","fleet-member-member-3":"member-3"}');
    expect(serviceInUseBy([])).toBeUndefined();
    const si = serviceImport(['member-1'], { 'networking.fleet.azure.com/service-in-use-by': '{"fleet-member-member-1":"member-1"}' });
    expect(inUseByPatch(si, [isi('member-1')])).toBeUndefined();
    expect(inUseByPatch(si, [])).toEqual({ metadata: { annotations: { 'networking.fleet.azure.com/service-in-use-by': null } } });
    expect(inUseByPatch(serviceImport([]), [isi('member-2')])).toEqual({ metadata: { annotations: { 'networking.fleet.azure.com/service-in-use-by': '{"fleet-member-member-2":"member-2"}' } } });
  });
});
