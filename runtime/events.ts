import { createHash } from 'node:crypto';
import type { KubeClient } from './kube-client.js';
import { isNotFound } from './kube-client.js';
import type { Logger } from './logger.js';
import { CoreResources, type KubeObject } from './resource.js';

/**
 * Kubernetes Events about our objects, as `kubectl describe` shows them. Repeats of the same event
 * (object, type, reason, message) within the aggregation window bump `count` on one Event rather
 * than creating thousands.
 */

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  client: KubeClient;
  /** `reportingComponent` / `source.component`, e.g. `fleetlb-member-agent`. */
  component: string;
  /** `reportingInstance` / `source.host`, e.g. the node or pod name. */
  instance: string;
  log?: Logger;
  windowMs?: number;
}

interface CoreEvent extends KubeObject {
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  at: number;
}

const time = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export class EventRecorder {
  private readonly seen = new Map<string, Seen>();

  constructor(private readonly opts: EventRecorderOptions) {}

  /** Record an event; never throws (an event is worth less than the work it describes). */
  async record(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const namespace = obj.metadata.namespace ?? 'default';
    const key = [obj.kind, namespace, obj.metadata.name, obj.metadata.uid, type, reason, message].join('\u0000');
    const now = new Date();
    const windowMs = this.opts.windowMs ?? 10 * 60_000;
    const prev = this.seen.get(key);
    try {
      if (prev && now.getTime() - prev.at < windowMs) {
        prev.count++;
        prev.at = now.getTime();
        try {
          await this.opts.client.mergePatch<CoreEvent>(CoreResources.events, prev.name, prev.namespace, { count: prev.count, lastTimestamp: time(now) });
          return;
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      const hash = createHash('sha256').update(key).update(String(now.getTime())).digest('hex').slice(0, 10);
      const name = `${(obj.metadata.name ?? 'object').slice(0, 200)}.${hash}`;
      await this.opts.client.create<CoreEvent>(CoreResources.events, {
        metadata: { name, namespace },
        involvedObject: {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          name: obj.metadata.name,
          namespace: obj.metadata.namespace,
          uid: obj.metadata.uid,
          resourceVersion: obj.metadata.resourceVersion,
        },
        type,
        reason,
        message: message.slice(0, 1024),
        count: 1,
        firstTimestamp: time(now),
        lastTimestamp: time(now),
        source: { component: this.opts.component, host: this.opts.instance },
        reportingComponent: this.opts.component,
        reportingInstance: this.opts.instance,
      } as CoreEvent);
      this.seen.set(key, { name, namespace, count: 1, at: now.getTime() });
      if (this.seen.size > 5000) this.prune(now.getTime(), windowMs);
    } catch (err) {
      this.opts.log?.warn('could not record event', { reason, object: `${namespace}/${obj.metadata.name ?? ''}`, error: (err as Error).message });
    }
  }

  private prune(now: number, windowMs: number): void {
    for (const [k, s] of this.seen) if (now - s.at >= windowMs) this.seen.delete(k);
  }
}
