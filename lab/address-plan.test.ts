import { describe, expect, test } from '@jest/globals';
import { clusterAddressing, MAX_CLUSTERS } from './address-plan.js';

describe('lab address plan', () => {
  test('the hub and members get disjoint slices of the plan', () => {
    expect(clusterAddressing(0)).toMatchObject({
      serviceCIDRs: ['198.19.0.0/20', '2001:db8:2000::/108'],
      podCIDRs: ['198.18.0.0/20', '2001:db8:1000::/60'],
      kubernetesServiceIP: '198.19.0.1',
    });
    expect(clusterAddressing(1)).toMatchObject({
      serviceCIDRs: ['198.19.16.0/20', '2001:db8:2000::10:0/108'],
      podCIDRs: ['198.18.16.0/20', '2001:db8:1000:10::/60'],
    });
    expect(clusterAddressing(15).serviceCIDRs[0]).toBe('198.19.240.0/20');
    const all = Array.from({ length: MAX_CLUSTERS }, (_, i) => clusterAddressing(i));
    expect(new Set(all.flatMap((a) => [...a.serviceCIDRs, ...a.podCIDRs])).size).toBe(MAX_CLUSTERS * 4);
  });

  test('indexes outside the plan are refused', () => {
    expect(() => clusterAddressing(16)).toThrow(RangeError);
    expect(() => clusterAddressing(-1)).toThrow(RangeError);
  });
});
