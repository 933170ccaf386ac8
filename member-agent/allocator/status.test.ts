import { describe, expect, test } from '@jest/globals';
import { Annotations } from '../../api/labels.js';
import type { Condition } from '../../api/meta.js';
import type { Outcome, PoolReport } from './allocator.js';
import { AddressReasons, AllocationReasons, EventReasons, PoolConditions, PoolReasons, ServiceConditions } from './errors.js';
import { pool, poolObject, serviceObject } from './fixtures.js';
import type { ServiceObject } from './service.js';
import { poolStatusPlan, servicePlan } from './status.js';

const now = new Date('2026-02-01T00:00:00Z');
const allocated: Outcome = {
  managed: true,
  ips: ['198.51.100.1'],
  pool: 'p',
  allocated: { status: 'True', reason: AllocationReasons.Allocated, message: 'Assigned 198.51.100.1 from pool p' },
  inPool: { status: 'True', reason: AddressReasons.InPool, message: '198.51.100.1 in pool p' },
};

/** The Service as it looks after the plan was applied. */
function applied(svc: ServiceObject, outcome: Outcome): ServiceObject {
  const plan = servicePlan(svc, outcome, now);
  const annotations = { ...svc.metadata.annotations };
  if (plan.annotation === null) delete annotations[Annotations.ipAllocatedFromPool];
  else if (plan.annotation !== undefined) annotations[Annotations.ipAllocatedFromPool] = plan.annotation;
  return {
    ...svc,
    metadata: { ...svc.metadata, annotations },
    status: plan.status ? { loadBalancer: { ingress: plan.status.loadBalancer.ingress.map((i) => ({ ...i, ipMode: 'VIP' })) }, conditions: plan.status.conditions } : svc.status,
  };
}

describe('what the controller writes on a Service', () => {
  test('a first assignment: annotation, ingress, both conditions, one Normal event', () => {
    const svc = { ...serviceObject('a'), metadata: { ...serviceObject('a').metadata, generation: 3 } };
    const plan = servicePlan(svc, allocated, now);
    expect(plan.annotation).toBe('p');
    expect(plan.status?.loadBalancer.ingress).toEqual([{ ip: '198.51.100.1' }]);
    expect(plan.status?.conditions).toEqual([
      { type: ServiceConditions.IPAllocated, status: 'True', reason: AllocationReasons.Allocated, message: 'Assigned 198.51.100.1 from pool p', observedGeneration: 3, lastTransitionTime: '2026-02-01T00:00:00Z' },
      { type: ServiceConditions.AddressInPool, status: 'True', reason: AddressReasons.InPool, message: '198.51.100.1 in pool p', observedGeneration: 3, lastTransitionTime: '2026-02-01T00:00:00Z' },
    ]);
    expect(plan.events).toEqual([{ type: 'Normal', reason: EventReasons.IPAllocated, message: 'Assigned 198.51.100.1 from pool p' }]);
  });

  test('once written, nothing more: no write and no event (a restart is silent)', () => {
    const done = applied(serviceObject('a'), allocated);
    expect(servicePlan(done, allocated, now)).toEqual({ events: [] });
  });

  test('conditions set by others are left alone', () => {
    const other: Condition = { type: 'example.com/Ready', status: 'True', reason: 'R', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' };
    const svc: ServiceObject = { ...serviceObject('a'), status: { conditions: [other] } };
    expect(servicePlan(svc, allocated, now).status?.conditions.map((c) => c.type)).toEqual([ServiceConditions.IPAllocated, ServiceConditions.AddressInPool]);
  });

  test('a failure is a Warning AllocationFailed, once; losing the pool is a Warning with its own reason', () => {
    const failed: Outcome = { managed: true, ips: [], allocated: { status: 'False', reason: AllocationReasons.PoolExhausted, message: 'no free IPv4 address' } };
    const first = servicePlan(serviceObject('a'), failed, now);
    expect(first.events).toEqual([{ type: 'Warning', reason: EventReasons.AllocationFailed, message: 'no free IPv4 address' }]);
    expect(first.annotation).toBeUndefined();
    expect(servicePlan(applied(serviceObject('a'), failed), failed, now).events).toEqual([]);

    const held = applied(serviceObject('a'), allocated);
    const outside: Outcome = { ...allocated, inPool: { status: 'False', reason: AddressReasons.OutsidePool, message: '198.51.100.1 is no longer in pool p' } };
    const plan = servicePlan(held, outside, now);
    expect(plan.events).toEqual([{ type: 'Warning', reason: AddressReasons.OutsidePool, message: '198.51.100.1 is no longer in pool p' }]);
    expect(plan.status?.loadBalancer.ingress).toEqual([{ ip: '198.51.100.1' }]);
    // Back in the pool: a Normal event.
    expect(servicePlan(applied(held, outside), allocated, now).events).toEqual([{ type: 'Normal', reason: AddressReasons.InPool, message: '198.51.100.1 in pool p' }]);
  });

  test('a Service no longer ours loses what we wrote, but only if it stopped being a LoadBalancer', () => {
    const held = applied(serviceObject('a'), allocated);
    const unmanaged: Outcome = { managed: false, ips: [] };
    const converted = { ...held, spec: { ...held.spec, type: 'ClusterIP' } };
    expect(servicePlan(converted, unmanaged, now)).toEqual({ annotation: null, status: { loadBalancer: { ingress: [] }, conditions: [] }, events: [] });
    // Another class: another allocator's Service, even if it carries conditions like ours.
    expect(servicePlan(held, unmanaged, now)).toEqual({ events: [] });
    expect(servicePlan({ ...serviceObject('b'), spec: { type: 'ClusterIP' } }, unmanaged, now)).toEqual({ events: [] });
  });
});

describe('what the controller writes on a pool', () => {
  const report = (over: Partial<PoolReport> = {}): PoolReport => ({
    name: 'p',
    config: pool('p', ['198.51.100.0/24']),
    problems: [],
    ipv4: { total: 256n, inUse: 3, available: 253n },
    ipv6: { total: 1n << 64n, inUse: 1, available: (1n << 64n) - 1n },
    services: 4,
    outside: [],
    ...over,
  });

  test('counts, capped at what a JSON number holds exactly, and conditions', () => {
    const plan = poolStatusPlan(poolObject('p', ['198.51.100.0/24']), report(), now);
    expect(plan.status).toMatchObject({ assignedIPv4: 3, availableIPv4: 253, assignedIPv6: 1, availableIPv6: Number.MAX_SAFE_INTEGER });
    expect(plan.status?.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      [PoolConditions.Ready, 'True', PoolReasons.Valid],
      [PoolConditions.AddressesOutsideRanges, 'False', PoolReasons.AllAddressesInRanges],
    ]);
    expect(plan.events).toEqual([]);
    // Applied, the same report changes nothing.
    expect(poolStatusPlan({ ...poolObject('p', ['198.51.100.0/24']), status: plan.status }, report(), now)).toEqual({ events: [] });
  });

  test('an invalid pool and addresses outside the ranges are conditions and Warning events, once', () => {
    const r = report({
      problems: [{ reason: PoolReasons.OverlappingAddresses, message: '198.51.100.0/24 overlaps 198.51.100.0/25 of pool old, which is older' }],
      outside: Array.from({ length: 12 }, (_, i) => ({ ip: `203.0.113.${i}`, services: [`ns/s${i}`] })),
    });
    const plan = poolStatusPlan(poolObject('p', ['198.51.100.0/24']), r, now);
    const ready = plan.status?.conditions?.find((c) => c.type === PoolConditions.Ready);
    expect(ready).toMatchObject({ status: 'False', reason: PoolReasons.OverlappingAddresses });
    const outside = plan.status?.conditions?.find((c) => c.type === PoolConditions.AddressesOutsideRanges);
    expect(outside?.message).toContain('12 address(es) in use are outside spec.addresses: 203.0.113.0 (ns/s0)');
    expect(outside?.message).toContain('and 2 more');
    expect(plan.events.map((e) => [e.type, e.reason])).toEqual([
      ['Warning', EventReasons.PoolInvalid],
      ['Warning', EventReasons.AddressesOutsideRanges],
    ]);
    const again = poolStatusPlan({ ...poolObject('p', ['198.51.100.0/24']), status: plan.status }, r, now);
    expect(again).toEqual({ events: [] });
    const fixed = poolStatusPlan({ ...poolObject('p', ['198.51.100.0/24']), status: plan.status }, report(), now);
    expect(fixed.events.map((e) => [e.type, e.reason])).toEqual([['Normal', EventReasons.PoolValid]]);
  });
});
