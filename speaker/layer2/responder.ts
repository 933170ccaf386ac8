import { PacketSocket } from './packet-socket.js';

/** What a responder reports and asks, per address: counters for metrics, and the fence. */
export interface ResponderHooks {
  /** Checked before every answer and gratuitous announcement; false: stay silent. */
  canAnswer?: () => boolean;
  count?: (what: 'request' | 'response' | 'gratuitous', ip: string) => void;
}

/** Gratuitous announcements on takeover: at once, then thinning out (MetalLB repeats for 5 s). */
export const TAKEOVER_BURST_MS: readonly number[] = [0, 200, 500, 1000, 2000, 4000];

/**
 * What ARP and NDP answering share, on one interface: the addresses announced here, the
 * AF_PACKET socket, counters, the fence before every frame sent, and the gratuitous burst on
 * takeover. A subclass decodes its requests and encodes its frames. The addresses are never
 * added to an interface.
 */
export abstract class AddressResponder {
  protected readonly ips = new Set<string>();
  private readonly socket: PacketSocket;
  readonly counters = { requests: 0, responses: 0, gratuitous: 0, malformed: 0 };

  constructor(
    readonly ifname: string,
    ethertype: number,
    private readonly hooks: ResponderHooks = {},
  ) {
    this.socket = PacketSocket.open(ifname, ethertype);
    this.socket.onFrame((frame) => this.onFrame(frame));
  }

  get mac(): Buffer {
    return this.socket.mac;
  }

  /** A received frame: call `answer` for a request for one of `ips`, ignore the rest. Never throws. */
  protected abstract onFrame(frame: Buffer): void;

  /** The unsolicited announcement of `ip` (gratuitous ARP, unsolicited NA with override). */
  protected abstract gratuitous(ip: string): Buffer;

  private fenceOpen(): boolean {
    return !this.hooks.canAnswer || this.hooks.canAnswer();
  }

  /** A request for `ip`, ours: counted, then answered unless the fence is closed. */
  protected answer(ip: string, reply: () => Buffer): void {
    this.counters.requests++;
    this.hooks.count?.('request', ip);
    if (!this.fenceOpen()) return;
    this.socket.send(reply());
    this.counters.responses++;
    this.hooks.count?.('response', ip);
  }

  /** Start answering for `ip`, announcing it after each delay while it is still ours and the fence open. */
  announce(ip: string, burstMs: readonly number[] = [0, 200, 400]): void {
    this.ips.add(ip);
    for (const delay of burstMs) {
      setTimeout(() => {
        if (!this.ips.has(ip) || !this.fenceOpen()) return;
        this.socket.send(this.gratuitous(ip));
        this.counters.gratuitous++;
        this.hooks.count?.('gratuitous', ip);
      }, delay).unref();
    }
  }

  withdraw(ip: string): void {
    this.ips.delete(ip);
  }

  close(): void {
    this.ips.clear();
    this.socket.close();
  }
}
