import { ErrorCode, HEADER_LENGTH, HeaderSubcode, MARKER_LENGTH, MAX_MESSAGE_LENGTH, MessageType, MIN_LENGTH } from './constants.js';
import { u16, u16bytes } from './bytes.js';
import { bgpError, ok, type Decoded } from './messages.js';

/** The 19-octet message header (RFC 4271 §4.1): framing on write, checks and stream splitting on read. */

export function frame(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_LENGTH + body.length);
  out.fill(0xff, 0, MARKER_LENGTH);
  out.set(u16bytes(out.length), MARKER_LENGTH);
  out[MARKER_LENGTH + 2] = type;
  out.set(body, HEADER_LENGTH);
  return out;
}

export interface Header {
  length: number;
  type: number;
}

/** Check a header (at least 19 octets): marker, length bounds, known type and its minimum length. */
export function checkHeader(buf: Uint8Array): Decoded<Header> {
  for (let i = 0; i < MARKER_LENGTH; i++) {
    if (buf[i] !== 0xff) return bgpError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.CONNECTION_NOT_SYNCHRONIZED, 'the marker is not all ones');
  }
  const length = u16(buf, MARKER_LENGTH);
  const type = buf[MARKER_LENGTH + 2] ?? 0;
  const badLength = () => bgpError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_LENGTH, `bad message length ${length} for type ${type}`, u16bytes(length));
  if (length < HEADER_LENGTH || length > MAX_MESSAGE_LENGTH) return badLength();
  const min = MIN_LENGTH[type];
  if (min === undefined) return bgpError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_TYPE, `unknown message type ${type}`, Uint8Array.of(type));
  if (length < min) return badLength();
  // KEEPALIVE is exactly a header; a wrong-length ROUTE-REFRESH is its own error (RFC 7313), left to its decoder.
  if (type === MessageType.KEEPALIVE && length !== HEADER_LENGTH) return badLength();
  return ok({ length, type });
}

/**
 * Splits a TCP byte stream into whole messages. A bad header is fatal to the stream (the session
 * must send the NOTIFICATION and close), so after one the framer yields nothing more.
 */
export class Framer {
  private pending: Uint8Array = new Uint8Array(0);
  private failed = false;

  push(chunk: Uint8Array): Decoded<Uint8Array[]> {
    if (this.failed) return ok([]);
    const buf = this.pending.length === 0 ? chunk : concat(this.pending, chunk);
    const out: Uint8Array[] = [];
    let i = 0;
    while (buf.length - i >= HEADER_LENGTH) {
      const h = checkHeader(buf.subarray(i, i + HEADER_LENGTH));
      if (!h.ok) {
        this.failed = true;
        this.pending = new Uint8Array(0);
        return h;
      }
      if (buf.length - i < h.value.length) break;
      out.push(buf.slice(i, i + h.value.length));
      i += h.value.length;
    }
    this.pending = buf.slice(i);
    return ok(out);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
