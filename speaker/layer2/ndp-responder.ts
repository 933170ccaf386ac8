import { decodeNeighborSolicitation, neighborAdvertisementFor, unsolicitedAdvertisement } from './ndp.js';
import { ETH_P_IPV6 } from './packet-socket.js';
import { AddressResponder, type ResponderHooks } from './responder.js';

/**
 * Answers Neighbor Solicitations for the IPv6 addresses this node announces, on one interface —
 * duplicate-address probes included, which MetalLB drops — and sends unsolicited advertisements
 * with the override flag when it takes an address over. Frames come from the same AF_PACKET addon
 * as ARP (ETH_P_IPV6), so no multicast group is joined and no address is added to the interface.
 * Advertisements come from the announced address itself, as Linux answers for its own addresses:
 * some tools (ndisc6) accept an answer only from the address they asked for.
 */
export class NdpResponder extends AddressResponder {
  constructor(ifname: string, hooks: ResponderHooks = {}) {
    super(ifname, ETH_P_IPV6, hooks);
  }

  protected onFrame(frame: Buffer): void {
    // Every IPv6 frame arrives here; only solicitations for our addresses are of interest.
    if (frame.length < 78 || frame[20] !== 58 || frame[54] !== 135) return;
    const ns = decodeNeighborSolicitation(frame);
    if (ns && this.ips.has(ns.target)) this.answer(ns.target, () => neighborAdvertisementFor(ns, this.mac, ns.target));
  }

  protected gratuitous(ip: string): Buffer {
    return unsolicitedAdvertisement(ip, this.mac, ip);
  }
}
