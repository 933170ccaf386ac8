import type { Clock, Connection, ConnectionHandlers, Transport } from './peer.js';

/** A virtual clock and an in-memory transport, for driving a BgpPeer in tests without sockets or waiting. */

export class FakeClock implements Clock {
  now = 0;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.now + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Move time forward, firing due timers in order (bounded: at most 100,000 firings). */
  advance(ms: number): void {
    const end = this.now + ms;
    for (let n = 0; n < 100_000; n++) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      this.now = next[1].at;
      next[1].fn();
    }
    this.now = end;
  }

  pending(): number {
    return this.timers.size;
  }
}

export class FakeConnection implements Connection {
  written: Uint8Array[] = [];
  ended = false;
  constructor(
    readonly opts: { host: string; port: number; localAddress?: string },
    readonly handlers: ConnectionHandlers,
  ) {}
  write(b: Uint8Array): void {
    this.written.push(b);
  }
  end(): void {
    this.ended = true;
  }
}

export class FakeTransport implements Transport {
  connections: FakeConnection[] = [];
  connect(opts: { host: string; port: number; localAddress?: string }, handlers: ConnectionHandlers): Connection {
    const c = new FakeConnection(opts, handlers);
    this.connections.push(c);
    return c;
  }
  get last(): FakeConnection | undefined {
    return this.connections[this.connections.length - 1];
  }
}
