import { formatIpv6, ipv6ToBytes } from './ipv6.js';

/**
 * IPv6 Neighbor Discovery (RFC 4861) over Ethernet for IPv6 announcements: decoding Neighbor
 * Solicitations (including duplicate-address probes, RFC 4862) and building Neighbor
 * Advertisements. Pure; a malformed or forged frame (bad checksum, hop limit below 255) decodes
 * to undefined, never to an exception.
 */

export const ETHERTYPE_IPV6 = 0x86dd;
const ICMPV6 = 58;
export const NEIGHBOR_SOLICITATION = 135;
export const NEIGHBOR_ADVERTISEMENT = 136;
const OPT_SOURCE_LLADDR = 1;
const OPT_TARGET_LLADDR = 2;
export const ALL_NODES = 'ff02::1';
export const FLAG_ROUTER = 0x80000000;
export const FLAG_SOLICITED = 0x40000000;
export const FLAG_OVERRIDE = 0x20000000;

export interface NeighborSolicitation {
  srcMac: Buffer;
  srcIp: string;
  dstIp: string;
  target: string;
  /** Source link-layer address option, absent in duplicate-address probes. */
  sourceLinkAddress?: Buffer;
  /** A duplicate-address probe: the source is the unspecified address. */
  dad: boolean;
}

export interface NeighborAdvertisement {
  srcMac: Buffer;
  dstMac: Buffer;
  srcIp: string;
  dstIp: string;
  target: string;
  flags: number;
  targetLinkAddress: Buffer;
}

/** The ICMPv6 checksum over the pseudo-header and the message (checksum field zero). */
export function icmpv6Checksum(src: Buffer, dst: Buffer, icmp: Buffer): number {
  let sum = 0;
  const add16 = (b: Buffer) => {
    for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
    if (b.length % 2) sum += (b[b.length - 1] ?? 0) << 8;
  };
  add16(src);
  add16(dst);
  sum += icmp.length >>> 16;
  sum += icmp.length & 0xffff;
  sum += ICMPV6;
  add16(icmp);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Solicited-node multicast address and its Ethernet group address, for a target. */
export function solicitedNode(target: Buffer): { ip: Buffer; mac: Buffer } {
  const ip = ipv6ToBytes('ff02::1:ff00:0')!;
  target.copy(ip, 13, 13, 16);
  return { ip, mac: multicastMac(ip) };
}

export function multicastMac(ip: Buffer): Buffer {
  return Buffer.from([0x33, 0x33, ip[12] ?? 0, ip[13] ?? 0, ip[14] ?? 0, ip[15] ?? 0]);
}

export function decodeNeighborSolicitation(frame: Buffer): NeighborSolicitation | undefined {
  if (frame.length < 14 + 40 + 24) return undefined;
  if (frame.readUInt16BE(12) !== ETHERTYPE_IPV6) return undefined;
  const ip = frame.subarray(14);
  if ((ip[0] ?? 0) >> 4 !== 6 || ip[6] !== ICMPV6 || ip[7] !== 255) return undefined;
  const payloadLen = ip.readUInt16BE(4);
  if (payloadLen < 24 || 40 + payloadLen > ip.length) return undefined;
  const icmp = Buffer.from(ip.subarray(40, 40 + payloadLen));
  if (icmp[0] !== NEIGHBOR_SOLICITATION || icmp[1] !== 0) return undefined;
  const src = ip.subarray(8, 24);
  const dst = ip.subarray(24, 40);
  const declared = icmp.readUInt16BE(2);
  icmp.writeUInt16BE(0, 2);
  if (icmpv6Checksum(src, dst, icmp) !== declared) return undefined;
  const target = icmp.subarray(8, 24);
  if (target[0] === 0xff) return undefined; // a multicast target is invalid (RFC 4861 §7.1.1)
  const dad = src.every((b) => b === 0);
  let sourceLinkAddress: Buffer | undefined;
  for (let at = 24; at + 2 <= icmp.length; ) {
    const type = icmp[at] ?? 0;
    const len = (icmp[at + 1] ?? 0) * 8;
    if (len === 0 || at + len > icmp.length) return undefined;
    if (type === OPT_SOURCE_LLADDR && len >= 8) sourceLinkAddress = Buffer.from(icmp.subarray(at + 2, at + 8));
    at += len;
  }
  // A probe from the unspecified address must not carry a source link-layer address.
  if (dad && sourceLinkAddress) return undefined;
  return {
    srcMac: Buffer.from(frame.subarray(6, 12)),
    srcIp: formatIpv6(src),
    dstIp: formatIpv6(dst),
    target: formatIpv6(target),
    ...(sourceLinkAddress ? { sourceLinkAddress } : {}),
    dad,
  };
}

export function encodeNeighborAdvertisement(na: NeighborAdvertisement): Buffer {
  const src = ipv6ToBytes(na.srcIp);
  const dst = ipv6ToBytes(na.dstIp);
  const target = ipv6ToBytes(na.target);
  if (!src || !dst || !target) throw new RangeError(`not IPv6 addresses: ${na.srcIp}, ${na.dstIp}, ${na.target}`);
  const icmp = Buffer.alloc(32);
  icmp[0] = NEIGHBOR_ADVERTISEMENT;
  icmp.writeUInt32BE(na.flags >>> 0, 4);
  target.copy(icmp, 8);
  icmp[24] = OPT_TARGET_LLADDR;
  icmp[25] = 1;
  na.targetLinkAddress.copy(icmp, 26);
  icmp.writeUInt16BE(icmpv6Checksum(src, dst, icmp), 2);
  const frame = Buffer.alloc(14 + 40 + icmp.length);
  na.dstMac.copy(frame, 0);
  na.srcMac.copy(frame, 6);
  frame.writeUInt16BE(ETHERTYPE_IPV6, 12);
  frame.writeUInt32BE(0x60000000, 14);
  frame.writeUInt16BE(icmp.length, 18);
  frame[20] = ICMPV6;
  frame[21] = 255;
  src.copy(frame, 22);
  dst.copy(frame, 38);
  icmp.copy(frame, 54);
  return frame;
}

export function decodeNeighborAdvertisement(frame: Buffer): NeighborAdvertisement | undefined {
  if (frame.length < 14 + 40 + 24 || frame.readUInt16BE(12) !== ETHERTYPE_IPV6) return undefined;
  const ip = frame.subarray(14);
  if (ip[6] !== ICMPV6 || ip[7] !== 255) return undefined;
  const len = ip.readUInt16BE(4);
  if (len < 24 || 40 + len > ip.length) return undefined;
  const icmp = Buffer.from(ip.subarray(40, 40 + len));
  if (icmp[0] !== NEIGHBOR_ADVERTISEMENT) return undefined;
  const declared = icmp.readUInt16BE(2);
  icmp.writeUInt16BE(0, 2);
  if (icmpv6Checksum(ip.subarray(8, 24), ip.subarray(24, 40), icmp) !== declared) return undefined;
  const opt = icmp.length >= 32 && icmp[24] === OPT_TARGET_LLADDR ? Buffer.from(icmp.subarray(26, 32)) : Buffer.alloc(6);
  return {
    srcMac: Buffer.from(frame.subarray(6, 12)),
    dstMac: Buffer.from(frame.subarray(0, 6)),
    srcIp: formatIpv6(ip.subarray(8, 24)),
    dstIp: formatIpv6(ip.subarray(24, 40)),
    target: formatIpv6(icmp.subarray(8, 24)),
    flags: icmp.readUInt32BE(4),
    targetLinkAddress: opt,
  };
}

/**
 * The answer to a solicitation for an address we announce: solicited and override, unicast to
 * the asker; or, for a duplicate-address probe, an override advertisement to all nodes
 * (RFC 4861 §7.2.4), which tells the prober the address is taken.
 */
export function neighborAdvertisementFor(ns: NeighborSolicitation, myMac: Buffer, mySourceIp: string): Buffer {
  if (ns.dad) {
    const all = ipv6ToBytes(ALL_NODES)!;
    return encodeNeighborAdvertisement({ srcMac: myMac, dstMac: multicastMac(all), srcIp: mySourceIp, dstIp: ALL_NODES, target: ns.target, flags: FLAG_OVERRIDE, targetLinkAddress: myMac });
  }
  return encodeNeighborAdvertisement({
    srcMac: myMac,
    dstMac: ns.sourceLinkAddress ?? ns.srcMac,
    srcIp: mySourceIp,
    dstIp: ns.srcIp,
    target: ns.target,
    flags: FLAG_SOLICITED | FLAG_OVERRIDE,
    targetLinkAddress: myMac,
  });
}

/** An unsolicited advertisement with the override flag, sent on taking an address over. */
export function unsolicitedAdvertisement(target: string, myMac: Buffer, mySourceIp: string): Buffer {
  const all = ipv6ToBytes(ALL_NODES)!;
  return encodeNeighborAdvertisement({ srcMac: myMac, dstMac: multicastMac(all), srcIp: mySourceIp, dstIp: ALL_NODES, target, flags: FLAG_OVERRIDE, targetLinkAddress: myMac });
}
