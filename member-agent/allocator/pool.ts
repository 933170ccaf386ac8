import type { LabelSelector } from '../../api/meta.js';
import type { IPAddressPool } from '../../api/metallb.js';
import { PoolReasons } from './errors.js';
import { FreeSpace } from './free-space.js';
import { buggyCount, contains, isBuggyIPv4, overlaps, parseRange, rangeSize, type Address, type Family, type IPRange } from '../../runtime/ip.js';
import { selectorMatches } from '../../runtime/label-selector.js';

/** An IPAddressPool as the allocator reads it: parsed once, compared by value. */
export interface PoolConfig {
  name: string;
  /** creationTimestamp: the older of two overlapping pools keeps its addresses. */
  created: string;
  generation?: number;
  ranges: IPRange[];
  /** Entries that do not parse, in words. */
  errors: string[];
  autoAssign: boolean;
  avoidBuggyIPs: boolean;
  /** serviceAllocation.priority; undefined for 0 or unset (the lowest). */
  priority?: number;
  namespaces: string[];
  namespaceSelectors: LabelSelector[];
  serviceSelectors: LabelSelector[];
}

export function poolConfig(obj: Pick<IPAddressPool, 'metadata' | 'spec'>): PoolConfig {
  const ranges: IPRange[] = [];
  const errors: string[] = [];
  for (const entry of obj.spec?.addresses ?? []) {
    const r = parseRange(entry);
    if (r.ok) ranges.push(r.range);
    else errors.push(r.error);
  }
  if ((obj.spec?.addresses ?? []).length === 0) errors.push('spec.addresses is empty');
  const sa = obj.spec?.serviceAllocation;
  return {
    name: obj.metadata.name ?? '',
    created: obj.metadata.creationTimestamp ?? '',
    generation: obj.metadata.generation,
    ranges,
    errors,
    autoAssign: obj.spec?.autoAssign ?? true,
    avoidBuggyIPs: obj.spec?.avoidBuggyIPs ?? false,
    priority: sa?.priority ? sa.priority : undefined,
    namespaces: sa?.namespaces ?? [],
    namespaceSelectors: sa?.namespaceSelectors ?? [],
    serviceSelectors: sa?.serviceSelectors ?? [],
  };
}

/** Pools with serviceAllocation rules serve only the Services those rules pick ("pinned" pools). */
export const isRestricted = (p: PoolConfig): boolean => p.namespaces.length > 0 || p.namespaceSelectors.length > 0 || p.serviceSelectors.length > 0;

/** Priority order: lower priority numbers first, unset (lowest) last, then by name. */
export function comparePools(a: PoolConfig, b: PoolConfig): number {
  const pa = a.priority ?? Number.POSITIVE_INFINITY;
  const pb = b.priority ?? Number.POSITIVE_INFINITY;
  if (pa !== pb) return pa < pb ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Whether a pool's serviceAllocation picks this Service (always true for an unrestricted pool). */
export function poolServes(p: PoolConfig, svc: { namespace: string; labels: Readonly<Record<string, string>> }, namespaceLabels: Readonly<Record<string, string>> | undefined): boolean {
  if (!isRestricted(p)) return true;
  const byNamespace = p.namespaces.length === 0 && p.namespaceSelectors.length === 0;
  const nsOK = byNamespace || p.namespaces.includes(svc.namespace) || p.namespaceSelectors.some((s) => selectorMatches(s, namespaceLabels ?? {}));
  const svcOK = p.serviceSelectors.length === 0 || p.serviceSelectors.some((s) => selectorMatches(s, svc.labels));
  return nsOK && svcOK;
}

/**
 * Why pools cannot be used for new addresses: entries that do not parse, entries that overlap
 * within the pool, or addresses another, older pool already has (the rule MetalLB's webhook
 * enforces at admission; we have no webhook, so the older pool wins and the newer one says why).
 */
export interface PoolProblem {
  reason: typeof PoolReasons.InvalidAddresses | typeof PoolReasons.OverlappingAddresses;
  message: string;
}

export function poolProblems(pools: readonly PoolConfig[]): Map<string, PoolProblem[]> {
  const problems = new Map<string, PoolProblem[]>();
  const add = (name: string, reason: PoolProblem['reason'], message: string) => problems.set(name, [...(problems.get(name) ?? []), { reason, message }]);
  const byAge = [...pools].sort((a, b) => (a.created !== b.created ? (a.created < b.created ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const accepted: PoolConfig[] = [];
  for (const p of byAge) {
    for (const e of p.errors) add(p.name, PoolReasons.InvalidAddresses, e);
    for (let i = 0; i < p.ranges.length; i++) {
      for (let j = i + 1; j < p.ranges.length; j++) {
        const [a, b] = [p.ranges[i] as IPRange, p.ranges[j] as IPRange];
        if (overlaps(a, b)) add(p.name, PoolReasons.InvalidAddresses, `${a.text} and ${b.text} overlap`);
      }
    }
    for (const other of accepted) {
      for (const a of p.ranges) {
        const b = other.ranges.find((r) => overlaps(a, r));
        if (b) add(p.name, PoolReasons.OverlappingAddresses, `${a.text} overlaps ${b.text} of pool ${other.name}, which is older`);
      }
    }
    if (!problems.has(p.name)) accepted.push(p);
  }
  return problems;
}

/** One range of a pool with its free space. */
export interface RangeState {
  range: IPRange;
  space: FreeSpace;
}

/** A pool as the allocator uses it: its configuration, whether it may hand out addresses, and the free space of each range. */
export class PoolState {
  readonly ranges: RangeState[];
  /** Why the pool may not hand out new addresses; empty when it may. */
  readonly problems: PoolProblem[];
  private readonly hasIPv4: boolean;
  private readonly hasIPv6: boolean;

  constructor(
    readonly config: PoolConfig,
    problems: PoolProblem[] = [],
  ) {
    this.problems = problems;
    this.ranges = config.ranges.map((range) => {
      const size = rangeSize(range);
      if (!config.avoidBuggyIPs || range.family !== 'IPv4') return { range, space: new FreeSpace(size) };
      const firstLow = Number(range.first & 255n);
      const skip = (o: number) => {
        const low = (firstLow + o) % 256;
        return low === 0 || low === 255;
      };
      return { range, space: new FreeSpace(size, skip, buggyCount(range)) };
    });
    this.hasIPv4 = this.ranges.some((r) => r.range.family === 'IPv4');
    this.hasIPv6 = this.ranges.some((r) => r.range.family === 'IPv6');
  }

  get name(): string {
    return this.config.name;
  }

  get usable(): boolean {
    return this.problems.length === 0;
  }

  hasFamily(f: Family): boolean {
    return f === 'IPv4' ? this.hasIPv4 : this.hasIPv6;
  }

  rangeOf(a: Address): RangeState | undefined {
    for (const r of this.ranges) if (contains(r.range, a)) return r;
    return undefined;
  }

  contains(a: Address): boolean {
    return this.rangeOf(a) !== undefined;
  }

  /** Marks an address used if it is in this pool. */
  mark(a: Address): void {
    const r = this.rangeOf(a);
    r?.space.claim(a.value - r.range.first);
  }

  unmark(a: Address): void {
    const r = this.rangeOf(a);
    r?.space.release(a.value - r.range.first);
  }

  isUsed(a: Address): boolean {
    const r = this.rangeOf(a);
    return r ? r.space.has(a.value - r.range.first) : false;
  }

  /** Whether `avoidBuggyIPs` forbids this address. */
  refuses(a: Address): boolean {
    return this.config.avoidBuggyIPs && a.family === 'IPv4' && isBuggyIPv4(a.value);
  }

  /** Takes the lowest free address of a family, walking the ranges in the order the pool lists them. */
  take(f: Family): Address | undefined {
    for (const r of this.ranges) {
      if (r.range.family !== f) continue;
      const o = r.space.take();
      if (o !== undefined) return { family: f, value: r.range.first + BigInt(o) };
    }
    return undefined;
  }

  counts(f: Family): { total: bigint; inUse: number; available: bigint } {
    let total = 0n;
    let inUse = 0;
    let available = 0n;
    for (const r of this.ranges) {
      if (r.range.family !== f) continue;
      total += r.space.size - r.space.skippedTotal;
      inUse += r.space.inUse;
      available += r.space.available;
    }
    return { total, inUse, available };
  }
}
