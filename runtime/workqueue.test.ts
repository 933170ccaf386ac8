import { describe, expect, test } from '@jest/globals';
import { WorkQueue } from './workqueue.js';

const q = () => new WorkQueue({ name: `test-${Math.random()}`, backoff: { initialMs: 20, maxMs: 40 }, random: () => 0.5 });

describe('work queue', () => {
  test('a key added many times while waiting is handed out once, in first-added order', async () => {
    const queue = q();
    for (const k of ['a', 'b', 'a', 'a', 'c', 'b']) queue.add(k);
    expect(queue.length).toBe(3);
    expect([await queue.get(), await queue.get(), await queue.get()]).toEqual(['a', 'b', 'c']);
  });

  test('a key is never handed to two workers; re-added in flight, it comes back after done', async () => {
    const queue = q();
    queue.add('a');
    const first = await queue.get();
    queue.add('a');
    expect(queue.length).toBe(0);
    let second: string | undefined;
    void queue.get().then((k) => (second = k));
    await new Promise((r) => setImmediate(r));
    expect(second).toBeUndefined();
    queue.done(first as string);
    await new Promise((r) => setImmediate(r));
    expect(second).toBe('a');
  });

  test('failures back off per key and forget resets', async () => {
    const queue = q();
    // Timed from when the delay starts: on a busy machine the lines below may take milliseconds.
    const t0 = Date.now();
    queue.addRateLimited('x');
    expect(queue.retries('x')).toBe(1);
    expect(queue.length).toBe(0);
    expect(await queue.get()).toBe('x');
    // attempt 0 → ceiling 20 ms, half fixed + half of 0.5 random = 15 ms
    expect(Date.now() - t0).toBeGreaterThanOrEqual(10);
    queue.done('x');
    queue.forget('x');
    expect(queue.retries('x')).toBe(0);
  });

  test('shut down wakes waiting workers with no key and refuses new work', async () => {
    const queue = q();
    const waiting = queue.get();
    queue.shutDown();
    expect(await waiting).toBeUndefined();
    queue.add('late');
    expect(queue.length).toBe(0);
  });
});
