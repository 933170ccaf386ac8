import { describe, expect, test } from '@jest/globals';
import { clusterProperties } from './properties.js';

describe('member properties', () => {
  test('node count, version, and CPU and memory summed over the nodes', () => {
    const nodes = [
      { metadata: { name: 'a' }, status: { capacity: { cpu: '2', memory: '4Gi' }, allocatable: { cpu: '1500m', memory: '3Gi' } } },
      { metadata: { name: 'b' }, status: { capacity: { cpu: '2', memory: '4Gi' }, allocatable: { cpu: '2', memory: '3584Mi' } } },
    ];
    const r = clusterProperties(nodes, 'v1.34.4', '2026-11-23T12:00:00Z');
    expect(r.properties['kubernetes-fleet.io/node-count']?.value).toBe('2');
    expect(r.properties['k8s.io/k8s-version']?.value).toBe('v1.34.4');
    expect(r.resourceUsage.capacity).toEqual({ cpu: '4', memory: '8192Mi' });
    expect(r.resourceUsage.allocatable).toEqual({ cpu: '3500m', memory: '6656Mi' });
  });

  test('no nodes: zero, not missing', () => {
    expect(clusterProperties([], 'v1', 't').resourceUsage.allocatable).toEqual({ cpu: '0', memory: '0Mi' });
  });
});
