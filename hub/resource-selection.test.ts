import { describe, expect, test } from '@jest/globals';
import { applyOrder, isPlaceableKind, sanitize, shouldPropagate } from './resource-selection.js';

describe('resource selection', () => {
  test('sanitize drops what belongs to the hub copy', () => {
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'kuard', namespace: 'kuard-demo', uid: 'u', resourceVersion: '7', generation: 1, creationTimestamp: '2026-11-23T00:00:00Z',
        managedFields: [{ manager: 'kubectl' }], ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'y' }],
        labels: { app: 'kuard' }, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', keep: 'me' },
      },
      spec: { type: 'NodePort', clusterIP: '198.19.0.10', clusterIPs: ['198.19.0.10'], healthCheckNodePort: 30001, ports: [{ port: 8080, nodePort: 30080 }], selector: { app: 'kuard' } },
      status: { loadBalancer: {} },
    };
    expect(sanitize(svc)).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kuard', namespace: 'kuard-demo', labels: { app: 'kuard' }, annotations: { keep: 'me' } },
      spec: { type: 'NodePort', ports: [{ port: 8080 }], selector: { app: 'kuard' } },
    });
    // The input is left alone.
    expect(svc.spec.clusterIP).toBe('198.19.0.10');
  });

  test('a headless Service keeps clusterIP None', () => {
    const m = sanitize({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'h', namespace: 'n' }, spec: { clusterIP: 'None', clusterIPs: ['None'] } });
    expect(m.spec).toEqual({ clusterIP: 'None', clusterIPs: ['None'] });
  });

  test('a Job loses the selector and labels its controller generated', () => {
    const m = sanitize({
      apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j', namespace: 'n' },
      spec: { selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u' } }, template: { metadata: { labels: { 'batch.kubernetes.io/controller-uid': 'u', 'job-name': 'j', app: 'x' } } } },
    });
    expect(m.spec).toEqual({ template: { metadata: { labels: { app: 'x' } } } });
  });

  test('controller-owned children, service-account tokens, kube-root-ca.crt and the default ServiceAccount stay behind', () => {
    const meta = (name: string, extra = {}) => ({ name, namespace: 'n', ...extra });
    expect(shouldPropagate({ kind: 'ReplicaSet', metadata: meta('rs', { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', uid: 'u', controller: true }] }) })).toBe(false);
    expect(shouldPropagate({ kind: 'Secret', type: 'kubernetes.io/service-account-token', metadata: meta('t') })).toBe(false);
    expect(shouldPropagate({ kind: 'ConfigMap', metadata: meta('kube-root-ca.crt') })).toBe(false);
    expect(shouldPropagate({ kind: 'ServiceAccount', metadata: meta('default') })).toBe(false);
    expect(shouldPropagate({ kind: 'EndpointSlice', metadata: meta('e', { labels: { 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } }) })).toBe(false);
    expect(shouldPropagate({ kind: 'Secret', type: 'Opaque', metadata: meta('s') })).toBe(true);
    expect(shouldPropagate({ kind: 'ConfigMap', metadata: meta('c', { ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u' }] }) })).toBe(true);
  });

  test('fleet kinds, pods, events and derived networking kinds are never placed; ServiceExport is', () => {
    const kind = (group: string, k: string) => ({ group, kind: k, verbs: ['list', 'get'] });
    expect(isPlaceableKind(kind('placement.kubernetes-fleet.io', 'Work'))).toBe(false);
    expect(isPlaceableKind(kind('cluster.kubernetes-fleet.io', 'InternalMemberCluster'))).toBe(false);
    expect(isPlaceableKind(kind('', 'Pod'))).toBe(false);
    expect(isPlaceableKind(kind('events.k8s.io', 'Event'))).toBe(false);
    expect(isPlaceableKind(kind('networking.fleet.azure.com', 'ServiceImport'))).toBe(false);
    expect(isPlaceableKind(kind('networking.fleet.azure.com', 'ServiceExport'))).toBe(true);
    expect(isPlaceableKind(kind('apps', 'Deployment'))).toBe(true);
    expect(isPlaceableKind({ group: '', kind: 'Binding', verbs: ['create'] })).toBe(false);
  });

  test('apply order: namespaces, CRDs, other cluster-scoped, then namespaced, each by name', () => {
    const m = (apiVersion: string, kind: string, name: string, namespace?: string) => ({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } });
    const sorted = [m('v1', 'Service', 'a', 'x'), m('rbac.authorization.k8s.io/v1', 'ClusterRole', 'r'), m('v1', 'Namespace', 'x'), m('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'c')].sort(applyOrder);
    expect(sorted.map((x) => x.kind)).toEqual(['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'Service']);
  });
});
