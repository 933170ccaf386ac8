import { backoffDelay } from './backoff.js';
import { workqueueMetrics } from './metrics.js';

/**
 * A de-duplicating, rate-limited work queue with controller-runtime's guarantees: a key waiting
 * in the queue is held once however often it is added; a key is never handed to two workers at
 * once (re-added while in flight, it is queued again when the worker is done); failures back off
 * per key exponentially until forgotten.
 */
export interface WorkQueueOptions {
  name: string;
  backoff?: { initialMs: number; maxMs: number };
  random?: () => number;
}

export class WorkQueue<K extends string = string> {
  private readonly queue: K[] = [];
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly addedAt = new Map<K, number>();
  private readonly failures = new Map<K, number>();
  private readonly timers = new Map<K, NodeJS.Timeout>();
  private readonly waiters: ((k: K | undefined) => void)[] = [];
  private shuttingDown = false;

  constructor(private readonly opts: WorkQueueOptions) {}

  get length(): number {
    return this.queue.length;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    workqueueMetrics.adds.inc({ name: this.opts.name });
    this.dirty.add(key);
    if (!this.addedAt.has(key)) this.addedAt.set(key, Date.now());
    if (this.processing.has(key)) return;
    this.push(key);
  }

  private push(key: K): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      this.take(key);
      waiter(key);
      return;
    }
    this.queue.push(key);
    workqueueMetrics.depth.set({ name: this.opts.name }, this.queue.length);
  }

  private take(key: K): void {
    this.dirty.delete(key);
    this.processing.add(key);
    const since = this.addedAt.get(key);
    this.addedAt.delete(key);
    if (since !== undefined) workqueueMetrics.queueDuration.observe({ name: this.opts.name }, (Date.now() - since) / 1000);
  }

  /** Add after a delay; an earlier pending delay for the same key wins. */
  addAfter(key: K, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    const existing = this.timers.get(key);
    if (existing) return;
    const t = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    t.unref();
    this.timers.set(key, t);
  }

  /** Add after this key's next backoff delay. */
  addRateLimited(key: K): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    workqueueMetrics.retries.inc({ name: this.opts.name });
    this.addAfter(key, backoffDelay(n, this.opts.backoff ?? { initialMs: 50, maxMs: 300_000 }, this.opts.random));
  }

  /** Reset the key's backoff after a success. */
  forget(key: K): void {
    this.failures.delete(key);
  }

  retries(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  /** The next key, or undefined once the queue shuts down. */
  get(): Promise<K | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) {
      workqueueMetrics.depth.set({ name: this.opts.name }, this.queue.length);
      this.take(key);
      return Promise.resolve(key);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The worker finished with `key`; if it was added meanwhile, it goes back in the queue. */
  done(key: K): void {
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) this.push(key);
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }
}
