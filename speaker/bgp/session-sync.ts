import type { BGPPeerSessionStatus } from '../../api/metallb.js';
import type { PeerConfig } from './peer.js';
import type { PeerPlan } from './plan.js';

/**
 * How the BGP handler (handler.ts) keeps this node's sessions and what it publishes in step with
 * a new plan — the decisions, pure; the handler carries them out (sessions, metrics, API writes).
 */

/** The TCP MD5 key of a peer as read from its Secret, or why it could not be. */
export interface SecretRead {
  password?: string;
  error?: string;
}

export type PeerAction =
  /** No session: the peer's configuration is invalid or its Secret unreadable (`error` says why). */
  | { kind: 'unusable'; error: string }
  /** The running session stays; only its routes are set again. */
  | { kind: 'keep' }
  /** Open a session with `config`, closing the running one first when `replace`. */
  | { kind: 'start'; config: PeerConfig; configKey: string; replace: boolean };

/** What to do with the session to one planned peer, given the running one's configuration key. */
export function peerAction(p: PeerPlan, secret: SecretRead, runningConfigKey: string | undefined): PeerAction {
  if (!p.config || secret.error) {
    const errors = [...p.errors, ...(secret.error ? [secret.error] : []), ...p.unsupported];
    return { kind: 'unusable', error: errors.join('; ') || 'not configured' };
  }
  const config: PeerConfig = { ...p.config, ...(secret.password ? { password: secret.password } : {}) };
  // The key includes the password, so a changed Secret reconnects with the new key.
  const configKey = JSON.stringify(config);
  if (runningConfigKey === configKey) return { kind: 'keep' };
  return { kind: 'start', config, configKey, replace: runningConfigKey !== undefined };
}

/** What a session looks like at a moment, as the handler reads it from the peer. */
export interface SessionSnapshot {
  state: string;
  establishedSince?: number;
  prefixesSent: number;
  updatesSent: number;
  lastError?: string;
}

/** This node's entry of a BGPPeer's status.sessions (times in whole seconds, as Kubernetes writes them). */
export function sessionEntry(node: string, peerAddress: string, s: SessionSnapshot): BGPPeerSessionStatus {
  return {
    node,
    peerAddress,
    state: s.state,
    ...(s.establishedSince !== undefined ? { establishedSince: new Date(s.establishedSince).toISOString().replace(/\.\d{3}Z$/, 'Z') } : {}),
    prefixesSent: s.prefixesSent,
    updatesSent: s.updatesSent,
    ...(s.lastError ? { lastError: s.lastError } : {}),
  };
}

/** The entry of a peer that gets no session: Idle, with why. */
export function unusableEntry(node: string, p: PeerPlan, error: string): BGPPeerSessionStatus {
  return { node, peerAddress: p.config?.peerAddress ?? '', state: 'Idle', prefixesSent: 0, updatesSent: 0, lastError: error };
}

/**
 * When to write statuses after a session changes state: at once when it enters or leaves
 * Established (what a user watches for), else after the usual debounce.
 */
export function statusDelayMs(from: string, to: string, debounceMs: number): number {
  return to === 'Established' || from === 'Established' ? 0 : debounceMs;
}

/**
 * Which status entries to write (new or changed text) and which to clear (written before, not
 * wanted now), from the wanted entries and the last written ones, both keyed by BGPPeer.
 */
export function statusWrites(want: ReadonlyMap<string, string>, written: ReadonlyMap<string, string>): { write: string[]; clear: string[] } {
  return {
    write: [...want].filter(([k, text]) => written.get(k) !== text).map(([k]) => k),
    clear: [...written.keys()].filter((k) => !want.has(k)),
  };
}

/**
 * The addresses this node announces to some peer (address → Service key), and which of the
 * previously announced ones to drop from the metric (gone, or now another Service's).
 */
export function announcedChanges(
  previous: ReadonlyMap<string, string>,
  services: ReadonlyMap<string, { ips: readonly string[] }>,
): { want: Map<string, string>; drop: [ip: string, service: string][] } {
  const want = new Map<string, string>();
  for (const [key, s] of services) for (const ip of s.ips) want.set(ip, key);
  const drop = [...previous].filter(([ip, service]) => want.get(ip) !== service);
  return { want, drop };
}
