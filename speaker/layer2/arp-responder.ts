import { arpReply, asksFor, decodeArp, gratuitousArp } from './arp.js';
import { ETH_P_ARP } from './packet-socket.js';
import { AddressResponder, type ResponderHooks } from './responder.js';

/**
 * Answers ARP requests for the IPv4 addresses this node announces, on one interface, and sends
 * gratuitous ARPs when it takes an address over.
 */
export class ArpResponder extends AddressResponder {
  constructor(ifname: string, hooks: ResponderHooks = {}) {
    super(ifname, ETH_P_ARP, hooks);
  }

  protected onFrame(frame: Buffer): void {
    const p = decodeArp(frame);
    if (!p) {
      this.counters.malformed++;
      return;
    }
    if (asksFor(p, this.ips)) this.answer(p.targetIp, () => arpReply(p, this.mac));
  }

  protected gratuitous(ip: string): Buffer {
    return gratuitousArp(ip, this.mac);
  }
}
