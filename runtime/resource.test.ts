import { describe, expect, test } from '@jest/globals';
import { apiVersion, collectionPath, CoreResources, objectKey, objectPath, splitKey } from './resource.js';

describe('resource paths', () => {
  test('core and grouped, namespaced and cluster-scoped', () => {
    expect(collectionPath(CoreResources.pods, 'ns')).toBe('/api/v1/namespaces/ns/pods');
    expect(collectionPath(CoreResources.pods)).toBe('/api/v1/pods');
    expect(objectPath(CoreResources.leases, 'l', 'kube-system')).toBe('/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/l');
    expect(objectPath(CoreResources.services, 'web', 'ns', 'status')).toBe('/api/v1/namespaces/ns/services/web/status');
    expect(objectPath(CoreResources.nodes, 'n1', 'ignored')).toBe('/api/v1/nodes/n1');
    expect(() => objectPath(CoreResources.pods, 'p')).toThrow(/namespaced/);
    expect(apiVersion(CoreResources.endpointSlices)).toBe('discovery.k8s.io/v1');
  });

  test('keys round-trip', () => {
    expect(objectKey({ metadata: { namespace: 'a', name: 'b' } })).toBe('a/b');
    expect(objectKey({ metadata: { name: 'n' } })).toBe('n');
    expect(splitKey('a/b')).toEqual({ namespace: 'a', name: 'b' });
    expect(splitKey('n')).toEqual({ name: 'n' });
  });
});
