import { describe, expect, test } from '@jest/globals';
import { backoffDelay, jittered } from './backoff.js';

describe('backoff', () => {
  test('grows exponentially to the cap and keeps at least half the ceiling', () => {
    const opts = { initialMs: 100, maxMs: 1000 };
    expect(backoffDelay(0, opts, () => 0)).toBe(50);
    expect(backoffDelay(0, opts, () => 1)).toBe(100);
    expect(backoffDelay(3, opts, () => 1)).toBe(800);
    expect(backoffDelay(10, opts, () => 1)).toBe(1000);
    expect(backoffDelay(1000, opts, () => 0)).toBe(500);
  });

  test('jitter stays within the fraction', () => {
    expect(jittered(1000, 0.1, () => 0)).toBe(900);
    expect(jittered(1000, 0.1, () => 1)).toBe(1100);
  });
});
