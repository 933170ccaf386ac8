import { randomUUID } from 'node:crypto';
import type { Informer } from './informer.js';
import { loggerFor, type Logger } from './logger.js';
import { controllerMetrics, workqueueMetrics } from './metrics.js';
import { objectKey, splitKey, type KubeObject } from './resource.js';
import { WorkQueue } from './workqueue.js';

/**
 * The reconcile loop every component runs: informers turn changes into keys, a de-duplicating
 * queue hands each key to one of `concurrency` workers, and `reconcile` makes the world match the
 * object's current state (level-based and idempotent: it is told what, never what changed).
 */

export interface Request {
  namespace?: string;
  name: string;
}

export interface ReconcileContext {
  log: Logger;
  reconcileID: string;
  /** Aborted when the controller stops (or loses leadership). */
  signal: AbortSignal;
}

export type ReconcileResult = void | { requeueAfterMs: number };

export interface Reconciler {
  reconcile(req: Request, ctx: ReconcileContext): Promise<ReconcileResult>;
}

export interface ControllerOptions {
  name: string;
  reconciler: Reconciler;
  concurrency?: number;
  log?: Logger;
  backoff?: { initialMs: number; maxMs: number };
}

export class Controller {
  readonly queue: WorkQueue;
  private readonly log: Logger;
  private readonly concurrency: number;
  private abort = new AbortController();
  private workers: Promise<void>[] = [];

  constructor(private readonly opts: ControllerOptions) {
    this.queue = new WorkQueue({ name: opts.name, backoff: opts.backoff });
    this.log = opts.log ?? loggerFor(opts.name);
    this.concurrency = Math.max(1, opts.concurrency ?? 1);
    controllerMetrics.maxWorkers.set({ controller: opts.name }, this.concurrency);
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  /**
   * Reconcile on every change of the informer's objects. `map` turns an object into the keys of
   * the objects to reconcile (default: the object itself), e.g. an EndpointSlice → its Service.
   */
  watch<T extends KubeObject>(informer: Informer<T>, map: (obj: T) => string[] = (o) => [objectKey(o)]): this {
    const enqueue = (obj: T) => {
      for (const k of map(obj)) this.queue.add(k);
    };
    informer.on({ add: enqueue, update: (obj, old) => (enqueue(old), enqueue(obj)), delete: enqueue });
    return this;
  }

  start(): void {
    if (this.workers.length > 0) return;
    this.abort = new AbortController();
    for (let i = 0; i < this.concurrency; i++) this.workers.push(this.work());
    this.log.info('controller started', { workers: this.concurrency });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.queue.shutDown();
    await Promise.all(this.workers);
    this.workers = [];
    this.log.info('controller stopped');
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      await this.process(key);
      this.queue.done(key);
    }
  }

  private async process(key: string): Promise<void> {
    const name = this.opts.name;
    const reconcileID = randomUUID();
    const req = splitKey(key);
    const log = this.log.child({ object: key, reconcileID });
    const started = process.hrtime.bigint();
    controllerMetrics.activeWorkers.inc({ controller: name });
    try {
      const result = await this.opts.reconciler.reconcile(req, { log, reconcileID, signal: this.abort.signal });
      this.queue.forget(key);
      if (result && result.requeueAfterMs > 0) {
        controllerMetrics.reconciles.inc({ controller: name, result: 'requeue_after' });
        this.queue.addAfter(key, result.requeueAfterMs);
      } else {
        controllerMetrics.reconciles.inc({ controller: name, result: 'success' });
      }
    } catch (err) {
      controllerMetrics.reconciles.inc({ controller: name, result: 'error' });
      controllerMetrics.errors.inc({ controller: name });
      log.error('reconcile failed', { error: (err as Error).message, retries: this.queue.retries(key) });
      if (!this.abort.signal.aborted) this.queue.addRateLimited(key);
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      controllerMetrics.duration.observe({ controller: name }, seconds);
      workqueueMetrics.workDuration.observe({ name }, seconds);
      controllerMetrics.activeWorkers.dec({ controller: name });
    }
  }
}
