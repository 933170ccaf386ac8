import { describe, expect, test } from '@jest/globals';
import { conditionUnchanged, setCondition } from './conditions.js';

const t1 = new Date('2026-01-01T00:00:00.500Z');
const t2 = new Date('2026-01-01T00:05:00Z');

describe('conditions', () => {
  test('a new condition records the generation and the transition time', () => {
    const c = setCondition(undefined, { type: 'Valid', status: 'True', reason: 'ServiceIsValid', message: 'ok' }, 3, t1);
    expect(c).toEqual([{ type: 'Valid', status: 'True', reason: 'ServiceIsValid', message: 'ok', observedGeneration: 3, lastTransitionTime: '2026-01-01T00:00:00Z' }]);
  });

  test('lastTransitionTime moves only when the status changes', () => {
    const a = setCondition(undefined, { type: 'Valid', status: 'True', reason: 'R', message: 'm' }, 1, t1);
    const same = setCondition(a, { type: 'Valid', status: 'True', reason: 'Other', message: 'new words' }, 2, t2);
    expect(same[0]?.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    expect(same[0]?.observedGeneration).toBe(2);
    const flipped = setCondition(same, { type: 'Valid', status: 'False', reason: 'R', message: 'm' }, 2, t2);
    expect(flipped[0]?.lastTransitionTime).toBe('2026-01-01T00:05:00Z');
    expect(a[0]?.reason).toBe('R');
  });

  test('other conditions are kept, and unchanged input is recognised', () => {
    let c = setCondition(undefined, { type: 'A', status: 'True', reason: 'R', message: '' }, 1, t1);
    c = setCondition(c, { type: 'B', status: 'False', reason: 'R', message: '' }, 1, t1);
    expect(c.map((x) => x.type)).toEqual(['A', 'B']);
    expect(conditionUnchanged(c, { type: 'B', status: 'False', reason: 'R', message: '' }, 1)).toBe(true);
    expect(conditionUnchanged(c, { type: 'B', status: 'False', reason: 'R', message: '' }, 2)).toBe(false);
  });
});
