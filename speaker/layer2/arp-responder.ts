import { arpReply, asksFor, decodeArp, gratuitousArp } from './arp.js';
import { ETH_P_ARP, PacketSocket } from './packet-socket.js';

/**
 * Answers ARP requests for the IPv4 addresses this node announces, on one interface, and sends
 * gratuitous ARPs when it takes an address over. The addresses are never added to an interface.
 */
export class ArpResponder {
  private readonly ips = new Set<string>();
  private readonly socket: PacketSocket;
  readonly counters = { requests: 0, responses: 0, gratuitous: 0, malformed: 0 };

  constructor(readonly ifname: string) {
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
    this.socket.send(arpReply(p, this.socket.mac));
    this.counters.responses++;
  }

  /** Start answering for `ip`, announcing it with `burst` gratuitous ARPs. */
  announce(ip: string, burst = 3, spacingMs = 200): void {
    this.ips.add(ip);
    for (let i = 0; i < burst; i++) {
      setTimeout(() => {
        if (!this.ips.has(ip)) return;
        this.socket.send(gratuitousArp(ip, this.socket.mac));
        this.counters.gratuitous++;
      }, i * spacingMs).unref();
    }
  }

  withdraw(ip: string): void {
    this.ips.delete(ip);
  }

  close(): void {
    this.socket.close();
  }
}
