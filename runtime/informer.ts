import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, jittered } from './backoff.js';
import { isGone, type KubeClient, type WatchEventType } from './kube-client.js';
import type { Logger } from './logger.js';
import { informerMetrics } from './metrics.js';
import { objectKey, type KubeObject, type ResourceRef } from './resource.js';

/**
 * A list-watch cache that never goes silent. The stock client-node informer stops for good on any
 * watch error and has no client-side timeout (reference/ecosystem.md), so this one:
 * - restarts the watch after any error with jittered exponential backoff;
 * - asks for bookmarks and ends each watch after a server-side timeout, so a healthy stream always
 *   shows signs of life, and restarts a watch that shows none for `idleTimeoutMs` (watchdog);
 * - relists on 410 Gone, and periodically, emitting the differences as add/update/delete;
 * - reports every transition to a listener and a metric, so a silent informer is visible.
 */

export type Transition =
  | 'listed'
  | 'list-failed'
  | 'watch-started'
  | 'watch-closed'
  | 'watch-failed'
  | 'gone'
  | 'watchdog'
  | 'relist'
  | 'stopped';

export interface InformerHandlers<T> {
  add?: (obj: T) => void;
  update?: (obj: T, old: T) => void;
  delete?: (obj: T) => void;
}

export interface InformerOptions {
  client: KubeClient;
  resource: ResourceRef;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  log?: Logger;
  /** Server ends each watch after about this long (default 300 s, jittered). */
  watchTimeoutSeconds?: number;
  /** Restart a watch when nothing, not even a bookmark, arrived for this long (default 150 s). */
  idleTimeoutMs?: number;
  /** Relist this often even when all seems well (default 10 min, jittered). */
  relistIntervalMs?: number;
  backoff?: { initialMs: number; maxMs: number };
}

export class Informer<T extends KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private readonly transitionListeners: ((t: Transition, detail?: string) => void)[] = [];
  private resourceVersion = '';
  private running = false;
  private synced = false;
  private syncedWaiters: (() => void)[] = [];
  private watchAbort: AbortController | undefined;
  private stopAbort = new AbortController();
  private lastActivity = Date.now();
  private lastRelist = Date.now();
  private failures = 0;
  private loop: Promise<void> | undefined;
  private readonly name: string;

  constructor(private readonly opts: InformerOptions) {
    this.name = `${opts.resource.plural}${opts.resource.group ? `.${opts.resource.group}` : ''}${opts.namespace ? `@${opts.namespace}` : ''}`;
  }

  on(handlers: InformerHandlers<T>): this {
    this.handlers.push(handlers);
    return this;
  }

  onTransition(listener: (t: Transition, detail?: string) => void): this {
    this.transitionListeners.push(listener);
    return this;
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  get lastResourceVersion(): string {
    return this.resourceVersion;
  }

  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  keys(): string[] {
    return [...this.cache.keys()];
  }

  /** Start; resolves once the first list has filled the cache. */
  start(): Promise<void> {
    if (!this.running) {
      this.running = true;
      this.stopAbort = new AbortController();
      this.loop = this.run();
    }
    return this.waitForSync();
  }

  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncedWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopAbort.abort();
    this.watchAbort?.abort();
    await this.loop;
    this.transition('stopped');
  }

  /** Abort the current watch; the loop re-watches from the last version (used by the watchdog). */
  restartWatch(reason: Transition = 'watchdog'): void {
    this.transition(reason);
    this.watchAbort?.abort();
  }

  private transition(t: Transition, detail?: string): void {
    informerMetrics.transitions.inc({ resource: this.name, transition: t });
    const level = t === 'list-failed' || t === 'watch-failed' || t === 'watchdog' ? 'warn' : 'debug';
    this.opts.log?.log(level, `informer ${t}`, { resource: this.name, transition: t, detail, resourceVersion: this.resourceVersion });
    for (const l of this.transitionListeners) l(t, detail);
  }

  private emit<K extends keyof InformerHandlers<T>>(kind: K, ...args: Parameters<NonNullable<InformerHandlers<T>[K]>>): void {
    informerMetrics.events.inc({ resource: this.name, type: kind });
    for (const h of this.handlers) {
      const fn = h[kind] as ((...a: typeof args) => void) | undefined;
      try {
        fn?.(...args);
      } catch (err) {
        // A handler's bug must not stop the informer for everyone else.
        this.opts.log?.error('informer handler failed', { resource: this.name, handler: kind, error: (err as Error).message });
      }
    }
  }

  /** Replace the cache with a fresh list, emitting what changed. */
  private async relist(): Promise<void> {
    const { items, resourceVersion } = await this.opts.client.list<T>(this.opts.resource, {
      namespace: this.opts.namespace,
      labelSelector: this.opts.labelSelector,
      fieldSelector: this.opts.fieldSelector,
      limit: 500,
    });
    const seen = new Set<string>();
    for (const obj of items) {
      const key = objectKey(obj);
      seen.add(key);
      const old = this.cache.get(key);
      this.cache.set(key, obj);
      if (!old) this.emit('add', obj);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.emit('update', obj, old);
    }
    for (const [key, old] of this.cache) {
      if (!seen.has(key)) {
        this.cache.delete(key);
        this.emit('delete', old);
      }
    }
    this.resourceVersion = resourceVersion;
    this.lastRelist = Date.now();
    this.lastActivity = Date.now();
    informerMetrics.lastEvent.set({ resource: this.name }, Date.now() / 1000);
    this.transition('listed', `${items.length} objects at ${resourceVersion}`);
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncedWaiters.splice(0)) w();
    }
  }

  private apply(type: WatchEventType, obj: T): void {
    this.lastActivity = Date.now();
    informerMetrics.lastEvent.set({ resource: this.name }, Date.now() / 1000);
    if (obj.metadata.resourceVersion) this.resourceVersion = obj.metadata.resourceVersion;
    if (type === 'BOOKMARK') return;
    const key = objectKey(obj);
    const old = this.cache.get(key);
    if (type === 'DELETED') {
      this.cache.delete(key);
      this.emit('delete', old ?? obj);
      return;
    }
    this.cache.set(key, obj);
    if (old) this.emit('update', obj, old);
    else this.emit('add', obj);
  }

  private async pause(): Promise<void> {
    const delay = backoffDelay(this.failures++, this.opts.backoff ?? { initialMs: 200, maxMs: 30_000 });
    await sleep(delay, undefined, { signal: this.stopAbort.signal }).catch(() => {});
  }

  private async run(): Promise<void> {
    const idleTimeout = this.opts.idleTimeoutMs ?? 150_000;
    const relistEvery = jittered(this.opts.relistIntervalMs ?? 600_000);
    let needList = true;
    while (this.running) {
      if (needList || Date.now() - this.lastRelist > relistEvery) {
        if (!needList) this.transition('relist');
        try {
          await this.relist();
          needList = false;
          this.failures = 0;
        } catch (err) {
          this.transition('list-failed', (err as Error).message);
          await this.pause();
          continue;
        }
      }
      // stop() may have landed while the list was in flight: never start a watch after it.
      if (!this.running) break;
      const abort = new AbortController();
      this.watchAbort = abort;
      const watchdog = setInterval(() => {
        if (Date.now() - this.lastActivity > idleTimeout) this.restartWatch('watchdog');
      }, Math.min(5_000, idleTimeout / 2));
      const untilRelist = Math.max(1, Math.ceil((this.lastRelist + relistEvery - Date.now()) / 1000));
      try {
        this.transition('watch-started', `from ${this.resourceVersion}`);
        this.lastActivity = Date.now();
        await this.opts.client.watch<T>(
          this.opts.resource,
          {
            namespace: this.opts.namespace,
            labelSelector: this.opts.labelSelector,
            fieldSelector: this.opts.fieldSelector,
            resourceVersion: this.resourceVersion,
            timeoutSeconds: Math.min(untilRelist, jittered(this.opts.watchTimeoutSeconds ?? 300)),
            signal: abort.signal,
          },
          (type, obj) => this.apply(type, obj),
        );
        this.failures = 0;
        if (this.running) this.transition('watch-closed');
      } catch (err) {
        if (!this.running) break;
        if (isGone(err)) {
          // The version we hold was compacted away: only a fresh list can tell what changed.
          this.transition('gone', (err as Error).message);
          needList = true;
          continue;
        }
        this.transition('watch-failed', (err as Error).message);
        await this.pause();
      } finally {
        clearInterval(watchdog);
      }
    }
  }
}
