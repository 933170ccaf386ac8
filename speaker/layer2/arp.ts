/**
 * ARP over Ethernet (RFC 826) for IPv4 announcements: decoding requests and building replies and
 * gratuitous ARPs. Pure; a malformed frame decodes to undefined, never to an exception.
 */

export const ETHERTYPE_ARP = 0x0806;
export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
/** veth does not pad short frames; pad to Ethernet's 60-byte minimum ourselves. */
const MIN_FRAME = 60;
export const BROADCAST_MAC = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

export interface ArpPacket {
  dstMac: Buffer;
  srcMac: Buffer;
  op: number;
  senderMac: Buffer;
  senderIp: string;
  targetMac: Buffer;
  targetIp: string;
}

export function ipv4ToBytes(ip: string): Buffer | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  return bytes.every((b) => b >= 0 && b <= 255) ? Buffer.from(bytes) : undefined;
}

const ipv4 = (b: Buffer, at: number) => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;

export function decodeArp(frame: Buffer): ArpPacket | undefined {
  if (frame.length < 42) return undefined;
  if (frame.readUInt16BE(12) !== ETHERTYPE_ARP) return undefined;
  // Ethernet hardware (1), IPv4 protocol (0x0800), 6-byte and 4-byte addresses only.
  if (frame.readUInt16BE(14) !== 1 || frame.readUInt16BE(16) !== 0x0800 || frame[18] !== 6 || frame[19] !== 4) return undefined;
  const op = frame.readUInt16BE(20);
  if (op !== ARP_REQUEST && op !== ARP_REPLY) return undefined;
  return {
    dstMac: Buffer.from(frame.subarray(0, 6)),
    srcMac: Buffer.from(frame.subarray(6, 12)),
    op,
    senderMac: Buffer.from(frame.subarray(22, 28)),
    senderIp: ipv4(frame, 28),
    targetMac: Buffer.from(frame.subarray(32, 38)),
    targetIp: ipv4(frame, 38),
  };
}

export function encodeArp(p: ArpPacket): Buffer {
  const sender = ipv4ToBytes(p.senderIp);
  const target = ipv4ToBytes(p.targetIp);
  if (!sender || !target) throw new RangeError(`not IPv4 addresses: ${p.senderIp}, ${p.targetIp}`);
  const f = Buffer.alloc(MIN_FRAME);
  p.dstMac.copy(f, 0);
  p.srcMac.copy(f, 6);
  f.writeUInt16BE(ETHERTYPE_ARP, 12);
  f.writeUInt16BE(1, 14);
  f.writeUInt16BE(0x0800, 16);
  f[18] = 6;
  f[19] = 4;
  f.writeUInt16BE(p.op, 20);
  p.senderMac.copy(f, 22);
  sender.copy(f, 28);
  p.targetMac.copy(f, 32);
  target.copy(f, 38);
  return f;
}

/** The reply a node sends for an IP it announces: "ip is at myMac", unicast to the asker. */
export function arpReply(request: ArpPacket, myMac: Buffer): Buffer {
  return encodeArp({ dstMac: request.senderMac, srcMac: myMac, op: ARP_REPLY, senderMac: myMac, senderIp: request.targetIp, targetMac: request.senderMac, targetIp: request.senderIp });
}

/** A gratuitous ARP (request form, sender = target = ip, broadcast), sent on taking an IP over. */
export function gratuitousArp(ip: string, myMac: Buffer): Buffer {
  return encodeArp({ dstMac: BROADCAST_MAC, srcMac: myMac, op: ARP_REQUEST, senderMac: myMac, senderIp: ip, targetMac: Buffer.alloc(6), targetIp: ip });
}

/** True for a request asking who has `ip` (including probes, whose sender IP is 0.0.0.0). */
export function asksFor(p: ArpPacket, ips: ReadonlySet<string>): boolean {
  return p.op === ARP_REQUEST && ips.has(p.targetIp) && p.senderIp !== p.targetIp;
}

export function formatMac(mac: Buffer): string {
  return [...mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
}
