import { performance } from 'node:perf_hooks';
import { SpeakerLeases } from '../api/labels.js';
import { isConflict, isNotFound, type KubeClient } from '../runtime/kube-client.js';
import { microTime, type Lease } from '../runtime/leader-election.js';
import type { Logger } from '../runtime/logger.js';
import { CoreResources } from '../runtime/resource.js';
import { Liveness, type LeaseRecord, type LivenessTimings } from './liveness.js';

/**
 * Keeps this node's speaker Lease fresh and reads everyone's, every `renewIntervalMs`: list the
 * speaker Leases, then (only if the list worked, so our view is as fresh as our renewal) renew
 * ours. Feeds Liveness (pure) and calls `onChange` after each tick and when a peer's Lease runs
 * out, so takeovers are decided at the moment of expiry. When this node has no usable link it
 * deletes its Lease: peers take over at once instead of after the lease duration.
 */

export interface LeaseKeeperOptions {
  /** Use a client with a short request timeout: an answer later than the fence is useless. */
  client: KubeClient;
  namespace: string;
  node: string;
  timings: LivenessTimings;
  renewIntervalMs: number;
  log: Logger;
  /** Whether this node can announce at all (some usable link); false releases the Lease. */
  linkUp: () => Promise<boolean>;
  onChange: () => void;
}

export const leaseName = (node: string) => `${SpeakerLeases.namePrefix}${node}`;

export function leaseRecord(l: Lease): LeaseRecord | undefined {
  const node = l.metadata.labels?.[SpeakerLeases.nodeLabel];
  if (!node || !l.spec?.renewTime || !l.spec.holderIdentity) return undefined;
  const annotated = Number(l.metadata.annotations?.[SpeakerLeases.durationMsAnnotation]);
  const durationMs = Number.isFinite(annotated) && annotated > 0 ? annotated : (l.spec.leaseDurationSeconds ?? 0) * 1000;
  return { node, version: `${l.spec.holderIdentity}@${l.spec.renewTime}`, durationMs };
}

export class LeaseKeeper {
  readonly liveness: Liveness;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private own: Lease | undefined;
  private holding = false;
  private failures = 0;

  constructor(private readonly opts: LeaseKeeperOptions) {
    this.liveness = new Liveness(opts.node, opts.timings);
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const start = performance.now();
      await this.tick(start);
      this.scheduleExpiry();
      this.opts.onChange();
      const wait = Math.max(0, start + this.opts.renewIntervalMs - performance.now());
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, wait);
      });
    }
  }

  private async tick(start: number): Promise<void> {
    const { client, namespace, node, log } = this.opts;
    try {
      if (!(await this.opts.linkUp())) {
        if (this.holding) {
          log.warn('no usable link: releasing the speaker Lease so peers take over', { node });
          await this.release();
        }
        return;
      }
      const list = await client.list<Lease>(CoreResources.leases, { namespace, labelSelector: SpeakerLeases.nodeLabel });
      const records = list.items.map(leaseRecord).filter((r): r is LeaseRecord => r !== undefined);
      this.liveness.observe(records, performance.now());
      this.own = list.items.find((l) => l.metadata.name === leaseName(node));
      this.own = await this.renew(this.own);
      this.holding = true;
      this.liveness.renewed(start);
      if (this.failures > 0) log.info('speaker Lease renewed again', { node, afterFailures: this.failures });
      this.failures = 0;
    } catch (err) {
      this.failures++;
      // Repeated failures close the fence by themselves; log the first and then every tenth.
      if (this.failures === 1 || this.failures % 10 === 0) log.warn('could not list or renew speaker Leases', { node, failures: this.failures, error: (err as Error).message, fenceOpen: this.liveness.canAnswer(performance.now()) });
      if (isConflict(err) || isNotFound(err)) this.own = undefined;
    }
  }

  private spec(prev: Lease | undefined): Lease {
    const now = Date.now();
    const { node, namespace, timings } = this.opts;
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        ...(prev?.metadata ?? {}),
        name: leaseName(node),
        namespace,
        labels: { ...(prev?.metadata.labels ?? {}), [SpeakerLeases.nodeLabel]: node },
        annotations: { ...(prev?.metadata.annotations ?? {}), [SpeakerLeases.durationMsAnnotation]: String(timings.durationMs) },
      },
      spec: {
        holderIdentity: node,
        leaseDurationSeconds: Math.ceil(timings.durationMs / 1000),
        acquireTime: prev?.spec?.acquireTime && this.holding ? prev.spec.acquireTime : microTime(now),
        renewTime: microTime(now),
      },
    };
  }

  private async renew(prev: Lease | undefined): Promise<Lease> {
    const { client } = this.opts;
    if (prev) return client.replace<Lease>(CoreResources.leases, this.spec(prev));
    return client.create<Lease>(CoreResources.leases, this.spec(undefined));
  }

  private scheduleExpiry(): void {
    clearTimeout(this.expiryTimer);
    const now = performance.now();
    const at = this.liveness.nextExpiry(now);
    if (at === undefined || at - now >= this.opts.renewIntervalMs) return;
    this.expiryTimer = setTimeout(() => this.opts.onChange(), at - now + 1);
  }

  /** Give the Lease up: closed fence first, then the delete, so peers can take over at once. */
  private async release(): Promise<void> {
    this.liveness.released();
    this.holding = false;
    this.own = undefined;
    try {
      await this.opts.client.delete(CoreResources.leases, leaseName(this.opts.node), this.opts.namespace);
    } catch (err) {
      this.opts.log.warn('could not delete the speaker Lease; peers take over when it expires', { error: (err as Error).message });
    }
  }

  /** Stop renewing; `handover`: delete the Lease so the next announcer takes over at once. */
  async stop(handover: boolean): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    clearTimeout(this.expiryTimer);
    this.liveness.released();
    this.wake?.();
    // Let the tick in flight finish before the delete, or its renewal could recreate the Lease.
    await this.loop;
    this.liveness.released();
    if (handover) await this.release();
  }
}
