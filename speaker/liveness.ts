/**
 * Speaker liveness from per-node Leases, and the fence that keeps two nodes from answering for
 * the same address (docs/adr/0031-speaker-liveness-and-fencing.md). Pure: the lease keeper feeds
 * it what it listed and when, by its own monotonic clock.
 *
 * - A peer is alive until `durationMs` after this speaker *saw* its Lease change. Timing from our
 *   own observation, not the peer's renewTime, makes clock skew irrelevant and only ever extends
 *   the peer's life as we see it.
 * - This speaker may answer only until `lastGood + durationMs - marginMs`, where `lastGood` is the
 *   start of the last tick in which it both listed the Leases and renewed its own. Any peer saw
 *   that renewal after it was sent, so every peer's view of our Lease outlives our fence.
 * - It counts itself a candidate only after `warmupMs` of unbroken renewals: a returning node
 *   starts answering late, after the others have seen it and stopped (stop early, start late).
 */

export interface LeaseRecord {
  /** The node whose speaker holds the Lease. */
  node: string;
  /** What changes on every renewal (renewTime and holder), compared for equality only. */
  version: string;
  durationMs: number;
}

export interface LivenessTimings {
  durationMs: number;
  marginMs: number;
  warmupMs: number;
}

interface Seen {
  version: string;
  changedAt: number;
  durationMs: number;
}

export class Liveness {
  private readonly peers = new Map<string, Seen>();
  private lastGood: number | undefined;
  private streakStart: number | undefined;

  constructor(
    readonly self: string,
    readonly timings: LivenessTimings,
  ) {}

  /** A successful list of all speaker Leases, received at `now`. */
  observe(records: readonly LeaseRecord[], now: number): void {
    const present = new Set<string>();
    for (const r of records) {
      if (r.node === this.self) continue;
      present.add(r.node);
      const prev = this.peers.get(r.node);
      if (!prev || prev.version !== r.version) this.peers.set(r.node, { version: r.version, changedAt: now, durationMs: r.durationMs });
    }
    // A deleted Lease is a speaker that handed over: dead at once.
    for (const node of [...this.peers.keys()]) if (!present.has(node)) this.peers.delete(node);
  }

  /** A tick that started at `tickStart` listed the Leases and renewed ours. */
  renewed(tickStart: number): void {
    if (this.streakStart === undefined || !this.canAnswer(tickStart)) this.streakStart = tickStart;
    this.lastGood = tickStart;
  }

  /** We gave our Lease up (shutdown, link down): not a candidate until renewals start again. */
  released(): void {
    this.lastGood = undefined;
    this.streakStart = undefined;
  }

  /** The fence: whether this speaker may answer for addresses it owns at `now`. */
  canAnswer(now: number): boolean {
    return this.lastGood !== undefined && now < this.lastGood + this.timings.durationMs - this.timings.marginMs;
  }

  /** When the fence closes if no renewal succeeds before (undefined: closed). */
  fenceDeadline(): number | undefined {
    return this.lastGood === undefined ? undefined : this.lastGood + this.timings.durationMs - this.timings.marginMs;
  }

  selfAlive(now: number): boolean {
    return this.canAnswer(now) && this.streakStart !== undefined && now - this.streakStart >= this.timings.warmupMs;
  }

  peerAlive(node: string, now: number): boolean {
    const seen = this.peers.get(node);
    return seen !== undefined && now < seen.changedAt + seen.durationMs;
  }

  /** Nodes whose speakers are alive at `now`, ourselves included when we are. */
  alive(now: number): Set<string> {
    const out = new Set<string>();
    for (const node of this.peers.keys()) if (this.peerAlive(node, now)) out.add(node);
    if (this.selfAlive(now)) out.add(this.self);
    return out;
  }

  /** The next moment a peer's Lease expires, so a takeover is decided then and not a tick later. */
  nextExpiry(now: number): number | undefined {
    let next: number | undefined;
    for (const s of this.peers.values()) {
      const at = s.changedAt + s.durationMs;
      if (at > now && (next === undefined || at < next)) next = at;
    }
    return next;
  }
}
