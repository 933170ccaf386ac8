import { describe, expect, it } from '@jest/globals';
import type { EndpointSliceExportSpec, MultiClusterService, ServiceImportStatus } from '../../api/networking.js';
import { derivedEndpointSlices, derivedService, derivedServiceName, MaxEndpointsPerSlice } from './derived-service.js';

const mcs = (annotations?: Record<string, string>, namespace = 'kuard-demo', name = 'kuard'): MultiClusterService => ({
  apiVersion: 'networking.fleet.azure.com/v1alpha1',
  kind: 'MultiClusterService',
  metadata: { namespace, name, ...(annotations ? { annotations } : {}) },
  spec: { serviceImport: { name: 'kuard' } },
});
const imported: ServiceImportStatus = { type: 'ClusterSetIP', ports: [{ protocol: 'TCP', port: 8080 }], clusters: [{ cluster: 'member-1' }, { cluster: 'member-2' }] };

describe('derivedServiceName', () => {
  it('is stable, hash-suffixed and readable', () => {
    const n = derivedServiceName('kuard-demo', 'kuard');
    expect(n).toBe(derivedServiceName('kuard-demo', 'kuard'));
    expect(n).toMatch(/^kuard-demo-kuard-[0-9a-f]{8}$/);
  });
  it('tells apart namespace/name pairs that join to the same text', () => {
    expect(derivedServiceName('a-b', 'c')).not.toBe(derivedServiceName('a', 'b-c'));
  });
  it('is a DNS-1035 label of at most 63 characters for the longest inputs', () => {
    for (const [ns, name] of [['n'.repeat(63), 'm'.repeat(63)], ['1abc', 'x'], ['a'.repeat(50), '-'.repeat(3) + 'b']] as const) {
      const n = derivedServiceName(ns, name);
      expect(n.length).toBeLessThanOrEqual(63);
      expect(n).toMatch(/^[a-z]([-a-z0-9]*[a-z0-9])?$/);
      expect(n).not.toContain('--');
    }
  });
  it('long names that differ only past the cut still differ', () => {
    expect(derivedServiceName('n'.repeat(63), 'a'.repeat(60))).not.toBe(derivedServiceName('n'.repeat(63), 'b'.repeat(60)));
  });
});

describe('derivedService', () => {
  it('is a selector-less LoadBalancer in fleetlb-system with the import\'s ports and MCS labels', () => {
    const r = derivedService(mcs(), imported, []);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.service.metadata).toEqual({
      name: derivedServiceName('kuard-demo', 'kuard'),
      namespace: 'fleetlb-system',
      labels: { 'networking.fleet.azure.com/multi-cluster-service-name': 'kuard', 'networking.fleet.azure.com/multi-cluster-service-namespace': 'kuard-demo' },
      annotations: {},
    });
    expect(r.service.spec).toEqual({ type: 'LoadBalancer', ports: [{ protocol: 'TCP', port: 8080 }], externalTrafficPolicy: 'Cluster' });
    expect(r.service.spec).not.toHaveProperty('selector');
  });

  it('names unnamed ports when there are several', () => {
    const r = derivedService(mcs(), { ...imported, ports: [{ port: 80 }, { protocol: 'UDP', port: 53 }, { name: 'x', port: 9 }] }, []);
    expect(r.ok && r.service.spec.ports.map((p) => p.name)).toEqual(['tcp-80', 'udp-53', 'x']);
  });

  it('passes pool, address and sharing annotations from the MCS', () => {
    const a = { 'metallb.io/address-pool': 'blue', 'metallb.io/allow-shared-ip': 'k', 'metallb.universe.tf/loadBalancerIPs': '198.51.100.7', unrelated: 'x' };
    const r = derivedService(mcs(a), imported, []);
    expect(r.ok && r.service.metadata.annotations).toEqual({ 'metallb.io/address-pool': 'blue', 'metallb.io/allow-shared-ip': 'k', 'metallb.universe.tf/loadBalancerIPs': '198.51.100.7' });
    expect(r.ok && r.service.spec.ipFamilies).toEqual(['IPv4']);
  });

  it('an IPv6 address asked for makes an IPv6 Service; both families make it dual-stack', () => {
    const v6 = derivedService(mcs({ 'metallb.io/loadBalancerIPs': '2001:db8:100::10' }), imported, []);
    expect(v6.ok && v6.service.spec).toMatchObject({ ipFamilies: ['IPv6'], ipFamilyPolicy: 'SingleStack' });
    const dual = derivedService(mcs({ 'metallb.io/loadBalancerIPs': '198.51.100.7,2001:db8:100::10' }), imported, []);
    expect(dual.ok && dual.service.spec).toMatchObject({ ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'RequireDualStack' });
  });

  it.each([['networking.fleet.azure.com/azure-load-balancer-internal'], ['service.beta.kubernetes.io/azure-load-balancer-internal']])('internal (%s) takes the first internal pool', (key) => {
    const r = derivedService(mcs({ [key]: 'true' }), imported, ['internal-b', 'internal-a']);
    expect(r.ok && r.service.metadata.annotations).toEqual({ 'service.beta.kubernetes.io/azure-load-balancer-internal': 'true', 'metallb.io/address-pool': 'internal-a' });
  });

  it('internal with an explicit pool keeps that pool', () => {
    const r = derivedService(mcs({ 'networking.fleet.azure.com/azure-load-balancer-internal': 'true', 'metallb.io/address-pool': 'mine' }), imported, ['internal-a']);
    expect(r.ok && r.service.metadata.annotations['metallb.io/address-pool']).toBe('mine');
  });

  it('internal without an internal pool is refused, not given a public address', () => {
    const r = derivedService(mcs({ 'networking.fleet.azure.com/azure-load-balancer-internal': 'true' }), imported, []);
    expect(r).toMatchObject({ ok: false, reason: 'NoInternalPool' });
    expect(!r.ok && r.message).toContain('fleetlb.io/internal');
  });

  it('an import without ports yields no Service yet', () => {
    expect(derivedService(mcs(), { ...imported, ports: [] }, [])).toMatchObject({ ok: false, reason: 'NoPorts' });
  });

  it('carries ClientIP session affinity from the import', () => {
    const r = derivedService(mcs(), { ...imported, sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } }, []);
    expect(r.ok && r.service.spec).toMatchObject({ sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } });
  });
});

describe('derivedEndpointSlices', () => {
  const svc = derivedServiceName('kuard-demo', 'kuard');
  const slice = (family: 'IPv4' | 'IPv6', addresses: string[], extra: Partial<EndpointSliceExportSpec> = {}): EndpointSliceExportSpec => ({
    addressType: family,
    endpoints: addresses.map((a) => ({ addresses: [a], conditions: { ready: true, serving: true, terminating: false } })),
    ports: [{ protocol: 'TCP', port: 8080 }],
    endpointSliceReference: { clusterId: 'x', kind: 'EndpointSlice', namespace: 'kuard-demo', name: 's', namespacedName: 'kuard-demo/s' },
    ownerServiceReference: { namespace: 'kuard-demo', name: 'kuard', namespacedName: 'kuard-demo/kuard' },
    ...extra,
  });

  it('one slice per source cluster and family, labelled with service, import and source cluster', () => {
    const out = derivedEndpointSlices(svc, 'kuard', imported, [
      { cluster: 'member-2', slices: [slice('IPv4', ['10.2.0.5'])] },
      { cluster: 'member-1', slices: [slice('IPv4', ['10.1.0.5', '10.1.0.6']), slice('IPv6', ['fd00:1::5'])] },
    ]);
    expect(out.map((s) => [s.metadata.labels?.['multicluster.kubernetes.io/source-cluster'], s.addressType, s.endpoints?.map((e) => e.addresses[0])])).toEqual(
      expect.arrayContaining([
        ['member-1', 'IPv4', ['10.1.0.5', '10.1.0.6']],
        ['member-1', 'IPv6', ['fd00:1::5']],
        ['member-2', 'IPv4', ['10.2.0.5']],
      ]),
    );
    expect(out).toHaveLength(3);
    for (const s of out) {
      expect(s.metadata.namespace).toBe('fleetlb-system');
      expect(s.metadata.labels).toMatchObject({ 'kubernetes.io/service-name': svc, 'multicluster.kubernetes.io/service-name': 'kuard', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-import.fleetlb.io' });
      expect(s.ports).toEqual([{ protocol: 'TCP', port: 8080 }]);
    }
  });

  it('keeps ready, serving and terminating as exported', () => {
    const s = slice('IPv4', ['10.1.0.5']);
    s.endpoints = [{ addresses: ['10.1.0.5'], conditions: { ready: false, serving: true, terminating: true } }];
    const out = derivedEndpointSlices(svc, 'kuard', imported, [{ cluster: 'member-1', slices: [s] }]);
    expect(out[0]?.endpoints).toEqual([{ addresses: ['10.1.0.5'], conditions: { ready: false, serving: true, terminating: true } }]);
  });

  it('leaves out clusters that are not in the import (conflicted, dead, weight 0)', () => {
    const out = derivedEndpointSlices(svc, 'kuard', { ...imported, clusters: [{ cluster: 'member-1' }] }, [
      { cluster: 'member-1', slices: [slice('IPv4', ['10.1.0.5'])] },
      { cluster: 'member-2', slices: [slice('IPv4', ['10.2.0.5'])] },
    ]);
    expect(out.flatMap((s) => s.endpoints?.map((e) => e.addresses[0]))).toEqual(['10.1.0.5']);
  });

  it('an address in two source slices is kept once, its readiest copy', () => {
    const old = slice('IPv4', ['10.1.0.5']);
    old.endpoints = [{ addresses: ['10.1.0.5'], conditions: { ready: false, serving: false, terminating: true } }];
    const out = derivedEndpointSlices(svc, 'kuard', imported, [{ cluster: 'member-1', slices: [old, slice('IPv4', ['10.1.0.5'])] }]);
    expect(out[0]?.endpoints).toEqual([{ addresses: ['10.1.0.5'], conditions: { ready: true, serving: true, terminating: false } }]);
  });

  it('clusters with other target ports get separate slices', () => {
    const out = derivedEndpointSlices(svc, 'kuard', imported, [
      { cluster: 'member-1', slices: [slice('IPv4', ['10.1.0.5']), slice('IPv4', ['10.1.0.6'], { ports: [{ protocol: 'TCP', port: 9090 }] })] },
    ]);
    expect(out.map((s) => s.ports?.[0]?.port).sort()).toEqual([8080, 9090]);
  });

  it('renames slice ports to the derived Service\'s names so kube-proxy pairs them', () => {
    const ports: ServiceImportStatus['ports'] = [{ protocol: 'TCP', port: 80 }, { name: 'dns', protocol: 'UDP', port: 53 }];
    const s = slice('IPv4', ['10.1.0.5'], { ports: [{ protocol: 'TCP', port: 8080 }, { name: 'dns', protocol: 'UDP', port: 5353 }] });
    const out = derivedEndpointSlices(svc, 'kuard', { ...imported, ports }, [{ cluster: 'member-1', slices: [s] }]);
    expect(out[0]?.ports).toEqual([{ name: 'tcp-80', protocol: 'TCP', port: 8080 }, { name: 'dns', protocol: 'UDP', port: 5353 }]);
  });

  it('cuts large groups into slices of at most 100, named stably', () => {
    const addresses = Array.from({ length: 250 }, (_, i) => `10.1.${i >> 8}.${i & 255}`);
    const a = derivedEndpointSlices(svc, 'kuard', imported, [{ cluster: 'member-1', slices: [slice('IPv4', addresses)] }]);
    const b = derivedEndpointSlices(svc, 'kuard', imported, [{ cluster: 'member-1', slices: [slice('IPv4', [...addresses].reverse())] }]);
    expect(a.map((s) => s.endpoints?.length)).toEqual([MaxEndpointsPerSlice, MaxEndpointsPerSlice, 50]);
    expect(a).toEqual(b);
    expect(new Set(a.map((s) => s.metadata.name)).size).toBe(3);
    for (const s of a) expect(s.metadata.name?.length).toBeLessThanOrEqual(253);
  });

  it('a cluster in the import whose slices are empty keeps one empty derived slice', () => {
    const out = derivedEndpointSlices(svc, 'kuard', imported, [{ cluster: 'member-1', slices: [slice('IPv4', [])] }]);
    expect(out).toHaveLength(1);
    expect(out[0]?.endpoints).toEqual([]);
  });
});
