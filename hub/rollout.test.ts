import { describe, expect, test } from '@jest/globals';
import { maxUnavailableCount, planRollout, type ClusterWorkState } from './rollout.js';

const works = (entries: Record<string, ClusterWorkState>) => new Map(Object.entries(entries));

describe('rollout', () => {
  test('maxUnavailable: numbers, percentages rounded down, never below one', () => {
    expect(maxUnavailableCount(undefined, 8)).toBe(2);
    expect(maxUnavailableCount('25%', 3)).toBe(1);
    expect(maxUnavailableCount('50%', 10)).toBe(5);
    expect(maxUnavailableCount(3, 10)).toBe(3);
    expect(maxUnavailableCount(0, 10)).toBe(1);
  });

  test('new clusters are written at once', () => {
    expect(planRollout(['a', 'b', 'c'], works({}), 'h1', 1)).toEqual({ write: ['a', 'b', 'c'], remove: [], waiting: [] });
  });

  test('an update reaches at most maxUnavailable available clusters at a time', () => {
    const w = works({ a: { hash: 'h1', available: true }, b: { hash: 'h1', available: true }, c: { hash: 'h1', available: true } });
    expect(planRollout(['a', 'b', 'c'], w, 'h2', 1)).toEqual({ write: ['a'], remove: [], waiting: ['b', 'c'] });
    // a is updated but not available yet: nothing more moves.
    w.set('a', { hash: 'h2', available: false });
    expect(planRollout(['a', 'b', 'c'], w, 'h2', 1)).toEqual({ write: [], remove: [], waiting: ['b', 'c'] });
    w.set('a', { hash: 'h2', available: true });
    expect(planRollout(['a', 'b', 'c'], w, 'h2', 1)).toEqual({ write: ['b'], remove: [], waiting: ['c'] });
    expect(planRollout(['a', 'b', 'c'], works({ a: { hash: 'h1', available: true }, b: { hash: 'h1', available: true }, c: { hash: 'h1', available: true } }), 'h2', '100%').write).toEqual(['a', 'b', 'c']);
  });

  test('an out-of-date cluster that is down anyway is updated without using the budget', () => {
    const w = works({ a: { hash: 'h1', available: false }, b: { hash: 'h1', available: true } });
    expect(planRollout(['a', 'b'], w, 'h2', 1)).toEqual({ write: ['a'], remove: [], waiting: ['b'] });
  });

  test('departing clusters lose their Work only while enough picked clusters stay available', () => {
    // eastus → westus with one target: nothing must stay available, both go at once.
    const w = works({ a: { hash: 'h1', available: true }, b: { hash: 'h1', available: true } });
    expect(planRollout(['c'], w, 'h1', undefined)).toEqual({ write: ['c'], remove: ['a', 'b'], waiting: [] });
    // Two new targets not available yet and a maxUnavailable of 1: keep the old ones until one is.
    expect(planRollout(['c', 'd'], w, 'h1', 1)).toEqual({ write: ['c', 'd'], remove: [], waiting: ['a', 'b'] });
    const later = works({ a: { hash: 'h1', available: true }, b: { hash: 'h1', available: true }, c: { hash: 'h1', available: true }, d: { hash: 'h1', available: false } });
    expect(planRollout(['c', 'd'], later, 'h1', 1)).toEqual({ write: [], remove: ['a', 'b'], waiting: [] });
  });

  test('no target at all (placement deleted or nothing matches): every Work goes', () => {
    expect(planRollout([], works({ a: { hash: 'h1', available: true } }), 'h1', 1)).toEqual({ write: [], remove: ['a'], waiting: [] });
  });
});
