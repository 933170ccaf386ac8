import { Afi, AS_TRANS, AsPathSegmentType, AttrFlag, AttrType, ErrorCode, UpdateSubcode } from './constants.js';
import { u16, u32, Writer } from './bytes.js';
import { bgpError, ok, type AsPathSegment, type Decoded, type LargeCommunity, type PathAttributes, type RawAttribute } from './messages.js';
import { decodeNlri, encodeNlri, formatAddress, parseAddress, type AfiValue } from './prefix.js';

/**
 * Path attributes (RFC 4271 §4.3/§5, RFC 1997, RFC 4760, RFC 6793, RFC 8092): encoding in type
 * order with the extended-length flag when a value exceeds 255 octets, and decoding with the
 * error handling of RFC 7606 (session reset, treat-as-withdraw, attribute discard).
 */

export interface CodecContext {
  /** Both sides sent the 4-octet AS capability: AS_PATH and AGGREGATOR carry 4-octet ASNs. */
  fourOctetAs: boolean;
  /** The session is eBGP (LOCAL_PREF from an eBGP peer is discarded). */
  ebgp?: boolean;
}

const WELL_KNOWN = AttrFlag.TRANSITIVE;
const OPTIONAL = AttrFlag.OPTIONAL;
const OPTIONAL_TRANSITIVE = AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE;

/** The Optional and Transitive bits each known attribute must carry. */
export const ATTRIBUTE_FLAGS: Record<number, number> = {
  [AttrType.ORIGIN]: WELL_KNOWN,
  [AttrType.AS_PATH]: WELL_KNOWN,
  [AttrType.NEXT_HOP]: WELL_KNOWN,
  [AttrType.MULTI_EXIT_DISC]: OPTIONAL,
  [AttrType.LOCAL_PREF]: WELL_KNOWN,
  [AttrType.ATOMIC_AGGREGATE]: WELL_KNOWN,
  [AttrType.AGGREGATOR]: OPTIONAL_TRANSITIVE,
  [AttrType.COMMUNITIES]: OPTIONAL_TRANSITIVE,
  [AttrType.MP_REACH_NLRI]: OPTIONAL,
  [AttrType.MP_UNREACH_NLRI]: OPTIONAL,
  [AttrType.AS4_PATH]: OPTIONAL_TRANSITIVE,
  [AttrType.AS4_AGGREGATOR]: OPTIONAL_TRANSITIVE,
  [AttrType.LARGE_COMMUNITIES]: OPTIONAL_TRANSITIVE,
};

// ---------------------------------------------------------------------------------------------
// Encoding

function attr(w: Writer, flags: number, code: number, value: Uint8Array): void {
  if (value.length > 255) w.u8(flags | AttrFlag.EXTENDED_LENGTH).u8(code).u16(value.length);
  else w.u8(flags & ~AttrFlag.EXTENDED_LENGTH).u8(code).u8(value.length);
  w.bytes(value);
}

function encodeAsPath(segments: AsPathSegment[], fourOctet: boolean): Uint8Array {
  const w = new Writer();
  for (const s of segments) {
    // A segment holds at most 255 ASNs: split longer ones.
    for (let i = 0; i < s.asns.length || i === 0; i += 255) {
      const chunk = s.asns.slice(i, i + 255);
      w.u8(s.type).u8(chunk.length);
      for (const a of chunk) {
        if (fourOctet) w.u32(a);
        else w.u16(a > 0xffff ? AS_TRANS : a);
      }
      if (s.asns.length === 0) break;
    }
  }
  return w.finish();
}

const addressBytes = (s: string, len: number): Uint8Array => {
  const a = parseAddress(s)?.addr;
  return a && a.length === len ? a : new Uint8Array(len);
};

/** The encoded attribute section (without its length field). */
export function encodeAttributes(a: PathAttributes, ctx: CodecContext): Uint8Array {
  const w = new Writer();
  if (a.origin !== undefined) attr(w, WELL_KNOWN, AttrType.ORIGIN, Uint8Array.of(a.origin));
  if (a.asPath) attr(w, WELL_KNOWN, AttrType.AS_PATH, encodeAsPath(a.asPath, ctx.fourOctetAs));
  if (a.nextHop !== undefined) attr(w, WELL_KNOWN, AttrType.NEXT_HOP, addressBytes(a.nextHop, 4));
  if (a.med !== undefined) attr(w, OPTIONAL, AttrType.MULTI_EXIT_DISC, new Writer().u32(a.med).finish());
  if (a.localPref !== undefined) attr(w, WELL_KNOWN, AttrType.LOCAL_PREF, new Writer().u32(a.localPref).finish());
  if (a.atomicAggregate) attr(w, WELL_KNOWN, AttrType.ATOMIC_AGGREGATE, new Uint8Array(0));
  if (a.aggregator) {
    const v = new Writer();
    if (ctx.fourOctetAs) v.u32(a.aggregator.asn);
    else v.u16(a.aggregator.asn > 0xffff ? AS_TRANS : a.aggregator.asn);
    attr(w, OPTIONAL_TRANSITIVE, AttrType.AGGREGATOR, v.bytes(addressBytes(a.aggregator.address, 4)).finish());
  }
  if (a.communities?.length) {
    const v = new Writer();
    for (const c of a.communities) v.u32(c);
    attr(w, OPTIONAL_TRANSITIVE, AttrType.COMMUNITIES, v.finish());
  }
  if (a.mpReach) {
    const m = a.mpReach;
    const afi = m.afi as AfiValue;
    const hopLen = afi === Afi.IPV4 ? 4 : 16;
    const hops = m.nextHops.map((h) => addressBytes(h, hopLen));
    const v = new Writer().u16(m.afi).u8(m.safi).u8(hops.reduce((n, h) => n + h.length, 0));
    for (const h of hops) v.bytes(h);
    v.u8(0);
    attr(w, OPTIONAL, AttrType.MP_REACH_NLRI, appendNlri(v, m.nlri));
  }
  if (a.mpUnreach) {
    const v = new Writer().u16(a.mpUnreach.afi).u8(a.mpUnreach.safi);
    attr(w, OPTIONAL, AttrType.MP_UNREACH_NLRI, appendNlri(v, a.mpUnreach.withdrawn));
  }
  // RFC 6793 §4.2.2: towards a 2-octet speaker, a path with 4-octet ASNs also goes in AS4_PATH.
  const as4Path = a.as4Path ?? (!ctx.fourOctetAs && a.asPath?.some((s) => s.asns.some((x) => x > 0xffff)) ? a.asPath : undefined);
  if (as4Path) attr(w, OPTIONAL_TRANSITIVE, AttrType.AS4_PATH, encodeAsPath(as4Path, true));
  if (a.largeCommunities?.length) {
    const v = new Writer();
    for (const [g, l1, l2] of a.largeCommunities) v.u32(g).u32(l1).u32(l2);
    attr(w, OPTIONAL_TRANSITIVE, AttrType.LARGE_COMMUNITIES, v.finish());
  }
  for (const u of a.unknown ?? []) attr(w, u.flags, u.code, u.value);
  return w.finish();
}

function appendNlri(w: Writer, prefixes: { afi: AfiValue; addr: Uint8Array; length: number }[]): Uint8Array {
  for (const p of prefixes) {
    const b = new Uint8Array(1 + Math.ceil(p.length / 8));
    encodeNlri(p, b, 0);
    w.bytes(b);
  }
  return w.finish();
}

// ---------------------------------------------------------------------------------------------
// Decoding

export interface DecodedAttributes {
  attributes: PathAttributes;
  treatAsWithdraw: string[];
  discarded: string[];
}

function decodeAsPath(v: Uint8Array, asnSize: 2 | 4): AsPathSegment[] | undefined {
  const out: AsPathSegment[] = [];
  let i = 0;
  while (i < v.length) {
    const type = v[i] ?? 0;
    const count = v[i + 1] ?? 0;
    if (i + 2 > v.length || type < AsPathSegmentType.AS_SET || type > AsPathSegmentType.AS_CONFED_SET || count === 0) return undefined;
    if (i + 2 + count * asnSize > v.length) return undefined;
    const asns: number[] = [];
    for (let j = 0; j < count; j++) asns.push(asnSize === 4 ? u32(v, i + 2 + 4 * j) : u16(v, i + 2 + 2 * j));
    out.push({ type, asns });
    i += 2 + count * asnSize;
  }
  return out;
}

const attrName = (code: number): string => Object.entries(AttrType).find(([, c]) => c === code)?.[0] ?? `attribute ${code}`;

/**
 * Decode the path attribute section. Returns an error only for what RFC 7606 still answers with a
 * session reset: a repeated or malformed MP_REACH_NLRI / MP_UNREACH_NLRI, and an unrecognized
 * well-known attribute (RFC 4271). Everything else becomes treat-as-withdraw or attribute discard.
 */
export function decodeAttributes(buf: Uint8Array, ctx: CodecContext): Decoded<DecodedAttributes> {
  const a: PathAttributes = {};
  const treatAsWithdraw: string[] = [];
  const discarded: string[] = [];
  const seen = new Set<number>();
  let i = 0;
  while (i < buf.length) {
    if (buf.length - i < 3) {
      treatAsWithdraw.push('fewer than 3 octets left for an attribute header');
      break;
    }
    const flags = buf[i] ?? 0;
    const code = buf[i + 1] ?? 0;
    const ext = (flags & AttrFlag.EXTENDED_LENGTH) !== 0;
    if (ext && buf.length - i < 4) {
      treatAsWithdraw.push('truncated extended-length attribute header');
      break;
    }
    const len = ext ? u16(buf, i + 2) : (buf[i + 2] ?? 0);
    const start = i + (ext ? 4 : 3);
    if (start + len > buf.length) {
      treatAsWithdraw.push(`${attrName(code)} overruns the attribute section`);
      break;
    }
    const v = buf.subarray(start, start + len);
    const whole = buf.slice(i, start + len);
    i = start + len;

    const isMp = code === AttrType.MP_REACH_NLRI || code === AttrType.MP_UNREACH_NLRI;
    if (seen.has(code)) {
      if (isMp) return bgpError(ErrorCode.UPDATE_MESSAGE, UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, `${attrName(code)} appears twice`);
      discarded.push(`repeated ${attrName(code)}`);
      continue;
    }
    seen.add(code);

    const expected = ATTRIBUTE_FLAGS[code];
    if (expected === undefined) {
      if ((flags & AttrFlag.OPTIONAL) === 0) {
        return bgpError(ErrorCode.UPDATE_MESSAGE, UpdateSubcode.UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE, `unrecognized well-known attribute ${code}`, whole);
      }
      (a.unknown ??= []).push({ flags, code, value: v.slice() } satisfies RawAttribute);
      continue;
    }
    if ((flags & (AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE)) !== expected) {
      if (isMp) return bgpError(ErrorCode.UPDATE_MESSAGE, UpdateSubcode.ATTRIBUTE_FLAGS_ERROR, `${attrName(code)} has flags 0x${flags.toString(16)}`, whole);
      treatAsWithdraw.push(`${attrName(code)} has flags 0x${flags.toString(16)}`);
      continue;
    }
    const bad = (what: string) => treatAsWithdraw.push(`${attrName(code)}: ${what}`);
    switch (code) {
      case AttrType.ORIGIN:
        if (len !== 1 || (v[0] ?? 0) > 2) bad('malformed');
        else a.origin = (v[0] ?? 0) as 0 | 1 | 2;
        break;
      case AttrType.AS_PATH: {
        const p = decodeAsPath(v, ctx.fourOctetAs ? 4 : 2);
        if (p) a.asPath = p;
        else bad('malformed');
        break;
      }
      case AttrType.NEXT_HOP:
        if (len !== 4 || v.every((x) => x === 0)) bad('malformed');
        else a.nextHop = formatAddress(v);
        break;
      case AttrType.MULTI_EXIT_DISC:
        if (len !== 4) bad('malformed');
        else a.med = u32(v, 0);
        break;
      case AttrType.LOCAL_PREF:
        if (ctx.ebgp) discarded.push('LOCAL_PREF from an eBGP peer');
        else if (len !== 4) bad('malformed');
        else a.localPref = u32(v, 0);
        break;
      case AttrType.ATOMIC_AGGREGATE:
        if (len !== 0) discarded.push('malformed ATOMIC_AGGREGATE');
        else a.atomicAggregate = true;
        break;
      case AttrType.AGGREGATOR: {
        const asnSize = ctx.fourOctetAs ? 4 : 2;
        if (len !== asnSize + 4) discarded.push('malformed AGGREGATOR');
        else a.aggregator = { asn: asnSize === 4 ? u32(v, 0) : u16(v, 0), address: formatAddress(v.subarray(asnSize)) };
        break;
      }
      case AttrType.COMMUNITIES:
        if (len === 0 || len % 4 !== 0) bad('length is not a positive multiple of 4');
        else a.communities = Array.from({ length: len / 4 }, (_, k) => u32(v, 4 * k));
        break;
      case AttrType.LARGE_COMMUNITIES:
        if (len === 0 || len % 12 !== 0) bad('length is not a positive multiple of 12');
        else a.largeCommunities = Array.from({ length: len / 12 }, (_, k): LargeCommunity => [u32(v, 12 * k), u32(v, 12 * k + 4), u32(v, 12 * k + 8)]);
        break;
      case AttrType.AS4_PATH: {
        const p = decodeAsPath(v, 4);
        if (p) a.as4Path = p;
        else discarded.push('malformed AS4_PATH');
        break;
      }
      case AttrType.AS4_AGGREGATOR:
        if (len !== 8) discarded.push('malformed AS4_AGGREGATOR');
        else (a.unknown ??= []).push({ flags, code, value: v.slice() });
        break;
      case AttrType.MP_REACH_NLRI: {
        const r = decodeMpReach(v, whole);
        if (!r.ok) return r;
        if (r.value) a.mpReach = r.value;
        else (a.unknown ??= []).push({ flags, code, value: v.slice() });
        break;
      }
      case AttrType.MP_UNREACH_NLRI: {
        const r = decodeMpUnreach(v, whole);
        if (!r.ok) return r;
        if (r.value) a.mpUnreach = r.value;
        else (a.unknown ??= []).push({ flags, code, value: v.slice() });
        break;
      }
    }
  }
  return ok({ attributes: a, treatAsWithdraw, discarded });
}

const mpError = (what: string, whole: Uint8Array) => bgpError(ErrorCode.UPDATE_MESSAGE, UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR, what, whole);
const knownFamily = (afi: number, safi: number): afi is AfiValue => (afi === Afi.IPV4 || afi === Afi.IPV6) && safi === 1;

/** MP_REACH_NLRI; undefined (kept raw) for an address family we do not speak. */
function decodeMpReach(v: Uint8Array, whole: Uint8Array): Decoded<PathAttributes['mpReach']> {
  if (v.length < 5) return mpError('MP_REACH_NLRI is too short', whole);
  const afi = u16(v, 0);
  const safi = v[2] ?? 0;
  const nhLen = v[3] ?? 0;
  if (5 + nhLen > v.length) return mpError('MP_REACH_NLRI next hop overruns the attribute', whole);
  if (!knownFamily(afi, safi)) return ok(undefined);
  const size = afi === Afi.IPV4 ? 4 : 16;
  if (nhLen !== size && nhLen !== 2 * size) return mpError(`MP_REACH_NLRI next hop of length ${nhLen} for AFI ${afi}`, whole);
  const nextHops: string[] = [];
  for (let k = 0; k < nhLen; k += size) nextHops.push(formatAddress(v.subarray(4 + k, 4 + k + size)));
  const nlri = decodeNlri(afi, v.subarray(5 + nhLen));
  if (!nlri) return mpError('MP_REACH_NLRI has an invalid prefix', whole);
  return ok({ afi, safi, nextHops, nlri });
}

function decodeMpUnreach(v: Uint8Array, whole: Uint8Array): Decoded<PathAttributes['mpUnreach']> {
  if (v.length < 3) return mpError('MP_UNREACH_NLRI is too short', whole);
  const afi = u16(v, 0);
  const safi = v[2] ?? 0;
  if (!knownFamily(afi, safi)) return ok(undefined);
  const withdrawn = decodeNlri(afi, v.subarray(3));
  if (!withdrawn) return mpError('MP_UNREACH_NLRI has an invalid prefix', whole);
  return ok({ afi, safi, withdrawn });
}
