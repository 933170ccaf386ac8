import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { Liveness } from './liveness.js';

const timings = { durationMs: 1500, marginMs: 500, warmupMs: 700 };
const rec = (node: string, version: string) => ({ node, version, durationMs: 1500 });

describe('speaker liveness', () => {
  test('a peer lives until the duration after we saw its Lease change, by our clock', () => {
    const l = new Liveness('me', timings);
    l.observe([rec('a', 'v1')], 1000);
    expect(l.peerAlive('a', 2499)).toBe(true);
    l.observe([rec('a', 'v1')], 2000); // same version: no renewal seen
    expect(l.peerAlive('a', 2500)).toBe(false);
    l.observe([rec('a', 'v2')], 2600);
    expect(l.peerAlive('a', 4000)).toBe(true);
    expect(l.nextExpiry(4000)).toBe(4100);
  });

  test('a deleted Lease (handover) is a dead peer at once', () => {
    const l = new Liveness('me', timings);
    l.observe([rec('a', 'v1')], 1000);
    l.observe([], 1100);
    expect(l.peerAlive('a', 1101)).toBe(false);
  });

  test('we answer only inside the fence, and count ourselves alive only after the warm-up', () => {
    const l = new Liveness('me', timings);
    expect(l.canAnswer(0)).toBe(false);
    l.renewed(1000);
    expect(l.canAnswer(1000)).toBe(true);
    expect(l.selfAlive(1000)).toBe(false);
    l.renewed(1300);
    l.renewed(1600);
    l.renewed(1900);
    expect(l.selfAlive(1900)).toBe(true);
    expect(l.alive(1900)).toEqual(new Set(['me']));
    // Renewals stop: silent at lastGood + duration - margin.
    expect(l.canAnswer(2899)).toBe(true);
    expect(l.canAnswer(2900)).toBe(false);
    expect(l.selfAlive(2900)).toBe(false);
    // Coming back after a lapse restarts the warm-up.
    l.renewed(5000);
    expect(l.canAnswer(5000)).toBe(true);
    expect(l.selfAlive(5000)).toBe(false);
    l.released();
    expect(l.canAnswer(5001)).toBe(false);
  });

  test('fencing: whatever the delays, a peer never sees us dead while we may still answer', () => {
    // We renew at tick starts; the peer lists at arbitrary later times. Our last answer comes
    // before our fence; the peer may take over only once our Lease expired in its eyes.
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 20 }),
        (gaps, peerDelays) => {
          const me = new Liveness('me', timings);
          const peer = new Liveness('peer', timings);
          let t = 0;
          const renewals: number[] = [];
          for (const g of gaps) {
            t += g;
            me.renewed(t);
            renewals.push(t);
          }
          // The peer sees renewal i at renewals[i] + delay (never before it was sent).
          renewals.forEach((at, i) => peer.observe([rec('me', `v${i}`)], at + (peerDelays[i % peerDelays.length] ?? 0)));
          const fence = me.fenceDeadline()!;
          // At the last moment we may answer, the peer still counts us alive.
          expect(peer.peerAlive('me', fence - 1)).toBe(true);
        },
      ),
    );
  });
});
