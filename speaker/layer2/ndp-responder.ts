import { sendBurst, type ResponderHooks } from './arp-responder.js';
import { decodeNeighborSolicitation, neighborAdvertisementFor, unsolicitedAdvertisement } from './ndp.js';
import { ETH_P_IPV6, PacketSocket } from './packet-socket.js';

/**
 * Answers Neighbor Solicitations for the IPv6 addresses this node announces, on one interface —
 * duplicate-address probes included, which MetalLB drops — and sends unsolicited advertisements
 * with the override flag when it takes an address over. Frames come from the same AF_PACKET addon
 * as ARP (ETH_P_IPV6), so no multicast group is joined and no address is added to the interface.
 * Advertisements come from the announced address itself, as Linux answers for its own addresses:
 * some tools (ndisc6) accept an answer only from the address they asked for.
 */
export class NdpResponder {
  private readonly ips = new Set<string>();
  private readonly socket: PacketSocket;
  readonly counters = { requests: 0, responses: 0, gratuitous: 0 };

  constructor(
    readonly ifname: string,
    private readonly hooks: ResponderHooks = {},
  ) {
    this.socket = PacketSocket.open(ifname, ETH_P_IPV6);
    this.socket.onFrame((frame) => this.onFrame(frame));
  }

  private onFrame(frame: Buffer): void {
    // Every IPv6 frame arrives here; only solicitations for our addresses are of interest.
    if (frame.length < 78 || frame[20] !== 58 || frame[54] !== 135) return;
    const ns = decodeNeighborSolicitation(frame);
    if (!ns || !this.ips.has(ns.target)) return;
    this.counters.requests++;
    this.hooks.count?.('request', ns.target);
    if (this.hooks.canAnswer && !this.hooks.canAnswer()) return;
    this.socket.send(neighborAdvertisementFor(ns, this.socket.mac, ns.target));
    this.counters.responses++;
    this.hooks.count?.('response', ns.target);
  }

  announce(ip: string, burstMs: readonly number[]): void {
    this.ips.add(ip);
    sendBurst(burstMs, () => this.ips.has(ip) && (!this.hooks.canAnswer || this.hooks.canAnswer()), () => {
      this.socket.send(unsolicitedAdvertisement(ip, this.socket.mac, ip));
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
