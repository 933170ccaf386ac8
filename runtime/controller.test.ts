import { describe, expect, test } from '@jest/globals';
import { Controller, type ReconcileResult, type Request } from './controller.js';
import winston from 'winston';

// The failures below are expected; keep their log lines out of the test output.
const log = winston.createLogger({ silent: true });

const until = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('controller', () => {
  test('a failing key is retried with backoff until it succeeds, then forgotten', async () => {
    const calls: string[] = [];
    let failures = 2;
    const c = new Controller({
      name: `retry-${Math.random()}`,
      log,
      backoff: { initialMs: 5, maxMs: 20 },
      reconciler: {
        async reconcile(req: Request) {
          calls.push(`${req.namespace}/${req.name}`);
          if (failures-- > 0) throw new Error('not yet');
        },
      },
    });
    c.start();
    c.enqueue('ns/a');
    await until(() => calls.length === 3);
    expect(calls).toEqual(['ns/a', 'ns/a', 'ns/a']);
    expect(c.queue.retries('ns/a')).toBe(0);
    await c.stop();
  });

  test('requeueAfter brings the key back later; the same key never runs twice at once', async () => {
    let running = 0;
    let maxRunning = 0;
    let calls = 0;
    const c = new Controller({
      name: `requeue-${Math.random()}`,
      log,
      concurrency: 4,
      reconciler: {
        async reconcile(): Promise<ReconcileResult> {
          running++;
          maxRunning = Math.max(maxRunning, running);
          calls++;
          await new Promise((r) => setTimeout(r, 20));
          running--;
          return calls < 3 ? { requeueAfterMs: 10 } : undefined;
        },
      },
    });
    c.start();
    for (let i = 0; i < 5; i++) c.enqueue('same');
    await until(() => calls >= 3);
    expect(maxRunning).toBe(1);
    await c.stop();
  });

  test('different keys run concurrently up to the limit', async () => {
    let running = 0;
    let maxRunning = 0;
    const c = new Controller({
      name: `concurrency-${Math.random()}`,
      log,
      concurrency: 3,
      reconciler: {
        async reconcile() {
          running++;
          maxRunning = Math.max(maxRunning, running);
          await new Promise((r) => setTimeout(r, 30));
          running--;
        },
      },
    });
    c.start();
    for (let i = 0; i < 10; i++) c.enqueue(`k${i}`);
    await until(() => c.queue.length === 0 && running === 0, 5000);
    expect(maxRunning).toBe(3);
    await c.stop();
  });
});
