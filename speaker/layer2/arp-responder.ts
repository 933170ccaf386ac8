import { arpReply, asksFor, decodeArp, gratuitousArp } from './arp.js';
import { ETH_P_ARP, PacketSocket } from './packet-socket.js';

/** What a responder reports and asks, per address: counters for metrics, and the fence. */
export interface ResponderHooks {
  /** Checked before every answer and gratuitous announcement; false: stay silent. */
  canAnswer?: () => boolean;
  count?: (what: 'request' | 'response' | 'gratuitous', ip: string) => void;
}

/** Gratuitous announcements on takeover: at once, then thinning out (MetalLB repeats for 5 s). */
export const TAKEOVER_BURST_MS: readonly number[] = [0, 200, 500, 1000, 2000, 4000];

/** Call `send` after each delay, as long as `still()` holds then (the address is still ours, the fence open). */
export function sendBurst(delaysMs: readonly number[], still: () => boolean, send: () => void): void {
  for (const delay of delaysMs) setTimeout(() => still() && send(), delay).unref();
}

/**
 * Answers ARP requests for the IPv4 addresses this node announces, on one interface, and sends
 * gratuitous ARPs when it takes an address over. The addresses are never added to an interface.
 */
export class ArpResponder {
  private readonly ips = new Set<string>();
  private readonly socket: PacketSocket;
  readonly counters = { requests: 0, responses: 0, gratuitous: 0, malformed: 0 };

  constructor(
    readonly ifname: string,
    private readonly hooks: ResponderHooks = {},
  ) {
    this.socket = PacketSocket.open(ifname, ETH_P_ARP);
    this.socket.onFrame((frame) => this.onFrame(frame));
  }

  get mac(): Buffer {
    return this.socket.mac;
  }

  private onFrame(frame: Buffer): void {
    const p = decodeArp(frame);
    if (!p) {
      this.counters.malformed++;
      return;
    }
    if (!asksFor(p, this.ips)) return;
    this.counters.requests++;
    this.hooks.count?.('request', p.targetIp);
    if (this.hooks.canAnswer && !this.hooks.canAnswer()) return;
    this.socket.send(arpReply(p, this.socket.mac));
    this.counters.responses++;
    this.hooks.count?.('response', p.targetIp);
  }

  /** Start answering for `ip`, announcing it with a gratuitous ARP after each delay. */
  announce(ip: string, burstMs: readonly number[] = [0, 200, 400]): void {
    this.ips.add(ip);
    sendBurst(burstMs, () => this.ips.has(ip) && (!this.hooks.canAnswer || this.hooks.canAnswer()), () => {
      this.socket.send(gratuitousArp(ip, this.socket.mac));
      this.counters.gratuitous++;
      this.hooks.count?.('gratuitous', ip);
    });
  }

  withdraw(ip: string): void {
    this.ips.delete(ip);
  }

  close(): void {
    this.ips.clear();
    this.socket.close();
  }
}
