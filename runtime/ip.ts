/**
 * Address math for pools, peers and prefixes: IPv4 and IPv6 addresses as bigints, so one code path serves
 * both families and a /64 is no harder than a /24.
 */

export type Family = 'IPv4' | 'IPv6';

export const FAMILIES: readonly Family[] = ['IPv4', 'IPv6'];

export const familyBits = (f: Family): number => (f === 'IPv4' ? 32 : 128);

export interface Address {
  family: Family;
  value: bigint;
}

/** An inclusive range of one family; every pool entry (CIDR or start-end) becomes one. */
export interface IPRange {
  family: Family;
  first: bigint;
  last: bigint;
  /** The entry as the user wrote it, for messages. */
  text: string;
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parseV4(s: string): bigint | undefined {
  const m = V4.exec(s);
  if (!m) return undefined;
  let v = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i] as string;
    // A leading zero reads as octal to some tools; refuse it rather than guess.
    if (part.length > 1 && part.startsWith('0')) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    v = v * 256 + n;
  }
  return BigInt(v);
}

function parseV6(s: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  let text = s;
  // An embedded IPv4 suffix (::ffff:192.0.2.1) stands for the last two groups.
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const v4 = parseV4(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string | undefined): string[] => (h ? h.split(':') : []);
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  const explicit = head.length + rest.length;
  if (halves.length === 1 ? explicit !== 8 : explicit > 7) return undefined;
  let v = 0n;
  for (const g of [...head, ...Array<string>(halves.length === 2 ? 8 - explicit : 0).fill('0'), ...rest]) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    v = (v << 16n) | BigInt(`0x${g}`);
  }
  return v;
}

/** Parses one address; undefined when it is not a valid IPv4 or IPv6 address. */
export function parseIP(text: string): Address | undefined {
  const s = text.trim();
  if (s.includes(':')) {
    const v = parseV6(s);
    return v === undefined ? undefined : { family: 'IPv6', value: v };
  }
  const v = parseV4(s);
  return v === undefined ? undefined : { family: 'IPv4', value: v };
}

function formatV4(v: bigint): string {
  const n = Number(v);
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** RFC 5952: lowercase, no leading zeros, the longest run (first if tied, ≥ 2 groups) of zero groups as `::`. */
function formatV6(v: bigint): string {
  // One conversion to hex, then string work: much cheaper than eight bigint shifts.
  const hex = v.toString(16).padStart(32, '0');
  const groups: string[] = [];
  for (let i = 0; i < 32; i += 4) {
    let j = i;
    while (j < i + 3 && hex.charCodeAt(j) === 48) j++;
    groups.push(hex.slice(j, i + 4));
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLen).join(':')}`;
}

/** The canonical text of an address (what the allocator writes and compares). */
export function formatIP(a: Address): string {
  return a.family === 'IPv4' ? formatV4(a.value) : formatV6(a.value);
}

/** `text` in canonical form, or undefined when it is not an address. */
export function canonicalIP(text: string): string | undefined {
  const a = parseIP(text);
  return a ? formatIP(a) : undefined;
}

export type RangeParse = { ok: true; range: IPRange } | { ok: false; error: string };

/** A pool entry: a CIDR (`198.51.100.0/24`, host bits allowed as MetalLB does) or `start-end`. */
export function parseRange(entry: string): RangeParse {
  const text = entry.trim();
  const slash = text.indexOf('/');
  if (slash >= 0) {
    const base = parseIP(text.slice(0, slash));
    const bitsText = text.slice(slash + 1);
    if (!base) return { ok: false, error: `${entry} is not a CIDR: ${text.slice(0, slash)} is not an IP address` };
    const max = familyBits(base.family);
    if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > max) return { ok: false, error: `${entry} is not a CIDR: the prefix length must be 0 to ${max}` };
    const host = BigInt(max - Number(bitsText));
    const first = (base.value >> host) << host;
    return { ok: true, range: { family: base.family, first, last: first + (1n << host) - 1n, text } };
  }
  const dash = text.indexOf('-');
  if (dash < 0) {
    // A bare address is a one-address range: MetalLB reads it as a /32 or /128.
    const a = parseIP(text);
    if (!a) return { ok: false, error: `${entry} is neither a CIDR (198.51.100.0/24) nor a start-end range (198.51.100.10-198.51.100.20)` };
    return { ok: true, range: { family: a.family, first: a.value, last: a.value, text } };
  }
  const start = parseIP(text.slice(0, dash));
  const end = parseIP(text.slice(dash + 1));
  if (!start || !end) return { ok: false, error: `${entry} is not a start-end range: both ends must be IP addresses` };
  if (start.family !== end.family) return { ok: false, error: `range ${entry} mixes IPv4 and IPv6; use one range per family` };
  if (start.value > end.value) return { ok: false, error: `invalid IP range ${entry}: the start IP is after the end IP` };
  return { ok: true, range: { family: start.family, first: start.value, last: end.value, text } };
}

export const rangeSize = (r: IPRange): bigint => r.last - r.first + 1n;

export const contains = (r: IPRange, a: Address): boolean => r.family === a.family && a.value >= r.first && a.value <= r.last;

export const overlaps = (a: IPRange, b: IPRange): boolean => a.family === b.family && a.first <= b.last && b.first <= a.last;

/** IPv4 addresses ending in .0 or .255, which some client firmware mishandles (`avoidBuggyIPs`). */
export const isBuggyIPv4 = (value: bigint): boolean => {
  const last = Number(value & 255n);
  return last === 0 || last === 255;
};

/** How many addresses in [first, last] end in .0 or .255. */
export function buggyCount(r: IPRange): bigint {
  if (r.family !== 'IPv4') return 0n;
  // Count values ≤ x whose low byte is 0 (or 255) and take differences.
  const upTo = (x: bigint, low: bigint): bigint => (x < low ? 0n : (x - low) / 256n + 1n);
  const count = (low: bigint) => upTo(r.last, low) - (r.first === 0n ? 0n : upTo(r.first - 1n, low));
  return count(0n) + count(255n);
}
