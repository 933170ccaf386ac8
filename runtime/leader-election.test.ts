import { describe, expect, test } from '@jest/globals';
import { decide, microTime, recordOf, type Lease } from './leader-election.js';

const lease = (holder: string, renewTime = '2026-01-01T00:00:00.000000Z', seconds = 15): Lease => ({
  metadata: { name: 'l' },
  spec: { holderIdentity: holder, renewTime, leaseDurationSeconds: seconds },
});

describe('leader election decisions', () => {
  test('no lease: create it; our lease: renew it; released lease: take it at once', () => {
    expect(decide(undefined, 'a', undefined, 0, 15_000)).toEqual({ action: 'create' });
    expect(decide(lease('a'), 'a', undefined, 0, 15_000)).toEqual({ action: 'renew' });
    expect(decide(lease(''), 'a', undefined, 0, 15_000)).toEqual({ action: 'take-over', from: '' });
  });

  test("another holder's lease expires a lease duration after we saw it change, whatever its clock says", () => {
    const l = lease('b', '1999-01-01T00:00:00.000000Z');
    const first = decide(l, 'a', undefined, 1000, 15_000);
    expect(first).toEqual({ action: 'wait', holder: 'b', expiresInMs: 15_000 });
    const seen = { record: recordOf(l.spec), observedAt: 1000 };
    expect(decide(l, 'a', seen, 15_999, 15_000)).toMatchObject({ action: 'wait', expiresInMs: 1 });
    expect(decide(l, 'a', seen, 16_000, 15_000)).toEqual({ action: 'take-over', from: 'b' });
    // A renewal we had not seen restarts the clock.
    const renewed = lease('b', '1999-01-01T00:00:02.000000Z');
    expect(decide(renewed, 'a', seen, 16_000, 15_000)).toMatchObject({ action: 'wait', expiresInMs: 15_000 });
  });

  test('MicroTime has six fractional digits', () => {
    expect(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe('2026-01-02T03:04:05.678000Z');
  });
});
