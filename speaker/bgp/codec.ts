import { CeaseSubcode, ErrorCode, HEADER_LENGTH, HeaderSubcode, MessageType, RouteRefreshSubcode } from './constants.js';
import { u16 } from './bytes.js';
import { checkHeader, frame } from './header.js';
import { bgpError, ok, type BgpMessage, type Decoded } from './messages.js';
import { decodeOpen, encodeOpen } from './open.js';
import { decodeUpdate, encodeUpdate } from './update.js';
import { decodeNotification, encodeNotification } from './notification.js';
import type { CodecContext } from './attributes.js';

/**
 * One entry point for the wire format: encode any message, decode one whole message. The decoder
 * never throws: every input yields a message or the BgpError whose NOTIFICATION the session sends.
 */

export function encodeMessage(m: BgpMessage, ctx: CodecContext = { fourOctetAs: true }): Uint8Array {
  switch (m.type) {
    case 'open':
      return encodeOpen(m);
    case 'update':
      return encodeUpdate(m, ctx);
    case 'notification':
      return encodeNotification(m);
    case 'keepalive':
      return frame(MessageType.KEEPALIVE, new Uint8Array(0));
    case 'route-refresh':
      return frame(MessageType.ROUTE_REFRESH, Uint8Array.of(m.afi >> 8, m.afi & 0xff, m.subtype, m.safi));
  }
}

export function decodeMessage(msg: Uint8Array, ctx: CodecContext): Decoded<BgpMessage> {
  try {
    return decodeMessageUnguarded(msg, ctx);
  } catch (err) {
    // Defence in depth: a decoder bug must not take the process down; the session resets instead.
    return bgpError(ErrorCode.CEASE, CeaseSubcode.OUT_OF_RESOURCES, `internal decoder error: ${(err as Error).message}`);
  }
}

/** The decoder without its safety net: the fuzz test runs this one, so a throw is a failure. */
export function decodeMessageUnguarded(msg: Uint8Array, ctx: CodecContext): Decoded<BgpMessage> {
  if (msg.length < HEADER_LENGTH) return bgpError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_LENGTH, `message of ${msg.length} octets is shorter than a header`);
  const h = checkHeader(msg);
  if (!h.ok) return h;
  if (h.value.length !== msg.length) return bgpError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_LENGTH, `length field ${h.value.length} but ${msg.length} octets`, msg.slice(16, 18));
  switch (h.value.type) {
    case MessageType.OPEN:
      return decodeOpen(msg);
    case MessageType.UPDATE:
      return decodeUpdate(msg, ctx);
    case MessageType.NOTIFICATION:
      return decodeNotification(msg);
    case MessageType.KEEPALIVE:
      return ok({ type: 'keepalive' });
    default: {
      if (msg.length !== HEADER_LENGTH + 4) {
        return bgpError(ErrorCode.ROUTE_REFRESH, RouteRefreshSubcode.INVALID_MESSAGE_LENGTH, `ROUTE-REFRESH of ${msg.length} octets`, msg.slice());
      }
      return ok({ type: 'route-refresh', afi: u16(msg, HEADER_LENGTH), subtype: msg[HEADER_LENGTH + 2] ?? 0, safi: msg[HEADER_LENGTH + 3] ?? 0 });
    }
  }
}
