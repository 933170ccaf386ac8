import { AS_TRANS, BGP_VERSION, Capability, ErrorCode, HEADER_LENGTH, MessageType, OpenSubcode, OptionalParameter } from './constants.js';
import { u16, u16bytes, u32, Writer } from './bytes.js';
import { frame } from './header.js';
import { bgpError, ok, type Capabilities, type Decoded, type GracefulRestartCapability, type OpenMessage } from './messages.js';
import { formatAddress, parseAddress } from './prefix.js';

/** OPEN (RFC 4271 §4.2) with the Capabilities optional parameter (RFC 5492). */

export function encodeOpen(m: OpenMessage): Uint8Array {
  const caps = new Writer();
  const cap = (code: number, value: Uint8Array) => caps.u8(code).u8(value.length).bytes(value);
  for (const f of m.capabilities.multiprotocol) cap(Capability.MULTIPROTOCOL, new Writer().u16(f.afi).u8(0).u8(f.safi).finish());
  if (m.capabilities.routeRefresh) cap(Capability.ROUTE_REFRESH, new Uint8Array(0));
  const gr = m.capabilities.gracefulRestart;
  if (gr) {
    const w = new Writer().u16((gr.restarting ? 0x8000 : 0) | (gr.restartTimeSec & 0x0fff));
    for (const f of gr.families) w.u16(f.afi).u8(f.safi).u8(f.forwardingPreserved ? 0x80 : 0);
    cap(Capability.GRACEFUL_RESTART, w.finish());
  }
  if (m.capabilities.fourOctetAsn !== undefined) cap(Capability.FOUR_OCTET_AS, new Writer().u32(m.capabilities.fourOctetAsn).finish());
  for (const u of m.capabilities.unknown) cap(u.code, u.value);
  const capBytes = caps.finish();
  const body = new Writer()
    .u8(m.version)
    .u16(m.asn > 0xffff ? AS_TRANS : m.asn)
    .u16(m.holdTime)
    .bytes(parseAddress(m.bgpId)?.addr ?? new Uint8Array(4));
  if (capBytes.length === 0) body.u8(0);
  else body.u8(capBytes.length + 2).u8(OptionalParameter.CAPABILITIES).u8(capBytes.length).bytes(capBytes);
  return frame(MessageType.OPEN, body.finish());
}

const malformed = (reason: string) => bgpError(ErrorCode.OPEN_MESSAGE, 0, reason);

/** Split type-length-value items (1-octet type and length): optional parameters and capabilities alike. */
function splitTlvs(buf: Uint8Array, what: string): Decoded<{ code: number; v: Uint8Array }[]> {
  const out: { code: number; v: Uint8Array }[] = [];
  for (let i = 0; i < buf.length; ) {
    if (i + 2 > buf.length) return malformed(`truncated ${what} header`);
    const code = buf[i] ?? 0;
    const v = buf.subarray(i + 2, i + 2 + (buf[i + 1] ?? 0));
    if (v.length !== (buf[i + 1] ?? 0)) return malformed(`${what} ${code} overruns its field`);
    out.push({ code, v });
    i += 2 + v.length;
  }
  return ok(out);
}

function decodeCapabilities(buf: Uint8Array, caps: Capabilities): Decoded<null> {
  const items = splitTlvs(buf, 'capability');
  if (!items.ok) return items;
  for (const { code, v } of items.value) {
    const len = v.length;
    switch (code) {
      case Capability.MULTIPROTOCOL:
        if (len !== 4) return malformed(`multiprotocol capability of length ${len}`);
        caps.multiprotocol.push({ afi: u16(v, 0), safi: v[3] ?? 0 });
        break;
      case Capability.ROUTE_REFRESH:
        if (len !== 0) return malformed(`route refresh capability of length ${len}`);
        caps.routeRefresh = true;
        break;
      case Capability.FOUR_OCTET_AS:
        if (len !== 4) return malformed(`4-octet AS capability of length ${len}`);
        caps.fourOctetAsn = u32(v, 0);
        break;
      case Capability.GRACEFUL_RESTART: {
        if (len < 2 || (len - 2) % 4 !== 0) return malformed(`graceful restart capability of length ${len}`);
        const gr: GracefulRestartCapability = { restarting: ((v[0] ?? 0) & 0x80) !== 0, restartTimeSec: u16(v, 0) & 0x0fff, families: [] };
        for (let j = 2; j < len; j += 4) gr.families.push({ afi: u16(v, j), safi: v[j + 2] ?? 0, forwardingPreserved: ((v[j + 3] ?? 0) & 0x80) !== 0 });
        caps.gracefulRestart = gr;
        break;
      }
      default:
        caps.unknown.push({ code, value: v.slice() });
    }
  }
  return ok(null);
}

/** Decode a whole OPEN message (header included, already checked by the framer). */
export function decodeOpen(msg: Uint8Array): Decoded<OpenMessage> {
  const b = msg.subarray(HEADER_LENGTH);
  const version = b[0] ?? 0;
  if (version !== BGP_VERSION) return bgpError(ErrorCode.OPEN_MESSAGE, OpenSubcode.UNSUPPORTED_VERSION, `unsupported version ${version}`, u16bytes(BGP_VERSION));
  const asField = u16(b, 1);
  const holdTime = u16(b, 3);
  if (holdTime === 1 || holdTime === 2) return bgpError(ErrorCode.OPEN_MESSAGE, OpenSubcode.UNACCEPTABLE_HOLD_TIME, `hold time ${holdTime} s (must be 0 or at least 3)`);
  const id = b.subarray(5, 9);
  if (id.every((x) => x === 0)) return bgpError(ErrorCode.OPEN_MESSAGE, OpenSubcode.BAD_BGP_IDENTIFIER, 'BGP identifier 0.0.0.0');
  const optLen = b[9] ?? 0;
  if (10 + optLen !== b.length) return bgpError(ErrorCode.OPEN_MESSAGE, 0, `optional parameters length ${optLen} does not match the message`);
  const caps: Capabilities = { multiprotocol: [], routeRefresh: false, unknown: [] };
  const params = splitTlvs(b.subarray(10), 'optional parameter');
  if (!params.ok) return params;
  for (const { code, v } of params.value) {
    if (code !== OptionalParameter.CAPABILITIES) return bgpError(ErrorCode.OPEN_MESSAGE, OpenSubcode.UNSUPPORTED_OPTIONAL_PARAMETER, `unsupported optional parameter ${code}`);
    const r = decodeCapabilities(v, caps);
    if (!r.ok) return r;
  }
  return ok({ type: 'open', version, asn: caps.fourOctetAsn ?? asField, holdTime, bgpId: formatAddress(id), capabilities: caps });
}
