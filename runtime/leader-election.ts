import { setTimeout as sleep } from 'node:timers/promises';
import { isConflict, isNotFound, type KubeClient } from './kube-client.js';
import type { Logger } from './logger.js';
import { leaderMetrics } from './metrics.js';
import { CoreResources, type KubeObject } from './resource.js';

/**
 * Leader election on a coordination.k8s.io Lease, fenced: the leader stops acting when it has
 * not renewed for `renewDeadlineMs`, which is shorter than the lease, so it has stopped before any
 * contender may take over. Expiry is judged by when *this* process last saw the lease change (as
 * client-go does), never by comparing clocks of different machines.
 */

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface Observation {
  /** Holder and renew time of the lease as last read; a change restarts the expiry clock. */
  record: string;
  /** Local time (ms) when `record` was first seen. */
  observedAt: number;
}

export type Decision =
  | { action: 'create' }
  | { action: 'renew' }
  | { action: 'take-over'; from: string }
  | { action: 'wait'; holder: string; expiresInMs: number };

export function recordOf(spec: LeaseSpec | undefined): string {
  return `${spec?.holderIdentity ?? ''}@${spec?.renewTime ?? ''}`;
}

/** What a contender should do, given the lease as read now and what it saw before. */
export function decide(lease: Lease | undefined, identity: string, observed: Observation | undefined, now: number, leaseDurationMs: number): Decision {
  if (!lease) return { action: 'create' };
  const holder = lease.spec?.holderIdentity ?? '';
  if (holder === identity) return { action: 'renew' };
  if (holder === '') return { action: 'take-over', from: '' };
  const duration = (lease.spec?.leaseDurationSeconds ?? leaseDurationMs / 1000) * 1000;
  const since = observed && observed.record === recordOf(lease.spec) ? observed.observedAt : now;
  const expiresInMs = since + duration - now;
  return expiresInMs <= 0 ? { action: 'take-over', from: holder } : { action: 'wait', holder, expiresInMs };
}

/** A Lease MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export interface LeaderElectionOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  log?: Logger;
  /** Called on gaining leadership; `signal` aborts when leadership is lost or released. */
  onStartedLeading: (signal: AbortSignal) => void;
  onStoppedLeading?: (reason: 'fenced' | 'released' | 'lost') => void;
  onNewLeader?: (identity: string) => void;
}

export class LeaderElector {
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private observed: Observation | undefined;
  private lastRenew = 0;
  private leading: AbortController | undefined;
  private running = false;
  private stopAbort = new AbortController();
  private loop: Promise<void> | undefined;
  private fence: NodeJS.Timeout | undefined;
  private lastLeader = '';

  constructor(private readonly opts: LeaderElectionOptions) {
    this.leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    if (!(this.renewDeadlineMs < this.leaseDurationMs && this.retryPeriodMs < this.renewDeadlineMs)) {
      throw new Error('leader election needs retryPeriod < renewDeadline < leaseDuration');
    }
  }

  get isLeader(): boolean {
    return this.leading !== undefined;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopAbort = new AbortController();
    this.fence = setInterval(() => this.checkFence(), Math.max(50, Math.floor(this.retryPeriodMs / 4)));
    this.loop = this.run();
  }

  /** Stop contending; a leader releases the lease so a successor need not wait for it to expire. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopAbort.abort();
    await this.loop;
    if (this.fence) clearInterval(this.fence);
    if (this.leading) {
      this.stopLeading('released');
      await this.release().catch((err: Error) => this.opts.log?.warn('could not release lease', { error: err.message }));
    }
  }

  private checkFence(): void {
    if (this.leading && Date.now() - this.lastRenew > this.renewDeadlineMs) {
      this.opts.log?.error('lease not renewed within the renew deadline: stepping down', { lease: this.opts.name, renewDeadlineMs: this.renewDeadlineMs });
      this.stopLeading('fenced');
    }
  }

  private stopLeading(reason: 'fenced' | 'released' | 'lost'): void {
    const l = this.leading;
    if (!l) return;
    this.leading = undefined;
    leaderMetrics.isLeader.set({ name: this.opts.name }, 0);
    leaderMetrics.transitions.inc({ name: this.opts.name, event: reason });
    l.abort();
    this.opts.onStoppedLeading?.(reason);
  }

  private startLeading(): void {
    if (this.leading) return;
    this.leading = new AbortController();
    leaderMetrics.isLeader.set({ name: this.opts.name }, 1);
    leaderMetrics.transitions.inc({ name: this.opts.name, event: 'started' });
    this.opts.log?.info('became leader', { lease: this.opts.name, identity: this.opts.identity });
    this.opts.onStartedLeading(this.leading.signal);
  }

  private spec(now: number, prev: LeaseSpec | undefined, takeOver: boolean): LeaseSpec {
    return {
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime: takeOver || !prev?.acquireTime ? microTime(now) : prev.acquireTime,
      renewTime: microTime(now),
      leaseTransitions: (prev?.leaseTransitions ?? 0) + (takeOver ? 1 : 0),
    };
  }

  /** One attempt to acquire or renew; true when this process holds the lease afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { client, namespace, name, identity } = this.opts;
    const started = Date.now();
    let lease: Lease | undefined;
    try {
      lease = await client.get<Lease>(CoreResources.leases, name, namespace);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const now = Date.now();
    if (lease && recordOf(lease.spec) !== this.observed?.record) this.observed = { record: recordOf(lease.spec), observedAt: now };
    const holder = lease?.spec?.holderIdentity ?? '';
    if (holder && holder !== this.lastLeader) {
      this.lastLeader = holder;
      this.opts.onNewLeader?.(holder);
    }
    const d = decide(lease, identity, this.observed, now, this.leaseDurationMs);
    if (d.action === 'wait') return false;
    try {
      if (d.action === 'create') {
        await client.create<Lease>(CoreResources.leases, { metadata: { name, namespace }, spec: this.spec(now, undefined, true) });
      } else {
        await client.replace<Lease>(CoreResources.leases, { ...(lease as Lease), spec: this.spec(now, lease?.spec, d.action === 'take-over') });
      }
    } catch (err) {
      // Someone else wrote first: not ours this round.
      if (isConflict(err) || (err as { status?: number }).status === 409) return false;
      throw err;
    }
    // Renewal counts from when the attempt began: the lease we wrote may be that old by now.
    this.lastRenew = started;
    return true;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const held = await this.tryAcquireOrRenew();
        if (held) this.startLeading();
        else if (this.leading) this.stopLeading('lost');
      } catch (err) {
        this.opts.log?.warn('lease attempt failed', { lease: this.opts.name, error: (err as Error).message });
      }
      this.checkFence();
      await sleep(this.retryPeriodMs, undefined, { signal: this.stopAbort.signal }).catch(() => {});
    }
  }

  private async release(): Promise<void> {
    const { client, namespace, name, identity } = this.opts;
    const lease = await client.get<Lease>(CoreResources.leases, name, namespace);
    if (lease.spec?.holderIdentity !== identity) return;
    await client.replace<Lease>(CoreResources.leases, {
      ...lease,
      spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(Date.now()) },
    });
  }
}
