import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { FreeSpace } from './free-space.js';
import { MinHeap } from './heap.js';

describe('MinHeap', () => {
  test('pops in order whatever the pushes', () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), (xs) => {
        const h = new MinHeap<number>((a, b) => a < b);
        for (const x of xs) h.push(x);
        const out: number[] = [];
        for (let x = h.pop(); x !== undefined; x = h.pop()) out.push(x);
        expect(out).toEqual([...xs].sort((a, b) => a - b));
      }),
    );
  });
});

describe('FreeSpace', () => {
  test('hands out the lowest free offset, reusing freed ones first', () => {
    const s = new FreeSpace(8n);
    expect([s.take(), s.take(), s.take(), s.take()]).toEqual([0, 1, 2, 3]);
    s.release(1n);
    s.release(0n);
    expect(s.take()).toBe(0);
    expect(s.take()).toBe(1);
    expect(s.take()).toBe(4);
    expect(s.inUse).toBe(5);
    expect(s.available).toBe(3n);
  });

  test('claimed offsets are skipped, and a claim of a freed offset retires it', () => {
    const s = new FreeSpace(6n);
    expect(s.claim(1n)).toBe(true);
    expect(s.claim(1n)).toBe(false);
    expect(s.take()).toBe(0);
    expect(s.take()).toBe(2);
    s.release(0n);
    s.claim(0n);
    expect(s.take()).toBe(3);
    expect(s.has(0n)).toBe(true);
  });

  test('returns undefined when full, and frees make room again', () => {
    const s = new FreeSpace(2n);
    s.take();
    s.take();
    expect(s.take()).toBeUndefined();
    expect(s.available).toBe(0n);
    s.release(1n);
    expect(s.take()).toBe(1);
  });

  test('skipped offsets are never handed out, not counted as available, yet claimable', () => {
    const skip = (o: number) => o % 4 === 0;
    const s = new FreeSpace(8n, skip, 2n);
    expect(s.available).toBe(6n);
    expect([s.take(), s.take(), s.take(), s.take(), s.take(), s.take(), s.take()]).toEqual([1, 2, 3, 5, 6, 7, undefined]);
    expect(s.claim(4n)).toBe(true);
    expect(s.available).toBe(0n);
    s.release(4n);
    expect(s.take()).toBeUndefined();
  });

  test('claims beyond what the cursor can reach (a /64) are kept exactly', () => {
    const s = new FreeSpace(1n << 64n);
    const far = (1n << 63n) + 5n;
    expect(s.claim(far)).toBe(true);
    expect(s.has(far)).toBe(true);
    expect(s.has(far + 1n)).toBe(false);
    expect(s.take()).toBe(0);
    expect(s.inUse).toBe(2);
    expect(s.available).toBe((1n << 64n) - 2n);
    expect(s.release(far)).toBe(true);
    expect(s.inUse).toBe(1);
  });

  test('matches a naive model on random operations', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.oneof(fc.record({ op: fc.constant('take') }), fc.record({ op: fc.constantFrom('claim', 'release'), o: fc.nat(39) })), { maxLength: 200 }),
        (size, ops) => {
          const s = new FreeSpace(BigInt(size), (o) => o % 7 === 6, BigInt(Math.floor((size + 1) / 7)));
          const used = new Set<number>();
          for (const step of ops) {
            if (step.op === 'take') {
              let want: number | undefined;
              for (let o = 0; o < size; o++) {
                if (!used.has(o) && o % 7 !== 6) {
                  want = o;
                  break;
                }
              }
              expect(s.take()).toBe(want);
              if (want !== undefined) used.add(want);
            } else if ('o' in step && step.o < size) {
              if (step.op === 'claim') expect(s.claim(BigInt(step.o))).toBe(!used.has(step.o));
              else expect(s.release(BigInt(step.o))).toBe(used.has(step.o));
              if (step.op === 'claim') used.add(step.o);
              else used.delete(step.o);
            }
            expect(s.inUse).toBe(used.size);
          }
        },
      ),
    );
  });
});
