import { Counter, Gauge } from 'prom-client';
import { registry } from '../../runtime/metrics.js';

/** MetalLB's BGP metrics, same names and `peer` label (address:port), so dashboards keep working. */
export const bgpMetrics = {
  sessionUp: new Gauge({ name: 'metallb_bgp_session_up', help: 'BGP session state (1 is up, 0 is down)', labelNames: ['peer'] as const, registers: [registry] }),
  updatesTotal: new Counter({ name: 'metallb_bgp_updates_total', help: 'Number of BGP UPDATE messages sent', labelNames: ['peer'] as const, registers: [registry] }),
  announcedPrefixes: new Gauge({ name: 'metallb_bgp_announced_prefixes_total', help: 'Number of prefixes currently being advertised on the BGP session', labelNames: ['peer'] as const, registers: [registry] }),
};

/** The `peer` label: address:port, IPv6 in brackets (as MetalLB's net.JoinHostPort). */
export function peerLabel(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
