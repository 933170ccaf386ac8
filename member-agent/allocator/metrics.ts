import { Counter, Gauge } from 'prom-client';
import { registry } from '../../runtime/metrics.js';
import type { PoolReport } from './allocator.js';

/**
 * MetalLB's allocator metric names and labels (metallb.md §5), so existing dashboards and the
 * Helm chart's alerts (MetalLBAddressPoolExhausted, …Usage75Percent) work unchanged, plus a few
 * of ours under fleetlb_.
 */
const gauge = (name: string, help: string) => new Gauge({ name, help, labelNames: ['pool'] as const, registers: [registry] });

export const allocatorMetrics = {
  addressesTotal: gauge('metallb_allocator_addresses_total', 'Number of usable IP addresses, per pool.'),
  addressesInUse: gauge('metallb_allocator_addresses_in_use_total', 'Number of IP addresses in use, per pool.'),
  ipv4Total: gauge('metallb_allocator_ipv4_addresses_total', 'Number of usable IPv4 addresses, per pool.'),
  ipv4InUse: gauge('metallb_allocator_ipv4_addresses_in_use_total', 'Number of IPv4 addresses in use, per pool.'),
  ipv6Total: gauge('metallb_allocator_ipv6_addresses_total', 'Number of usable IPv6 addresses, per pool.'),
  ipv6InUse: gauge('metallb_allocator_ipv6_addresses_in_use_total', 'Number of IPv6 addresses in use, per pool.'),
  servicesAllocated: gauge('metallb_allocator_services_allocated_total', 'Number of Services with addresses from the pool.'),
  outsideRanges: gauge('fleetlb_allocator_addresses_outside_ranges', 'Addresses Services keep although the pool no longer contains them (the pool was edited).'),
  poolUsable: gauge('fleetlb_allocator_pool_usable', '1 when the pool may hand out addresses, 0 when it is invalid or overlaps an older pool.'),
  failures: new Counter({
    name: 'fleetlb_allocator_allocation_failures_total',
    help: 'Decisions that left a Service without the addresses it asked for, by reason.',
    labelNames: ['reason'] as const,
    registers: [registry],
  }),
};

// A /64 holds 2^64 addresses: gauges are doubles, so very large counts are approximate, never wrong by much.
const num = (b: bigint) => Number(b);

export function recordPool(r: PoolReport): void {
  const m = allocatorMetrics;
  const pool = r.name;
  m.ipv4Total.set({ pool }, num(r.ipv4.total));
  m.ipv4InUse.set({ pool }, r.ipv4.inUse);
  m.ipv6Total.set({ pool }, num(r.ipv6.total));
  m.ipv6InUse.set({ pool }, r.ipv6.inUse);
  m.addressesTotal.set({ pool }, num(r.ipv4.total + r.ipv6.total));
  m.addressesInUse.set({ pool }, r.ipv4.inUse + r.ipv6.inUse);
  m.servicesAllocated.set({ pool }, r.services);
  m.outsideRanges.set({ pool }, r.outside.length);
  m.poolUsable.set({ pool }, r.problems.length === 0 ? 1 : 0);
}

export function forgetPool(pool: string): void {
  for (const g of [
    allocatorMetrics.addressesTotal,
    allocatorMetrics.addressesInUse,
    allocatorMetrics.ipv4Total,
    allocatorMetrics.ipv4InUse,
    allocatorMetrics.ipv6Total,
    allocatorMetrics.ipv6InUse,
    allocatorMetrics.servicesAllocated,
    allocatorMetrics.outsideRanges,
    allocatorMetrics.poolUsable,
  ]) {
    g.remove({ pool });
  }
}
