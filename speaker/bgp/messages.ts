import type { OriginValue } from './constants.js';
import type { Prefix } from './prefix.js';

/** The typed form of every BGP message the codec reads and writes. */

export interface AfiSafi {
  afi: number;
  safi: number;
}

export interface GracefulRestartCapability {
  /** The R bit: this speaker has restarted. */
  restarting: boolean;
  restartTimeSec: number;
  families: (AfiSafi & { forwardingPreserved: boolean })[];
}

export interface Capabilities {
  multiprotocol: AfiSafi[];
  routeRefresh: boolean;
  /** RFC 6793: present when the speaker supports 4-octet ASNs; its value is the real ASN. */
  fourOctetAsn?: number;
  gracefulRestart?: GracefulRestartCapability;
  /** Capabilities we do not interpret, kept so a round trip loses nothing. */
  unknown: { code: number; value: Uint8Array }[];
}

export interface OpenMessage {
  type: 'open';
  version: number;
  /** The effective ASN: the 4-octet capability's value when present, else the 2-octet field. */
  asn: number;
  holdTime: number;
  bgpId: string;
  capabilities: Capabilities;
}

export interface AsPathSegment {
  type: number;
  asns: number[];
}

export type LargeCommunity = [globalAdmin: number, local1: number, local2: number];

export interface MpReach {
  afi: number;
  safi: number;
  /** One global next hop, optionally followed by a link-local one (RFC 2545). */
  nextHops: string[];
  nlri: Prefix[];
}

export interface MpUnreach {
  afi: number;
  safi: number;
  withdrawn: Prefix[];
}

export interface RawAttribute {
  flags: number;
  code: number;
  value: Uint8Array;
}

export interface PathAttributes {
  origin?: OriginValue;
  asPath?: AsPathSegment[];
  nextHop?: string;
  med?: number;
  localPref?: number;
  atomicAggregate?: boolean;
  aggregator?: { asn: number; address: string };
  communities?: number[];
  largeCommunities?: LargeCommunity[];
  mpReach?: MpReach;
  mpUnreach?: MpUnreach;
  as4Path?: AsPathSegment[];
  /** Optional attributes we do not interpret (passed through unchanged). */
  unknown?: RawAttribute[];
}

export interface UpdateMessage {
  type: 'update';
  withdrawn: Prefix[];
  attributes: PathAttributes;
  nlri: Prefix[];
  /**
   * Set by the decoder when RFC 7606 says to keep the session and treat the UPDATE's routes as
   * withdrawn; each entry says why.
   */
  treatAsWithdraw?: string[];
  /** Set by the decoder for attributes it dropped under RFC 7606 "attribute discard". */
  discarded?: string[];
}

export interface NotificationMessage {
  type: 'notification';
  code: number;
  subcode: number;
  data: Uint8Array;
}

export interface KeepaliveMessage {
  type: 'keepalive';
}

export interface RouteRefreshMessage {
  type: 'route-refresh';
  afi: number;
  safi: number;
  /** RFC 7313 message subtype (0 = plain request). */
  subtype: number;
}

export type BgpMessage = OpenMessage | UpdateMessage | NotificationMessage | KeepaliveMessage | RouteRefreshMessage;

/** A protocol error: the NOTIFICATION the session must send, and why in words. */
export interface BgpError {
  code: number;
  subcode: number;
  data: Uint8Array;
  reason: string;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: BgpError };

export function bgpError(code: number, subcode: number, reason: string, data: Uint8Array = new Uint8Array(0)): { ok: false; error: BgpError } {
  return { ok: false, error: { code, subcode, data, reason } };
}

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}
