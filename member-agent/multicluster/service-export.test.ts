import { describe, expect, it } from '@jest/globals';
import { decideExport, endpointSliceExportName, endpointSliceExportSpec, endpointSliceExports, exportConflict, parseWeight, type ExportedService } from './service-export.js';

const meta = { namespace: 'kuard-demo', name: 'kuard', creationTimestamp: '2026-01-01T00:00:00Z' };
const svc = (spec: ExportedService['spec'], annotations?: Record<string, string>): ExportedService => ({ metadata: { name: 'kuard', namespace: 'kuard-demo', uid: 'u1', ...(annotations ? { annotations } : {}) }, spec });
const weight = (w: string) => ({ ...meta, annotations: { 'networking.fleet.azure.com/weight': w } });

describe('parseWeight', () => {
  it('defaults to 1 and takes integers from 0 to 1000', () => {
    expect(parseWeight(undefined)).toEqual({ ok: true, weight: 1 });
    expect(parseWeight({ 'networking.fleet.azure.com/weight': '0' })).toEqual({ ok: true, weight: 0 });
    expect(parseWeight({ 'networking.fleet.azure.com/weight': '1000' })).toEqual({ ok: true, weight: 1000 });
    expect(parseWeight({ 'networking.fleet.azure.com/weight': ' 7 ' })).toEqual({ ok: true, weight: 7 });
  });
  it.each(['1001', '-1', '1.5', 'ten', '', '1e3'])('refuses %p, naming the annotation', (w) => {
    const r = parseWeight({ 'networking.fleet.azure.com/weight': w });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain('networking.fleet.azure.com/weight');
  });
});

describe('decideExport', () => {
  const ports = [{ name: 'http', port: 8080, targetPort: 8080 }];

  it('a ClusterIP Service exports with its ports, age, uid and weight', () => {
    const d = decideExport('member-1', meta, svc({ type: 'ClusterIP', clusterIP: '10.0.0.1', ports, ipFamilies: ['IPv4'] }));
    expect(d.kind).toBe('export');
    if (d.kind !== 'export') return;
    expect(d.valid).toMatchObject({ type: 'Valid', status: 'True', reason: 'ServiceIsValid' });
    expect(d.spec).toEqual({
      ports: [{ name: 'http', protocol: 'TCP', port: 8080, targetPort: 8080 }],
      serviceReference: { clusterId: 'member-1', apiVersion: 'v1', kind: 'Service', namespace: 'kuard-demo', name: 'kuard', namespacedName: 'kuard-demo/kuard', uid: 'u1', exportedSince: '2026-01-01T00:00:00Z' },
      type: 'ClusterIP',
      isInternalLoadBalancer: false,
      weight: 1,
      sessionAffinity: 'None',
      ipFamilies: ['IPv4'],
    });
  });

  it('a missing or deleting Service is invalid: ServiceNotFound', () => {
    expect(decideExport('m', meta, undefined)).toMatchObject({ kind: 'invalid', valid: { status: 'False', reason: 'ServiceNotFound' } });
    const deleting = svc({ ports });
    deleting.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    expect(decideExport('m', meta, deleting)).toMatchObject({ kind: 'invalid', valid: { reason: 'ServiceNotFound' } });
  });

  it('ExternalName is ineligible', () => {
    const d = decideExport('m', meta, svc({ type: 'ExternalName' }));
    expect(d).toMatchObject({ kind: 'invalid', valid: { status: 'False', reason: 'ServiceIneligible' } });
    expect(d.valid.message).toContain('ExternalName');
  });

  it('a headless Service exports as Headless', () => {
    const d = decideExport('m', meta, svc({ type: 'ClusterIP', clusterIP: 'None', ports }));
    expect(d.kind).toBe('export');
    if (d.kind === 'export') {
      expect(d.spec.headless).toBe(true);
      expect(d.valid.message).toContain('Headless');
    }
  });

  it('NodePort and LoadBalancer Services are exportable, with their type', () => {
    for (const type of ['NodePort', 'LoadBalancer']) {
      const d = decideExport('m', meta, svc({ type, ports }));
      expect(d.kind === 'export' && d.spec.type).toBe(type);
    }
  });

  it('a bad weight makes the export invalid, naming the annotation', () => {
    const d = decideExport('m', weight('2000'), svc({ ports }));
    expect(d).toMatchObject({ kind: 'invalid', valid: { status: 'False', reason: 'ServiceExportInvalidWeightAnnotation' } });
  });

  it('weight 0 is valid but withdraws the cluster\'s endpoints', () => {
    const d = decideExport('m', weight('0'), svc({ ports }));
    expect(d).toMatchObject({ kind: 'withdraw', valid: { status: 'True' }, conflict: { status: 'False' } });
    expect(d.valid.message).toContain('weight 0');
  });

  it('carries weight, session affinity, protocols and the internal-LB annotation', () => {
    const d = decideExport(
      'm',
      weight('250'),
      svc({ ports: [{ name: 'dns', protocol: 'UDP', port: 53 }, { port: 9, protocol: 'SCTP', appProtocol: 'x' }], sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 30 } } }, { 'service.beta.kubernetes.io/azure-load-balancer-internal': 'true' }),
    );
    expect(d.kind).toBe('export');
    if (d.kind !== 'export') return;
    expect(d.spec.weight).toBe(250);
    expect(d.spec.ports).toEqual([{ name: 'dns', protocol: 'UDP', port: 53 }, { protocol: 'SCTP', appProtocol: 'x', port: 9 }]);
    expect(d.spec.sessionAffinity).toBe('ClientIP');
    expect(d.spec.sessionAffinityConfig).toEqual({ clientIP: { timeoutSeconds: 30 } });
    expect(d.spec.isInternalLoadBalancer).toBe(true);
  });
});

describe('endpointSliceExportSpec', () => {
  const slice = (addressType: string, endpoints: { addresses: string[]; conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean } }[]) => ({
    metadata: { name: 'kuard-abcde', namespace: 'kuard-demo', uid: 's1' },
    addressType,
    endpoints,
    ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
  });

  it('exports every endpoint with ready, serving and terminating as they are', () => {
    const spec = endpointSliceExportSpec('member-1', slice('IPv4', [
      { addresses: ['10.1.0.5'], conditions: { ready: true, serving: true, terminating: false } },
      { addresses: ['10.1.0.6'], conditions: { ready: false, serving: true, terminating: true } },
      { addresses: ['10.1.0.7'] },
    ]), { namespace: 'kuard-demo', name: 'kuard' });
    expect(spec?.endpoints).toEqual([
      { addresses: ['10.1.0.5'], conditions: { ready: true, serving: true, terminating: false } },
      { addresses: ['10.1.0.6'], conditions: { ready: false, serving: true, terminating: true } },
      { addresses: ['10.1.0.7'] },
    ]);
    expect(spec?.ports).toEqual([{ name: 'http', protocol: 'TCP', port: 8080 }]);
    expect(spec?.endpointSliceReference).toMatchObject({ clusterId: 'member-1', kind: 'EndpointSlice', namespacedName: 'kuard-demo/kuard-abcde', uid: 's1' });
    expect(spec?.ownerServiceReference).toEqual({ namespace: 'kuard-demo', name: 'kuard', namespacedName: 'kuard-demo/kuard' });
  });

  it('exports IPv6 slices too', () => {
    expect(endpointSliceExportSpec('m', slice('IPv6', [{ addresses: ['fd00::5'] }]), { namespace: 'n', name: 's' })?.addressType).toBe('IPv6');
  });

  it('FQDN slices and empty address lists are not exported', () => {
    expect(endpointSliceExportSpec('m', slice('FQDN', [{ addresses: ['a.example'] }]), { namespace: 'n', name: 's' })).toBeUndefined();
    expect(endpointSliceExportSpec('m', slice('IPv4', [{ addresses: [] }]), { namespace: 'n', name: 's' })?.endpoints).toEqual([]);
  });

  it('a slice with null endpoints (no pods) exports an empty list', () => {
    expect(endpointSliceExportSpec('m', { metadata: { name: 'x' }, addressType: 'IPv4', endpoints: null, ports: null }, { namespace: 'n', name: 's' })).toMatchObject({ endpoints: [], ports: [] });
  });
});

describe('endpointSliceExportName', () => {
  it('is unique per cluster and stable', () => {
    expect(endpointSliceExportName('member-1', 'kuard-demo', 'kuard-abcde')).toBe('member-1-kuard-demo-kuard-abcde');
    expect(endpointSliceExportName('member-1', 'n', 'x')).not.toBe(endpointSliceExportName('member-2', 'n', 'x'));
    expect(endpointSliceExportName('c', 'n', 'x'.repeat(300)).length).toBe(253);
  });
});

describe('exportConflict', () => {
  const valid = decideExport('member-1', meta, svc({ type: 'ClusterIP', ports: [{ port: 8080 }] }));

  it('copies the hub\'s verdict, and is Unknown (pending) until the hub has one', () => {
    expect(exportConflict(valid, undefined)).toMatchObject({ type: 'Conflict', status: 'Unknown', reason: 'ServicePendingConflictResolution' });
    expect(exportConflict(valid, { status: 'True', reason: 'PortConflict', message: 'Conflicting port' })).toEqual({ type: 'Conflict', status: 'True', reason: 'PortConflict', message: 'Conflicting port' });
    expect(exportConflict(valid, { status: 'False', reason: 'NoConflictFound', message: 'no conflict' })).toMatchObject({ status: 'False' });
  });

  it('weight 0 conflicts with nothing; an invalid export has no Conflict condition', () => {
    expect(exportConflict(decideExport('m', weight('0'), svc({ ports: [{ port: 80 }] })), { status: 'True', reason: 'PortConflict', message: 'old' })).toMatchObject({ status: 'False', reason: 'NoConflictFound' });
    expect(exportConflict(decideExport('m', meta, undefined), undefined)).toBeUndefined();
  });
});

describe('endpointSliceExports', () => {
  const slice = (name: string, labels: Record<string, string>, addressType = 'IPv4', deleting = false) => ({
    metadata: { name, namespace: 'kuard-demo', labels, ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    addressType,
    endpoints: [{ addresses: [addressType === 'IPv6' ? 'fd00::5' : '10.1.0.5'] }],
  });

  it('one export per IP slice of the Service, into the member\'s hub namespace, labelled with service and source cluster', () => {
    const out = endpointSliceExports('member-1', 'fleet-member-member-1', { namespace: 'kuard-demo', name: 'kuard' }, [
      slice('kuard-a', { 'kubernetes.io/service-name': 'kuard' }),
      slice('kuard-b', { 'kubernetes.io/service-name': 'kuard' }, 'IPv6'),
      slice('kuard-c', { 'kubernetes.io/service-name': 'kuard' }, 'FQDN'),
      slice('kuard-d', { 'kubernetes.io/service-name': 'kuard' }, 'IPv4', true),
      slice('other-a', { 'kubernetes.io/service-name': 'other' }),
    ]);
    expect(out.map((e) => e.metadata.name)).toEqual(['member-1-kuard-demo-kuard-a', 'member-1-kuard-demo-kuard-b']);
    expect(out[0]).toMatchObject({
      apiVersion: 'networking.fleet.azure.com/v1beta1',
      kind: 'EndpointSliceExport',
      metadata: { namespace: 'fleet-member-member-1', labels: { 'multicluster.kubernetes.io/service-name': 'kuard', 'multicluster.kubernetes.io/source-cluster': 'member-1' } },
      spec: { addressType: 'IPv4', endpointSliceReference: { clusterId: 'member-1' } },
    });
  });
});
