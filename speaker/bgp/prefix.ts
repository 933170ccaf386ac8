import { Afi } from './constants.js';

/**
 * IP addresses and prefixes as bytes (pure): parsing and canonical text (RFC 5952 for IPv6),
 * masking for aggregation, and the NLRI encoding of RFC 4271 §4.3 (length in bits, then the
 * fewest octets that hold it).
 */

export type AfiValue = (typeof Afi)[keyof typeof Afi];

export interface Prefix {
  afi: AfiValue;
  /** 4 or 16 octets, host bits zero. */
  addr: Uint8Array;
  length: number;
}

export const addressLength = (afi: AfiValue): number => (afi === Afi.IPV4 ? 4 : 16);
export const maxPrefixLength = (afi: AfiValue): number => addressLength(afi) * 8;

function parseV4(s: string): Uint8Array | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] ?? '';
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    out[i] = Number(p);
  }
  return out;
}

function parseV6(s: string): Uint8Array | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    const parts = h.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i] ?? '';
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseV4(p);
        if (!v4) return undefined;
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0] ?? '');
  const tail = halves.length === 2 ? groups(halves[1] ?? '') : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** Parse an IPv4 or IPv6 address; undefined when it is neither. */
export function parseAddress(s: string): { afi: AfiValue; addr: Uint8Array } | undefined {
  const v4 = parseV4(s);
  if (v4) return { afi: Afi.IPV4, addr: v4 };
  const v6 = parseV6(s);
  return v6 ? { afi: Afi.IPV6, addr: v6 } : undefined;
}

export function formatAddress(addr: Uint8Array): string {
  if (addr.length === 4) return Array.from(addr).join('.');
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(((addr[2 * i] ?? 0) << 8) | (addr[2 * i + 1] ?? 0));
  // RFC 5952: compress the longest run (≥ 2) of zero groups, the first one on a tie.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** Zero every bit after `length`. */
export function maskAddress(addr: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(addr.length);
  for (let i = 0; i < addr.length; i++) {
    const bits = Math.max(0, Math.min(8, length - 8 * i));
    out[i] = (addr[i] ?? 0) & (bits === 0 ? 0 : (0xff << (8 - bits)) & 0xff);
  }
  return out;
}

/** Parse `a.b.c.d/n`, `x::y/n` or a bare address (a host prefix); host bits must be zero unless `mask`. */
export function parsePrefix(s: string, opts: { mask?: boolean } = {}): Prefix | undefined {
  const [a, l, extra] = s.split('/');
  if (extra !== undefined || a === undefined) return undefined;
  const parsed = parseAddress(a);
  if (!parsed) return undefined;
  const max = maxPrefixLength(parsed.afi);
  if (l !== undefined && !/^\d{1,3}$/.test(l)) return undefined;
  const length = l === undefined ? max : Number(l);
  if (length > max) return undefined;
  const addr = maskAddress(parsed.addr, length);
  if (!opts.mask && !addr.every((b, i) => b === parsed.addr[i])) return undefined;
  return { afi: parsed.afi, addr, length };
}

export function formatPrefix(p: Prefix): string {
  return `${formatAddress(p.addr)}/${p.length}`;
}

/** The prefix that covers `p` at `length` bits (aggregation); `p` itself when it is already shorter. */
export function aggregate(p: Prefix, length: number): Prefix {
  if (length >= p.length) return p;
  return { afi: p.afi, addr: maskAddress(p.addr, length), length };
}

export const nlriLength = (p: Prefix): number => 1 + Math.ceil(p.length / 8);

export function encodeNlri(p: Prefix, out: Uint8Array, offset: number): number {
  out[offset] = p.length;
  const n = Math.ceil(p.length / 8);
  out.set(p.addr.subarray(0, n), offset + 1);
  return offset + 1 + n;
}

/**
 * Decode a run of NLRI; undefined when a length exceeds the family's maximum or overruns the
 * field (RFC 4271 §6.3 "Invalid Network Field"). Host bits beyond the length are cleared.
 */
export function decodeNlri(afi: AfiValue, buf: Uint8Array): Prefix[] | undefined {
  const out: Prefix[] = [];
  const max = maxPrefixLength(afi);
  let i = 0;
  while (i < buf.length) {
    const length = buf[i] ?? 0;
    const n = Math.ceil(length / 8);
    if (length > max || i + 1 + n > buf.length) return undefined;
    const addr = new Uint8Array(addressLength(afi));
    addr.set(buf.subarray(i + 1, i + 1 + n));
    out.push({ afi, addr: maskAddress(addr, length), length });
    i += 1 + n;
  }
  return out;
}

export function isLinkLocalV6(addr: Uint8Array): boolean {
  return addr.length === 16 && addr[0] === 0xfe && ((addr[1] ?? 0) & 0xc0) === 0x80;
}
