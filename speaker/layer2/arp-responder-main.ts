import { ArpResponder } from './arp-responder.js';
import { formatMac } from './arp.js';

/**
 * A stand-alone ARP responder over our AF_PACKET addon, for tests and debugging:
 * `arp-responder-main IFNAME IP…`. Prints `ready <mac>` once answering; SIGTERM stops it.
 */
const [ifname, ...ips] = process.argv.slice(2);
if (!ifname || ips.length === 0) {
  process.stderr.write('usage: arp-responder-main IFNAME IP…\n');
  process.exit(2);
}
const responder = new ArpResponder(ifname);
for (const ip of ips) responder.announce(ip);
process.stdout.write(`ready ${formatMac(responder.mac)}\n`);
process.on('SIGTERM', () => {
  responder.close();
  process.stdout.write(`${JSON.stringify(responder.counters)}\n`);
  process.exit(0);
});
