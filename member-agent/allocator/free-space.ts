import { MinHeap } from './heap.js';

/** Used offsets: a bitmap for ranges up to 2^24 addresses (2 MiB at most), else a set. */
interface UsedSet {
  readonly size: number;
  has(o: number): boolean;
  add(o: number): void;
  delete(o: number): boolean;
}

const BITMAP_LIMIT = 1 << 24;

class Bitmap implements UsedSet {
  private readonly words: Uint32Array;
  size = 0;

  constructor(bits: number) {
    this.words = new Uint32Array(Math.ceil(bits / 32));
  }

  has(o: number): boolean {
    return ((this.words[o >>> 5] as number) & (1 << (o & 31))) !== 0;
  }

  add(o: number): void {
    const i = o >>> 5;
    const bit = 1 << (o & 31);
    const w = this.words[i] as number;
    if ((w & bit) === 0) {
      this.words[i] = w | bit;
      this.size++;
    }
  }

  delete(o: number): boolean {
    const i = o >>> 5;
    const bit = 1 << (o & 31);
    const w = this.words[i] as number;
    if ((w & bit) === 0) return false;
    this.words[i] = w & ~bit;
    this.size--;
    return true;
  }
}

/**
 * The free addresses of one range, as offsets from its first address, with "lowest free offset"
 * in O(log n) and no scan of the range (MetalLB walks the range from its start on every
 * allocation: metallb.md §2).
 *
 * Invariant: every offset below `cursor` is used, skipped (avoidBuggyIPs) or in `holes`; at or
 * above it, an offset is free unless it is in `used`. So the lowest free offset is the smallest
 * live hole, or failing that the first offset from the cursor on that is neither used nor
 * skipped; the cursor passes each offset once, which makes the skipping amortised O(1).
 *
 * Offsets the cursor can reach are JavaScript numbers; an address claimed beyond 2^53 (a
 * `loadBalancerIPs` request deep in a /64) is kept apart as a bigint, because no sequence of
 * allocations will ever get the cursor there.
 */
export class FreeSpace {
  private cursor = 0;
  private readonly holes = new MinHeap<number>((a, b) => a < b);
  private readonly used: UsedSet;
  private readonly far = new Set<bigint>();
  /** Offsets the cursor can reach: min(size, 2^53). */
  private readonly limit: number;
  private readonly limitBig: bigint;
  private skippedInUse = 0;
  readonly skippedTotal: bigint;

  /**
   * @param size addresses in the range
   * @param skip offsets never handed out automatically (still claimable explicitly)
   * @param skippedTotal how many offsets `skip` refuses, for the available count
   */
  constructor(
    readonly size: bigint,
    private readonly skip: ((offset: number) => boolean) | undefined = undefined,
    skippedTotal = 0n,
  ) {
    this.limit = size > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(size);
    this.limitBig = BigInt(this.limit);
    this.used = this.limit <= BITMAP_LIMIT ? new Bitmap(this.limit) : new Set<number>();
    this.skippedTotal = skip ? skippedTotal : 0n;
  }

  /** Addresses in use (claimed or taken). */
  get inUse(): number {
    return this.used.size + this.far.size;
  }

  /** Addresses still free for automatic allocation. */
  get available(): bigint {
    return this.size - this.skippedTotal - BigInt(this.inUse - this.skippedInUse);
  }

  has(offset: bigint): boolean {
    return offset < this.limitBig ? this.used.has(Number(offset)) : this.far.has(offset);
  }

  /** Takes the lowest free offset, or undefined when the range is full. */
  take(): number | undefined {
    while (this.holes.size > 0) {
      const h = this.holes.pop() as number;
      // A hole can go stale: an explicit claim may have taken it since it was freed.
      if (!this.used.has(h)) {
        this.used.add(h);
        return h;
      }
    }
    while (this.cursor < this.limit && (this.used.has(this.cursor) || this.skip?.(this.cursor))) this.cursor++;
    if (this.cursor >= this.limit) return undefined;
    const o = this.cursor++;
    this.used.add(o);
    return o;
  }

  /** Marks a given offset used; false when it already was. */
  claim(offset: bigint): boolean {
    if (offset < 0n || offset >= this.size) throw new RangeError(`offset ${offset} outside a range of ${this.size}`);
    if (offset >= this.limitBig) {
      if (this.far.has(offset)) return false;
      this.far.add(offset);
      return true;
    }
    const o = Number(offset);
    if (this.used.has(o)) return false;
    this.used.add(o);
    if (this.skip?.(o)) this.skippedInUse++;
    return true;
  }

  /** Frees an offset; false when it was not in use. */
  release(offset: bigint): boolean {
    if (offset >= this.limitBig) return this.far.delete(offset);
    const o = Number(offset);
    if (!this.used.delete(o)) return false;
    if (this.skip?.(o)) {
      // A skipped offset (claimed explicitly) never goes back to the automatic supply.
      this.skippedInUse--;
      return true;
    }
    if (o < this.cursor) this.holes.push(o);
    return true;
  }
}
