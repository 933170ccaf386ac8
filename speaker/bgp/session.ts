import { backoffDelay } from '../../runtime/backoff.js';
import { Afi, BGP_VERSION, CeaseSubcode, ErrorCode, FsmSubcode, OpenSubcode, Safi } from './constants.js';
import { AdjRibOut } from './adj-rib-out.js';
import type { CodecContext } from './attributes.js';
import type { BgpError, BgpMessage, NotificationMessage, OpenMessage } from './messages.js';
import { describeNotification, notificationFor } from './notification.js';
import { parseAddress } from './prefix.js';
import type { Route } from './routes.js';

/**
 * The BGP finite-state machine of one session (RFC 4271 §8) as a pure state machine: the shell
 * (peer.ts) feeds it events — start/stop, TCP outcomes, decoded messages, timer expiries, new
 * routes — and carries out the actions it returns: connect, send, close, set or clear a timer.
 * No clock and no socket in here, so every transition is a unit test.
 *
 * States: Idle (stopped, or waiting to retry after an error), Connect (TCP connect in flight),
 * Active (connect failed; waiting to retry), OpenSent, OpenConfirm, Established.
 */

export type SessionState = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';
export type TimerName = 'connect-retry' | 'connect-timeout' | 'hold' | 'keepalive';

export interface SessionConfig {
  localAsn: number;
  peerAsn: number;
  routerId: string;
  /** Proposed hold time in seconds: 0 (no keepalives) or ≥ 3. Default 90. */
  holdTimeSec?: number;
  /** Keepalive interval in seconds; default a third of the negotiated hold time. */
  keepaliveTimeSec?: number;
  /** Back-off before reconnecting: starts at initialMs, doubles up to maxMs. Default 1 s … 120 s. */
  connectRetry?: { initialMs: number; maxMs: number };
  connectTimeoutMs?: number;
  /** Advertise graceful restart (RFC 4724) with this restart time. */
  gracefulRestart?: { restartTimeSec: number; restarting?: boolean };
  /** Address families to offer (default both). */
  families?: { ipv4: boolean; ipv6: boolean };
  /** Next hops; default: the session's local address for its own family. */
  nextHopV4?: string;
  nextHopV6?: string;
  /** The peer is more than one hop away: never send a link-local next hop. */
  multiHop?: boolean;
  /** Random source for back-off jitter (tests pass a constant). */
  random?: () => number;
}

export type SessionEvent =
  | { type: 'start' }
  | { type: 'stop'; reason?: string }
  | { type: 'connected' } & ConnectionInfo
  | { type: 'connect-failed'; reason: string }
  | { type: 'closed'; reason: string }
  | { type: 'message'; message: BgpMessage }
  | { type: 'decode-error'; error: BgpError }
  | { type: 'timer'; timer: TimerName }
  | { type: 'routes'; routes: Route[] };

export type SessionAction =
  | { type: 'connect' }
  | { type: 'send'; message: BgpMessage }
  | { type: 'close' }
  | { type: 'set-timer'; timer: TimerName; ms: number }
  | { type: 'clear-timer'; timer: TimerName }
  | { type: 'state'; from: SessionState; to: SessionState; reason: string };

/** What the shell knows about a new TCP connection and the interface it leaves by. */
export interface ConnectionInfo {
  localAddress: string;
  remoteAddress: string;
  /** The interface's IPv6 link-local address. */
  linkLocal?: string;
  /** The interface's addresses of each family (next hop self for the other family). */
  interfaceV4?: string;
  interfaceV6?: string;
}

export interface Negotiated {
  holdTimeSec: number;
  keepaliveSec: number;
  fourOctetAs: boolean;
  ipv4: boolean;
  ipv6: boolean;
  routeRefresh: boolean;
  peerRouterId: string;
  peerGracefulRestart?: { restartTimeSec: number };
}

/** OpenSent waits this long for the peer's OPEN (RFC 4271 §8.2.2 suggests 4 minutes). */
export const OPEN_WAIT_MS = 240_000;

/** Problems with a session configuration; empty when it is usable. */
export function validateSessionConfig(c: SessionConfig): string[] {
  const errs: string[] = [];
  const asn = (n: number) => Number.isInteger(n) && n >= 1 && n <= 0xffffffff;
  if (!asn(c.localAsn)) errs.push(`local ASN ${c.localAsn} is not 1..4294967295`);
  if (!asn(c.peerAsn)) errs.push(`peer ASN ${c.peerAsn} is not 1..4294967295`);
  const id = parseAddress(c.routerId);
  if (!id || id.addr.length !== 4 || id.addr.every((b) => b === 0)) errs.push(`router ID ${c.routerId} is not a non-zero IPv4 address`);
  const hold = c.holdTimeSec ?? 90;
  if (!Number.isInteger(hold) || hold < 0 || hold > 65535 || hold === 1 || hold === 2) errs.push(`hold time ${hold} s must be 0 or 3..65535`);
  if (c.keepaliveTimeSec !== undefined && (!Number.isInteger(c.keepaliveTimeSec) || c.keepaliveTimeSec < 1)) errs.push(`keepalive time ${c.keepaliveTimeSec} s must be a positive integer`);
  return errs;
}

const notification = (code: number, subcode: number, data = new Uint8Array(0)): NotificationMessage => ({ type: 'notification', code, subcode, data });

export class Session {
  state: SessionState = 'Idle';
  negotiated: Negotiated | undefined;
  lastError: string | undefined;
  rib: AdjRibOut | undefined;
  private started = false;
  private attempt = 0;
  private routes: Route[] = [];
  private actions: SessionAction[] = [];

  constructor(readonly config: SessionConfig) {}

  /** How to encode and decode messages on this session right now. */
  get codec(): CodecContext {
    return { fourOctetAs: this.negotiated?.fourOctetAs ?? false, ebgp: this.config.localAsn !== this.config.peerAsn };
  }

  get ebgp(): boolean {
    return this.config.localAsn !== this.config.peerAsn;
  }

  /** Feed one event; returns what the shell must do, in order. */
  handle(e: SessionEvent): SessionAction[] {
    this.actions = [];
    this.dispatch(e);
    return this.actions;
  }

  private emit(a: SessionAction): void {
    this.actions.push(a);
  }

  private send(message: BgpMessage): void {
    this.emit({ type: 'send', message });
  }

  private go(to: SessionState, reason: string): void {
    if (to === this.state) return;
    this.emit({ type: 'state', from: this.state, to, reason });
    this.state = to;
  }

  private connect(): void {
    this.emit({ type: 'connect' });
    this.emit({ type: 'set-timer', timer: 'connect-timeout', ms: this.config.connectTimeoutMs ?? 10_000 });
    this.go('Connect', 'connecting');
  }

  private retryLater(to: SessionState, reason: string): void {
    const ms = backoffDelay(this.attempt++, this.config.connectRetry ?? { initialMs: 1000, maxMs: 120_000 }, this.config.random);
    this.emit({ type: 'set-timer', timer: 'connect-retry', ms });
    this.go(to, `${reason}; retrying in ${ms} ms`);
  }

  /** Drop the connection after an error; reconnect later unless stopped. */
  private fail(reason: string, notify?: NotificationMessage): void {
    if (notify) this.send(notify);
    this.lastError = notify ? `${reason} (sent ${describeNotification(notify.code, notify.subcode)})` : reason;
    this.teardown();
    if (this.started) this.retryLater('Idle', this.lastError);
    else this.go('Idle', this.lastError);
  }

  private teardown(): void {
    this.emit({ type: 'close' });
    for (const timer of ['hold', 'keepalive', 'connect-timeout'] as const) this.emit({ type: 'clear-timer', timer });
    this.negotiated = undefined;
    this.rib = undefined;
  }

  private connected(): boolean {
    return this.state === 'OpenSent' || this.state === 'OpenConfirm' || this.state === 'Established';
  }

  private dispatch(e: SessionEvent): void {
    switch (e.type) {
      case 'start':
        if (this.started) return;
        this.started = true;
        if (this.state === 'Idle') this.connect();
        return;
      case 'stop':
        return this.stop(e.reason ?? 'administrative shutdown');
      case 'routes':
        this.routes = e.routes;
        if (this.state === 'Established' && this.rib) {
          this.rib.setRoutes(e.routes);
          for (const m of this.rib.changes()) this.send(m);
        }
        return;
      case 'timer':
        return this.timer(e.timer);
      case 'connected':
        if (this.state !== 'Connect') {
          this.emit({ type: 'close' });
          return;
        }
        this.emit({ type: 'clear-timer', timer: 'connect-timeout' });
        this.local = { localAddress: e.localAddress, remoteAddress: e.remoteAddress, linkLocal: e.linkLocal, interfaceV4: e.interfaceV4, interfaceV6: e.interfaceV6 };
        this.send(this.open());
        this.emit({ type: 'set-timer', timer: 'hold', ms: OPEN_WAIT_MS });
        this.go('OpenSent', `TCP connected from ${e.localAddress} to ${e.remoteAddress}`);
        return;
      case 'connect-failed':
        if (this.state !== 'Connect') return;
        this.emit({ type: 'clear-timer', timer: 'connect-timeout' });
        this.emit({ type: 'close' });
        this.lastError = `connect failed: ${e.reason}`;
        return this.retryLater('Active', this.lastError);
      case 'closed':
        if (!this.connected()) return;
        return this.fail(`connection closed: ${e.reason}`);
      case 'decode-error':
        if (!this.connected()) return;
        return this.fail(`malformed message from the peer: ${e.error.reason}`, notificationFor(e.error));
      case 'message':
        return this.message(e.message);
    }
  }

  private local: ConnectionInfo | undefined;

  private stop(reason: string): void {
    this.started = false;
    this.emit({ type: 'clear-timer', timer: 'connect-retry' });
    if (this.state === 'Established' && this.rib) for (const m of this.rib.withdrawAll()) this.send(m);
    if (this.connected()) {
      this.send(notification(ErrorCode.CEASE, CeaseSubcode.ADMINISTRATIVE_SHUTDOWN));
      this.lastError = undefined;
    }
    if (this.state !== 'Idle') this.teardown();
    this.go('Idle', reason);
  }

  private timer(t: TimerName): void {
    switch (t) {
      case 'connect-retry':
        if (this.started && (this.state === 'Idle' || this.state === 'Active')) this.connect();
        return;
      case 'connect-timeout':
        if (this.state !== 'Connect') return;
        this.emit({ type: 'close' });
        this.lastError = 'connect timed out';
        return this.retryLater('Active', this.lastError);
      case 'hold':
        if (!this.connected()) return;
        return this.fail('hold timer expired: nothing heard from the peer', notification(ErrorCode.HOLD_TIMER_EXPIRED, 0));
      case 'keepalive':
        if (this.state !== 'OpenConfirm' && this.state !== 'Established') return;
        this.send({ type: 'keepalive' });
        if (this.negotiated && this.negotiated.keepaliveSec > 0) this.emit({ type: 'set-timer', timer: 'keepalive', ms: this.negotiated.keepaliveSec * 1000 });
        return;
    }
  }

  private restartHold(): void {
    if (this.negotiated && this.negotiated.holdTimeSec > 0) this.emit({ type: 'set-timer', timer: 'hold', ms: this.negotiated.holdTimeSec * 1000 });
  }

  open(): OpenMessage {
    const fam = this.config.families ?? { ipv4: true, ipv6: true };
    const multiprotocol = [];
    if (fam.ipv4) multiprotocol.push({ afi: Afi.IPV4, safi: Safi.UNICAST });
    if (fam.ipv6) multiprotocol.push({ afi: Afi.IPV6, safi: Safi.UNICAST });
    const gr = this.config.gracefulRestart;
    return {
      type: 'open',
      version: BGP_VERSION,
      asn: this.config.localAsn,
      holdTime: this.config.holdTimeSec ?? 90,
      bgpId: this.config.routerId,
      capabilities: {
        multiprotocol,
        routeRefresh: true,
        fourOctetAsn: this.config.localAsn,
        ...(gr ? { gracefulRestart: { restarting: gr.restarting ?? false, restartTimeSec: gr.restartTimeSec, families: multiprotocol.map((f) => ({ ...f, forwardingPreserved: false })) } } : {}),
        unknown: [],
      },
    };
  }

  private message(m: BgpMessage): void {
    if (!this.connected()) return;
    if (m.type === 'notification') {
      return this.fail(`the peer sent NOTIFICATION ${describeNotification(m.code, m.subcode)}`);
    }
    switch (this.state) {
      case 'OpenSent':
        if (m.type !== 'open') return this.fail(`unexpected ${m.type} in OpenSent`, notification(ErrorCode.FSM, FsmSubcode.UNEXPECTED_IN_OPEN_SENT));
        return this.receiveOpen(m);
      case 'OpenConfirm':
        if (m.type !== 'keepalive') return this.fail(`unexpected ${m.type} in OpenConfirm`, notification(ErrorCode.FSM, FsmSubcode.UNEXPECTED_IN_OPEN_CONFIRM));
        this.restartHold();
        return this.establish();
      default:
        if (m.type === 'open') return this.fail('unexpected OPEN in Established', notification(ErrorCode.FSM, FsmSubcode.UNEXPECTED_IN_ESTABLISHED));
        this.restartHold();
        if (m.type === 'route-refresh' && this.rib && this.negotiatedFamily(m.afi, m.safi)) for (const u of this.rib.fullTable(m.afi)) this.send(u);
        return;
    }
  }

  private negotiatedFamily(afi: number, safi: number): boolean {
    if (safi !== Safi.UNICAST || !this.negotiated) return false;
    return afi === Afi.IPV4 ? this.negotiated.ipv4 : afi === Afi.IPV6 ? this.negotiated.ipv6 : false;
  }

  private receiveOpen(m: OpenMessage): void {
    const c = this.config;
    if (m.asn !== c.peerAsn) {
      return this.fail(`the peer's ASN is ${m.asn}, configured ${c.peerAsn}`, notification(ErrorCode.OPEN_MESSAGE, OpenSubcode.BAD_PEER_AS));
    }
    if (!this.ebgp && m.bgpId === c.routerId) {
      return this.fail(`the iBGP peer uses our router ID ${m.bgpId}`, notification(ErrorCode.OPEN_MESSAGE, OpenSubcode.BAD_BGP_IDENTIFIER));
    }
    const localHold = c.holdTimeSec ?? 90;
    const holdTimeSec = Math.min(localHold, m.holdTime);
    const keepaliveSec = holdTimeSec === 0 ? 0 : Math.max(1, Math.min(c.keepaliveTimeSec ?? Math.floor(holdTimeSec / 3), Math.floor(holdTimeSec / 3)));
    const fam = c.families ?? { ipv4: true, ipv6: true };
    const mp = m.capabilities.multiprotocol;
    // RFC 4760: a peer that advertises no multiprotocol capability speaks IPv4 unicast only.
    const peerHas = (afi: number) => (mp.length === 0 ? afi === Afi.IPV4 : mp.some((f) => f.afi === afi && f.safi === Safi.UNICAST));
    const gr = m.capabilities.gracefulRestart;
    this.negotiated = {
      holdTimeSec,
      keepaliveSec,
      fourOctetAs: m.capabilities.fourOctetAsn !== undefined,
      ipv4: fam.ipv4 && peerHas(Afi.IPV4),
      ipv6: fam.ipv6 && peerHas(Afi.IPV6),
      routeRefresh: m.capabilities.routeRefresh,
      peerRouterId: m.bgpId,
      ...(gr ? { peerGracefulRestart: { restartTimeSec: gr.restartTimeSec } } : {}),
    };
    this.send({ type: 'keepalive' });
    if (holdTimeSec > 0) {
      this.emit({ type: 'set-timer', timer: 'hold', ms: holdTimeSec * 1000 });
      this.emit({ type: 'set-timer', timer: 'keepalive', ms: keepaliveSec * 1000 });
    } else {
      this.emit({ type: 'clear-timer', timer: 'hold' });
    }
    this.go('OpenConfirm', `OPEN from AS ${m.asn} (router ID ${m.bgpId}), hold time ${holdTimeSec} s`);
  }

  private establish(): void {
    const n = this.negotiated;
    const local = this.local;
    if (!n || !local) return;
    const localFamily = parseAddress(local.localAddress)?.afi;
    this.rib = new AdjRibOut({
      localAsn: this.config.localAsn,
      ebgp: this.ebgp,
      fourOctetAs: n.fourOctetAs,
      ipv4: n.ipv4,
      ipv6: n.ipv6,
      nextHopV4: this.config.nextHopV4 ?? (localFamily === Afi.IPV4 ? local.localAddress : local.interfaceV4),
      nextHopV6: this.config.nextHopV6 ?? (localFamily === Afi.IPV6 ? local.localAddress : local.interfaceV6),
      nextHopV6LinkLocal: this.config.multiHop ? undefined : local.linkLocal,
    });
    this.attempt = 0;
    this.lastError = undefined;
    this.go('Established', 'KEEPALIVE received');
    this.rib.setRoutes(this.routes);
    for (const u of this.rib.fullTable()) this.send(u);
    for (const u of this.rib.endOfRib()) this.send(u);
  }
}
