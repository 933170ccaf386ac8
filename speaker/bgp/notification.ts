import { frame } from './header.js';
import { ok, type BgpError, type Decoded, type NotificationMessage } from './messages.js';
import { HEADER_LENGTH, MessageType, ErrorCode, CeaseSubcode, FsmSubcode, HeaderSubcode, OpenSubcode, UpdateSubcode, RouteRefreshSubcode } from './constants.js';

/** NOTIFICATION (RFC 4271 §4.5) and human-readable names for its codes. */

export function encodeNotification(m: NotificationMessage): Uint8Array {
  const body = new Uint8Array(2 + m.data.length);
  body[0] = m.code;
  body[1] = m.subcode;
  body.set(m.data, 2);
  return frame(MessageType.NOTIFICATION, body);
}

export function decodeNotification(msg: Uint8Array): Decoded<NotificationMessage> {
  const b = msg.subarray(HEADER_LENGTH);
  return ok({ type: 'notification', code: b[0] ?? 0, subcode: b[1] ?? 0, data: b.slice(2) });
}

export function notificationFor(e: BgpError): NotificationMessage {
  return { type: 'notification', code: e.code, subcode: e.subcode, data: e.data };
}

const SUBCODES: Record<number, [string, Record<string, number>]> = {
  [ErrorCode.MESSAGE_HEADER]: ['Message Header Error', HeaderSubcode],
  [ErrorCode.OPEN_MESSAGE]: ['OPEN Message Error', OpenSubcode],
  [ErrorCode.UPDATE_MESSAGE]: ['UPDATE Message Error', UpdateSubcode],
  [ErrorCode.HOLD_TIMER_EXPIRED]: ['Hold Timer Expired', {}],
  [ErrorCode.FSM]: ['Finite State Machine Error', FsmSubcode],
  [ErrorCode.CEASE]: ['Cease', CeaseSubcode],
  [ErrorCode.ROUTE_REFRESH]: ['ROUTE-REFRESH Message Error', RouteRefreshSubcode],
};

/** "Cease / ADMINISTRATIVE_SHUTDOWN (6/2)" */
export function describeNotification(code: number, subcode: number): string {
  const entry = SUBCODES[code];
  if (!entry) return `error ${code}/${subcode}`;
  const sub = Object.entries(entry[1]).find(([, v]) => v === subcode)?.[0];
  return `${entry[0]}${sub ? ` / ${sub}` : ''} (${code}/${subcode})`;
}
