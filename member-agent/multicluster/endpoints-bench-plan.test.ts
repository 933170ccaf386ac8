import { describe, expect, test } from '@jest/globals';
import { benchAddress, churnPlan, percentile } from './endpoints-bench-plan.js';

describe('endpoints benchmark plan', () => {
  test('addresses are unique per member, service and endpoint, inside the member\'s pod block', () => {
    const seen = new Set<string>();
    for (let s = 0; s < 100; s++) for (let k = 0; k < 7; k++) seen.add(benchAddress(2, s, k));
    expect(seen.size).toBe(700);
    expect(benchAddress(2, 0, 0)).toBe('198.18.32.2');
    expect(benchAddress(2, 99, 6)).toBe('198.18.34.201');
    expect(benchAddress(3, 0, 0)).toBe('198.18.48.2');
  });

  test('churn is deterministic, round-robin over members, within each member\'s share', () => {
    const plan = churnPlan(30, 100, [7, 7, 6], 42);
    expect(churnPlan(30, 100, [7, 7, 6], 42)).toEqual(plan);
    expect(plan.map((e) => e.member).slice(0, 6)).toEqual([0, 1, 2, 0, 1, 2]);
    for (const e of plan) {
      expect(e.service).toBeLessThan(100);
      expect(e.endpoint).toBeLessThan([7, 7, 6][e.member]!);
    }
  });

  test('percentiles by nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile([], 99)).toBe(0);
  });
});
