import { networkInterfaces } from 'node:os';
import { BGP_PORT } from './constants.js';
import { decodeMessage, encodeMessage } from './codec.js';
import { Framer } from './header.js';
import type { BgpMessage } from './messages.js';
import { isLinkLocalV6, parseAddress } from './prefix.js';
import type { Route } from './routes.js';
import { connectTcp, type TcpOptions } from './tcp-socket.js';
import { Session, validateSessionConfig, type ConnectionInfo, type SessionAction, type SessionConfig, type SessionEvent, type SessionState, type TimerName } from './session.js';

/**
 * The thin I/O shell around the session FSM: a TCP connection (active open), timers, framing and
 * the codec. Transport and clock are injected, so tests drive it with a fake clock and an
 * in-memory connection.
 */

export interface ConnectionHandlers {
  onConnect(info: { localAddress: string; remoteAddress: string }): void;
  onData(chunk: Uint8Array): void;
  /** The connection failed or closed; called once. */
  onClose(reason: string): void;
}

export interface Connection {
  write(b: Uint8Array): void;
  /** Close after pending writes are flushed. */
  end(): void;
}

export interface Transport {
  connect(opts: TcpOptions, handlers: ConnectionHandlers): Connection;
}

export interface Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export type InterfaceLookup = (localAddress: string) => Omit<ConnectionInfo, 'localAddress' | 'remoteAddress'>;

export interface PeerConfig extends SessionConfig {
  peerAddress: string;
  peerPort?: number;
  sourceAddress?: string;
  /** TCP MD5 signature key (RFC 2385). */
  password?: string;
}

/** TTL of our packets: 1 towards a directly connected eBGP peer (as BIRD and FRR do), 255 multi-hop, the system's default on iBGP. */
export function sessionTtl(c: Pick<PeerConfig, 'localAsn' | 'peerAsn' | 'multiHop'>): number | undefined {
  if (c.localAsn === c.peerAsn) return undefined;
  return c.multiHop ? 255 : 1;
}

export type PeerEvent =
  | { type: 'state'; from: SessionState; to: SessionState; reason: string }
  | { type: 'sent'; message: BgpMessage }
  | { type: 'received'; message: BgpMessage };

export interface PeerStats {
  messagesSent: number;
  messagesReceived: number;
  updatesSent: number;
  notificationsSent: number;
  establishedSince?: number;
}

export const nodeTransport: Transport = {
  connect(opts, h) {
    let closed = false;
    const close = (reason: string) => {
      if (closed) return;
      closed = true;
      h.onClose(reason);
    };
    const sock = connectTcp(opts);
    sock.setNoDelay(true);
    sock.on('connect', () => h.onConnect({ localAddress: sock.localAddress ?? '', remoteAddress: sock.remoteAddress ?? '' }));
    sock.on('data', (d: Buffer) => h.onData(new Uint8Array(d.buffer, d.byteOffset, d.length)));
    sock.on('error', (err) => close(err.message));
    sock.on('close', () => close('closed by the peer'));
    return {
      write: (b) => {
        if (!sock.destroyed) sock.write(b);
      },
      end: () => {
        closed = true;
        sock.end();
        // Do not wait forever for a peer that never acknowledges the FIN.
        setTimeout(() => sock.destroy(), 2000).unref();
      },
    };
  },
};

export const systemClock: Clock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** The interface that holds `localAddress`: its link-local and other-family addresses. */
export const systemInterfaces: InterfaceLookup = (localAddress) => {
  const want = parseAddress(localAddress)?.addr.join('.');
  for (const addrs of Object.values(networkInterfaces())) {
    if (!addrs?.some((a) => parseAddress(a.address.split('%')[0] ?? '')?.addr.join('.') === want)) continue;
    const v6 = addrs.filter((a) => a.family === 'IPv6').map((a) => a.address.split('%')[0] ?? '');
    const ll = v6.find((a) => isLinkLocalV6(parseAddress(a)?.addr ?? new Uint8Array(0)));
    const global = v6.find((a) => a !== ll);
    const v4 = addrs.find((a) => a.family === 'IPv4')?.address;
    return { ...(ll ? { linkLocal: ll } : {}), ...(v4 ? { interfaceV4: v4 } : {}), ...(global ? { interfaceV6: global } : {}) };
  }
  return {};
};

export class BgpPeer {
  readonly session: Session;
  readonly stats: PeerStats = { messagesSent: 0, messagesReceived: 0, updatesSent: 0, notificationsSent: 0 };
  private conn: Connection | undefined;
  private generation = 0;
  private timers = new Map<TimerName, unknown>();
  private listeners: ((e: PeerEvent) => void)[] = [];

  constructor(
    readonly config: PeerConfig,
    private readonly deps: { transport?: Transport; clock?: Clock; interfaces?: InterfaceLookup; now?: () => number } = {},
  ) {
    const errors = validateSessionConfig(config);
    if (config.password !== undefined && (config.password === '' || Buffer.byteLength(config.password) > 80)) errors.push('the TCP MD5 password must be 1..80 octets');
    if (errors.length) throw new RangeError(`invalid BGP peer ${config.peerAddress}: ${errors.join('; ')}`);
    this.session = new Session(config);
  }

  get state(): SessionState {
    return this.session.state;
  }

  on(listener: (e: PeerEvent) => void): void {
    this.listeners.push(listener);
  }

  start(): void {
    this.feed({ type: 'start' });
  }

  setRoutes(routes: Route[]): void {
    this.feed({ type: 'routes', routes });
  }

  /** Withdraw everything, send Cease and close (pending writes are flushed first). */
  stop(reason?: string): void {
    this.feed({ type: 'stop', ...(reason ? { reason } : {}) });
  }

  private emitEvent(e: PeerEvent): void {
    for (const l of this.listeners) l(e);
  }

  feed(e: SessionEvent): void {
    for (const a of this.session.handle(e)) this.act(a);
  }

  private act(a: SessionAction): void {
    const clock = this.deps.clock ?? systemClock;
    switch (a.type) {
      case 'connect':
        return this.openConnection();
      case 'send': {
        if (!this.conn) return;
        this.conn.write(encodeMessage(a.message, this.session.codec));
        this.stats.messagesSent++;
        if (a.message.type === 'update') this.stats.updatesSent++;
        if (a.message.type === 'notification') this.stats.notificationsSent++;
        this.emitEvent({ type: 'sent', message: a.message });
        return;
      }
      case 'close':
        this.generation++;
        this.conn?.end();
        this.conn = undefined;
        return;
      case 'set-timer': {
        const prev = this.timers.get(a.timer);
        if (prev !== undefined) clock.clearTimeout(prev);
        this.timers.set(a.timer, clock.setTimeout(() => {
          this.timers.delete(a.timer);
          this.feed({ type: 'timer', timer: a.timer });
        }, a.ms));
        return;
      }
      case 'clear-timer': {
        const prev = this.timers.get(a.timer);
        if (prev !== undefined) clock.clearTimeout(prev);
        this.timers.delete(a.timer);
        return;
      }
      case 'state':
        if (a.to === 'Established') this.stats.establishedSince = (this.deps.now ?? Date.now)();
        if (a.from === 'Established') delete this.stats.establishedSince;
        this.emitEvent(a);
        return;
    }
  }

  private openConnection(): void {
    const gen = ++this.generation;
    const framer = new Framer();
    const current = () => gen === this.generation;
    const ttl = sessionTtl(this.config);
    this.conn = (this.deps.transport ?? nodeTransport).connect(
      {
        host: this.config.peerAddress,
        port: this.config.peerPort ?? BGP_PORT,
        ...(this.config.sourceAddress ? { localAddress: this.config.sourceAddress } : {}),
        ...(this.config.password ? { md5Key: this.config.password } : {}),
        ...(ttl ? { ttl } : {}),
      },
      {
        onConnect: (info) => {
          if (!current()) return;
          this.feed({ type: 'connected', ...info, ...(this.deps.interfaces ?? systemInterfaces)(info.localAddress) });
        },
        onData: (chunk) => {
          if (!current()) return;
          const framed = framer.push(chunk);
          if (!framed.ok) return this.feed({ type: 'decode-error', error: framed.error });
          for (const raw of framed.value) {
            if (!current()) return;
            const d = decodeMessage(raw, this.session.codec);
            if (!d.ok) return this.feed({ type: 'decode-error', error: d.error });
            this.stats.messagesReceived++;
            this.emitEvent({ type: 'received', message: d.value });
            this.feed({ type: 'message', message: d.value });
          }
        },
        onClose: (reason) => {
          if (!current()) return;
          this.conn = undefined;
          this.feed(this.session.state === 'Connect' ? { type: 'connect-failed', reason } : { type: 'closed', reason });
        },
      },
    );
  }
}
