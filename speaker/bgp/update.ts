import { Afi, AttrType, ErrorCode, HEADER_LENGTH, MessageType, UpdateSubcode } from './constants.js';
import { u16, Writer } from './bytes.js';
import { frame } from './header.js';
import { bgpError, ok, type Decoded, type UpdateMessage } from './messages.js';
import { decodeAttributes, encodeAttributes, type CodecContext } from './attributes.js';
import { decodeNlri, encodeNlri, nlriLength, type Prefix } from './prefix.js';

/** UPDATE (RFC 4271 §4.3) and the End-of-RIB marker (RFC 4724 §2). */

function nlriBytes(prefixes: Prefix[]): Uint8Array {
  const out = new Uint8Array(prefixes.reduce((n, p) => n + nlriLength(p), 0));
  let o = 0;
  for (const p of prefixes) o = encodeNlri(p, out, o);
  return out;
}

export function encodeUpdate(m: UpdateMessage, ctx: CodecContext): Uint8Array {
  const withdrawn = nlriBytes(m.withdrawn);
  const attrs = encodeAttributes(m.attributes, ctx);
  const body = new Writer().u16(withdrawn.length).bytes(withdrawn).u16(attrs.length).bytes(attrs).bytes(nlriBytes(m.nlri));
  return frame(MessageType.UPDATE, body.finish());
}

/** The End-of-RIB marker: an empty UPDATE for IPv4 unicast, an empty MP_UNREACH_NLRI otherwise. */
export function endOfRib(afi: number, safi: number): UpdateMessage {
  if (afi === Afi.IPV4 && safi === 1) return { type: 'update', withdrawn: [], attributes: {}, nlri: [] };
  return { type: 'update', withdrawn: [], attributes: { mpUnreach: { afi, safi, withdrawn: [] } }, nlri: [] };
}

/** The family an UPDATE marks the end of, if it is an End-of-RIB marker. */
export function endOfRibFamily(m: UpdateMessage): { afi: number; safi: number } | undefined {
  if (m.withdrawn.length || m.nlri.length) return undefined;
  const a = m.attributes;
  const keys = Object.keys(a).filter((k) => a[k as keyof typeof a] !== undefined);
  if (keys.length === 0) return { afi: Afi.IPV4, safi: 1 };
  if (keys.length === 1 && a.mpUnreach && a.mpUnreach.withdrawn.length === 0) return { afi: a.mpUnreach.afi, safi: a.mpUnreach.safi };
  return undefined;
}

/** Decode a whole UPDATE message (header included, already checked by the framer). */
export function decodeUpdate(msg: Uint8Array, ctx: CodecContext): Decoded<UpdateMessage> {
  const b = msg.subarray(HEADER_LENGTH);
  const wLen = u16(b, 0);
  if (2 + wLen + 2 > b.length) return bgpError(ErrorCode.UPDATE_MESSAGE, UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, `withdrawn routes length ${wLen} overruns the message`);
  const aLen = u16(b, 2 + wLen);
  if (4 + wLen + aLen > b.length) return bgpError(ErrorCode.UPDATE_MESSAGE, UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, `total path attribute length ${aLen} overruns the message`);
  const withdrawn = decodeNlri(Afi.IPV4, b.subarray(2, 2 + wLen));
  if (!withdrawn) return bgpError(ErrorCode.UPDATE_MESSAGE, UpdateSubcode.INVALID_NETWORK_FIELD, 'invalid withdrawn prefix');
  const nlri = decodeNlri(Afi.IPV4, b.subarray(4 + wLen + aLen));
  if (!nlri) return bgpError(ErrorCode.UPDATE_MESSAGE, UpdateSubcode.INVALID_NETWORK_FIELD, 'invalid NLRI prefix');
  const decoded = decodeAttributes(b.subarray(4 + wLen, 4 + wLen + aLen), ctx);
  if (!decoded.ok) return decoded;
  const { attributes, treatAsWithdraw, discarded } = decoded.value;
  // RFC 7606 §3 (d): a missing well-known mandatory attribute is treat-as-withdraw.
  const reachable = nlri.length > 0 || (attributes.mpReach?.nlri.length ?? 0) > 0;
  if (reachable && treatAsWithdraw.length === 0) {
    const need: [number, unknown][] = [
      [AttrType.ORIGIN, attributes.origin],
      [AttrType.AS_PATH, attributes.asPath],
    ];
    if (nlri.length > 0) need.push([AttrType.NEXT_HOP, attributes.nextHop]);
    for (const [code, v] of need) if (v === undefined) treatAsWithdraw.push(`missing well-known attribute ${code}`);
  }
  const m: UpdateMessage = { type: 'update', withdrawn, attributes, nlri };
  if (treatAsWithdraw.length) m.treatAsWithdraw = treatAsWithdraw;
  if (discarded.length) m.discarded = discarded;
  return ok(m);
}
