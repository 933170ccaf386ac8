import { describe, expect, test } from '@jest/globals';
import { registry } from '../../runtime/metrics.js';
import { Allocator } from './allocator.js';
import { pool, svc } from './fixtures.js';
import { forgetPool, recordPool } from './metrics.js';

describe('allocator metrics', () => {
  test("MetalLB's names and labels, per pool, and gone with the pool", async () => {
    const a = new Allocator();
    a.setPools([pool('metrics-test', ['198.51.100.0/24', '2001:db8:100::/120'])]);
    a.load([svc('a'), svc('b', { families: ['IPv6'] })]);
    a.resolveAll();
    recordPool(a.poolReport('metrics-test')!);
    const text = await registry.metrics();
    for (const line of [
      'metallb_allocator_addresses_total{pool="metrics-test"} 512',
      'metallb_allocator_addresses_in_use_total{pool="metrics-test"} 2',
      'metallb_allocator_ipv4_addresses_total{pool="metrics-test"} 256',
      'metallb_allocator_ipv4_addresses_in_use_total{pool="metrics-test"} 1',
      'metallb_allocator_ipv6_addresses_total{pool="metrics-test"} 256',
      'metallb_allocator_ipv6_addresses_in_use_total{pool="metrics-test"} 1',
      'metallb_allocator_services_allocated_total{pool="metrics-test"} 2',
      'fleetlb_allocator_pool_usable{pool="metrics-test"} 1',
    ]) {
      expect(text).toContain(line);
    }
    forgetPool('metrics-test');
    expect(await registry.metrics()).not.toContain('pool="metrics-test"');
  });
});
