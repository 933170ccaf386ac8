import { describe, expect, test } from '@jest/globals';
import { Annotations } from '../../api/labels.js';
import { Allocator, type Outcome } from './allocator.js';
import { AddressReasons, AllocationReasons, EventReasons } from './errors.js';
import { pool, svc, type ServiceSpecInput } from './fixtures.js';
import type { PoolConfig } from './pool.js';
import type { ServiceView } from './service.js';

const POOL = Annotations.addressPool;
const IPS = Annotations.loadBalancerIPs;
const SHARE = Annotations.allowSharedIP;

function allocator(pools: PoolConfig[], services: ServiceView[] = []): Allocator {
  const a = new Allocator();
  a.setPools(pools);
  a.load(services);
  return a;
}

/** Adds (or changes) a Service and returns its decision. */
function put(a: Allocator, name: string, s: ServiceSpecInput = {}): Outcome {
  const v = svc(name, s);
  a.upsert(v);
  return a.resolve(v.key) as Outcome;
}

const ips = (a: Allocator, name: string, ns = 'default') => a.resolve(`${ns}/${name}`)?.ips ?? [];
const at = (i: number) => `2026-01-01T00:00:${String(i).padStart(2, '0')}Z`;

describe('choosing an address', () => {
  test('first free address of the pool, and a freed address is reused first', () => {
    const a = allocator([pool('p', ['198.51.100.0/29'])]);
    expect(put(a, 'a').ips).toEqual(['198.51.100.0']);
    expect(put(a, 'b').ips).toEqual(['198.51.100.1']);
    expect(put(a, 'c').ips).toEqual(['198.51.100.2']);
    a.remove('default/a');
    expect(put(a, 'd').ips).toEqual(['198.51.100.0']);
  });

  test('the outcome names the pool, and says what happened', () => {
    const a = allocator([pool('p', ['198.51.100.0/29'])]);
    expect(put(a, 'a')).toEqual({
      managed: true,
      ips: ['198.51.100.0'],
      pool: 'p',
      allocated: { status: 'True', reason: AllocationReasons.Allocated, message: 'Assigned 198.51.100.0 from pool p' },
      inPool: { status: 'True', reason: AddressReasons.InPool, message: '198.51.100.0 in pool p' },
    });
  });

  test('pools are tried by priority, then name; autoAssign: false only when named', () => {
    const a = allocator([
      pool('zz-default', ['10.0.0.0/30']),
      pool('aa-default', ['10.0.1.0/30']),
      pool('manual', ['10.0.2.0/30'], { autoAssign: false }),
      pool('premium', ['10.0.3.0/30'], { serviceAllocation: { priority: 5 } }),
      pool('better', ['10.0.4.0/30'], { serviceAllocation: { priority: 1, namespaces: ['vip'] } }),
    ]);
    expect(put(a, 'one').ips).toEqual(['10.0.3.0']);
    expect(put(a, 'two', { namespace: 'vip' }).ips).toEqual(['10.0.4.0']);
    expect(put(a, 'three', { annotations: { [POOL]: 'manual' } }).ips).toEqual(['10.0.2.0']);
    for (const n of ['f1', 'f2', 'f3']) put(a, n);
    expect(put(a, 'next').ips).toEqual(['10.0.1.0']);
  });

  test('pinned pools (serviceAllocation) come first and serve only what they select', () => {
    const a = allocator([
      pool('general', ['10.0.0.0/30'], { serviceAllocation: { priority: 1 } }),
      pool('team', ['10.0.1.0/30'], { serviceAllocation: { priority: 9, namespaceSelectors: [{ matchLabels: { team: 'a' } }] } }),
      pool('public', ['10.0.2.0/30'], { serviceAllocation: { serviceSelectors: [{ matchLabels: { expose: 'public' } }] } }),
    ]);
    a.setNamespace('ta', { team: 'a' });
    a.setNamespace('tb', { team: 'b' });
    expect(put(a, 'x', { namespace: 'ta' }).ips).toEqual(['10.0.1.0']);
    expect(put(a, 'x', { namespace: 'tb' }).ips).toEqual(['10.0.0.0']);
    expect(put(a, 'y', { namespace: 'tb', labels: { expose: 'public' } }).ips).toEqual(['10.0.2.0']);
  });

  test('a waiting Service gets a pinned pool when its namespace gains the label', () => {
    const a = allocator([pool('team', ['10.0.1.0/30'], { serviceAllocation: { namespaceSelectors: [{ matchLabels: { team: 'a' } }] } })]);
    a.setNamespace('ns', {});
    expect(put(a, 'x', { namespace: 'ns' }).allocated?.reason).toBe(AllocationReasons.NoMatchingPool);
    a.takeChanged();
    a.setNamespace('ns', { team: 'a' });
    expect(a.takeChanged()).toEqual(['ns/x']);
    expect(ips(a, 'x', 'ns')).toEqual(['10.0.1.0']);
  });

  test('avoidBuggyIPs skips .0 and .255', () => {
    const a = allocator([pool('p', ['198.51.100.254-198.51.101.1'], { avoidBuggyIPs: true })]);
    expect(put(a, 'a').ips).toEqual(['198.51.100.254']);
    expect(put(a, 'b').ips).toEqual(['198.51.101.1']);
    expect(put(a, 'c').allocated?.reason).toBe(AllocationReasons.PoolExhausted);
  });

  test('ranges are used in the order the pool lists them', () => {
    const a = allocator([pool('p', ['198.51.100.200/31', '198.51.100.0/31'])]);
    expect([put(a, 'a').ips, put(a, 'b').ips, put(a, 'c').ips]).toEqual([['198.51.100.200'], ['198.51.100.201'], ['198.51.100.0']]);
  });
});

describe('requests', () => {
  const pools = () => [pool('p', ['198.51.100.0/28']), pool('q', ['203.0.113.0/28']), pool('buggy', ['192.0.2.0/24'], { avoidBuggyIPs: true })];

  test('metallb.io/loadBalancerIPs and spec.loadBalancerIP get exactly that address', () => {
    const a = allocator(pools());
    expect(put(a, 'a', { annotations: { [IPS]: '198.51.100.9' } })).toMatchObject({ ips: ['198.51.100.9'], pool: 'p' });
    expect(put(a, 'b', { loadBalancerIP: '203.0.113.3' })).toMatchObject({ ips: ['203.0.113.3'], pool: 'q' });
    expect(put(a, 'c', { annotations: { [IPS]: '203.0.113.4', [POOL]: 'q' } }).ips).toEqual(['203.0.113.4']);
  });

  test.each([
    [{ [IPS]: '10.9.9.9' }, AllocationReasons.IPNotInPool, '10.9.9.9 is in no IPAddressPool'],
    [{ [IPS]: '198.51.100.9', [POOL]: 'q' }, AllocationReasons.IPNotInPool, '198.51.100.9 is not in pool q'],
    [{ [IPS]: '198.51.100.9', [POOL]: 'gone' }, AllocationReasons.PoolNotFound, 'gone'],
    [{ [POOL]: 'gone' }, AllocationReasons.PoolNotFound, 'names pool gone, which does not exist'],
    [{ [IPS]: '192.0.2.255' }, AllocationReasons.IPNotAllowed, 'avoidBuggyIPs'],
    [{ [IPS]: 'x' }, AllocationReasons.InvalidAnnotation, 'not an IP address'],
  ])('%j fails with %s', (annotations, reason, words) => {
    const o = put(allocator(pools()), 'a', { annotations });
    expect(o.ips).toEqual([]);
    expect(o.allocated).toMatchObject({ status: 'False', reason });
    expect(o.allocated?.message).toContain(words);
  });

  test('dual-stack addresses must come from one pool', () => {
    const a = allocator([pool('v4', ['198.51.100.0/28']), pool('v6', ['2001:db8:100::/124'])]);
    const o = put(a, 'a', { families: ['IPv4', 'IPv6'], policy: 'RequireDualStack', annotations: { [IPS]: '198.51.100.1,2001:db8:100::1' } });
    expect(o.allocated).toMatchObject({ reason: AllocationReasons.IPNotInPool });
    expect(o.allocated?.message).toContain('come from one pool');
  });

  test('a requested address in use is refused with the holder named, unless the sharing rules allow it', () => {
    const a = allocator(pools());
    put(a, 'holder', { annotations: { [SHARE]: 'k', [POOL]: 'p' }, ports: [80] });
    const refused = put(a, 'other', { annotations: { [IPS]: '198.51.100.0' }, ports: [81] });
    expect(refused.allocated).toMatchObject({ status: 'False', reason: AllocationReasons.IPInUse });
    expect(refused.allocated?.message).toContain('default/holder holds it');
    expect(put(a, 'friend', { annotations: { [IPS]: '198.51.100.0', [SHARE]: 'k' }, ports: [81] }).ips).toEqual(['198.51.100.0']);
  });

  test('a bad annotation on a Service that holds an address keeps the address and says why', () => {
    const a = allocator(pools());
    put(a, 'a', { annotations: { [POOL]: 'p' } });
    const o = put(a, 'a', { annotations: { [IPS]: 'nonsense' } });
    expect(o.ips).toEqual(['198.51.100.0']);
    expect(o.allocated?.message).toContain('the Service keeps 198.51.100.0 meanwhile');
  });
});

describe('dual-stack', () => {
  test('RequireDualStack needs a pool with both families; primary family first', () => {
    const a = allocator([pool('v4only', ['198.51.100.0/28']), pool('z-dual', ['203.0.113.0/28', '2001:db8:100::/124'])]);
    expect(put(a, 'a', { families: ['IPv6', 'IPv4'], policy: 'RequireDualStack' })).toMatchObject({ ips: ['2001:db8:100::', '203.0.113.0'], pool: 'z-dual' });
    expect(put(a, 'b', { families: ['IPv6'] })).toMatchObject({ ips: ['2001:db8:100::1'] });
  });

  test('RequireDualStack with no pool offering both families says so', () => {
    const o = put(allocator([pool('v4', ['198.51.100.0/28']), pool('v6', ['2001:db8:100::/124'])]), 'a', { families: ['IPv4', 'IPv6'], policy: 'RequireDualStack' });
    expect(o.allocated).toMatchObject({ reason: AllocationReasons.NoMatchingPool });
    expect(o.allocated?.message).toContain('both IPv4, IPv6');
  });

  test('PreferDualStack takes one family when that is all there is, and adds the other later from the same pool', () => {
    const a = allocator([pool('p', ['198.51.100.0/28'])]);
    const first = put(a, 'a', { families: ['IPv4', 'IPv6'], policy: 'PreferDualStack' });
    expect(first.ips).toEqual(['198.51.100.0']);
    expect(first.allocated?.message).toContain('no IPv6 address');
    a.setPools([pool('p', ['198.51.100.0/28', '2001:db8:100::/124'])]);
    expect(ips(a, 'a')).toEqual(['198.51.100.0', '2001:db8:100::']);
  });

  test('SingleStack to RequireDualStack adds a family without moving the first', () => {
    const a = allocator([pool('p', ['198.51.100.0/28', '2001:db8:100::/124'])]);
    put(a, 'a', { families: ['IPv4', 'IPv6'] });
    expect(put(a, 'a', { families: ['IPv4', 'IPv6'], policy: 'RequireDualStack' }).ips).toEqual(['198.51.100.0', '2001:db8:100::']);
    // And back: the family it no longer asks for is given up.
    expect(put(a, 'a', { families: ['IPv4', 'IPv6'] }).ips).toEqual(['198.51.100.0']);
    expect(a.takeNotices()).toEqual([expect.objectContaining({ reason: EventReasons.ClearAssignment, message: expect.stringContaining('2001:db8:100::') })]);
  });
});

describe('sharing', () => {
  test('a Service with a sharing key joins a compatible address rather than taking a new one', () => {
    const a = allocator([pool('p', ['198.51.100.0/28'])]);
    put(a, 'before');
    put(a, 'dns-tcp', { annotations: { [SHARE]: 'dns' }, ports: ['TCP/53'] });
    put(a, 'between');
    a.remove('default/before');
    expect(put(a, 'dns-udp', { annotations: { [SHARE]: 'dns' }, ports: ['UDP/53'] }).ips).toEqual(['198.51.100.1']);
    expect(put(a, 'dns-clash', { annotations: { [SHARE]: 'dns' }, ports: ['TCP/53'] }).ips).toEqual(['198.51.100.0']);
    expect(a.holdersOf('198.51.100.1')).toEqual(['default/dns-tcp', 'default/dns-udp']);
  });

  test('externalTrafficPolicy Local Services share only with the same selector', () => {
    const a = allocator([pool('p', ['198.51.100.0/28'])]);
    put(a, 'a', { annotations: { [SHARE]: 'k' }, local: true, selector: { app: 'x' }, ports: [80] });
    expect(put(a, 'b', { annotations: { [SHARE]: 'k' }, local: true, selector: { app: 'y' }, ports: [81] }).ips).toEqual(['198.51.100.1']);
    expect(put(a, 'c', { annotations: { [SHARE]: 'k' }, local: true, selector: { app: 'x' }, ports: [82] }).ips).toEqual(['198.51.100.0']);
  });

  test('the sole holder may change its key; a sharer that breaks the rules moves, the others stay', () => {
    const a = allocator([pool('p', ['198.51.100.0/28'])]);
    put(a, 'solo', { annotations: { [SHARE]: 'k1' } });
    expect(put(a, 'solo', { annotations: { [SHARE]: 'k2' } }).ips).toEqual(['198.51.100.0']);
    put(a, 'x', { annotations: { [SHARE]: 'k' }, ports: [80] });
    put(a, 'y', { annotations: { [SHARE]: 'k' }, ports: [81] });
    expect(ips(a, 'y')).toEqual(['198.51.100.1']);
    a.takeNotices();
    // y now uses x's port: y moves (its own change), x keeps the address, even when x is
    // looked at first.
    a.upsert(svc('y', { annotations: { [SHARE]: 'k' }, ports: [80] }));
    a.upsert(svc('x', { annotations: { [SHARE]: 'k' }, ports: [80], labels: { touched: 'yes' } }));
    expect(ips(a, 'x')).toEqual(['198.51.100.1']);
    expect(ips(a, 'y')).toEqual(['198.51.100.2']);
    expect(a.takeNotices()).toEqual([expect.objectContaining({ key: 'default/y', reason: EventReasons.ClearAssignment })]);
  });
});

describe('stability', () => {
  test('on restart every address in status is reloaded before anything is allocated, whatever the order', () => {
    const held = [svc('zz-old', { status: ['198.51.100.0'], created: at(1) }), svc('yy-old', { status: ['198.51.100.1'], created: at(2) })];
    const fresh = svc('aa-new', { created: at(0) });
    const a = allocator([pool('p', ['198.51.100.0/28'])], [fresh, ...held]);
    expect(ips(a, 'aa-new')).toEqual(['198.51.100.2']);
    expect(ips(a, 'zz-old')).toEqual(['198.51.100.0']);
    expect(ips(a, 'yy-old')).toEqual(['198.51.100.1']);
  });

  test('two Services claiming one address on restart: the older keeps it, the younger is told and moves', () => {
    const a = allocator([pool('p', ['198.51.100.0/28'])], [svc('b', { status: ['198.51.100.5'], created: at(2) }), svc('a', { status: ['198.51.100.5'], created: at(1) })]);
    expect(ips(a, 'a')).toEqual(['198.51.100.5']);
    expect(ips(a, 'b')).toEqual(['198.51.100.0']);
    expect(a.takeNotices()).toEqual([expect.objectContaining({ key: 'default/b', type: 'Warning', reason: EventReasons.IPConflict })]);
    // While b's status still shows it, the address is nobody else's, even once a is gone.
    a.remove('default/a');
    expect(put(a, 'c', { annotations: { [IPS]: '198.51.100.5' }, created: at(3) }).allocated?.message).toContain('default/b is giving it up');
    a.upsert(svc('b', { status: ['198.51.100.0'], created: at(2) }));
    expect(ips(a, 'c')).toEqual(['198.51.100.5']);
  });

  test('reloaded addresses are checked against a changed request: a different loadBalancerIPs moves, the pool annotation decides the pool', () => {
    const a = allocator(
      [pool('p', ['198.51.100.0/28']), pool('q', ['203.0.113.0/28'])],
      [
        svc('asked-other', { status: ['198.51.100.3'], annotations: { [IPS]: '198.51.100.4' } }),
        svc('same-pool', { status: ['198.51.100.5'], annotations: { [POOL]: 'p', [Annotations.ipAllocatedFromPool]: 'p' } }),
        svc('moved-pool', { status: ['198.51.100.6'], annotations: { [POOL]: 'q', [Annotations.ipAllocatedFromPool]: 'p' } }),
      ],
    );
    expect(ips(a, 'asked-other')).toEqual(['198.51.100.4']);
    expect(ips(a, 'same-pool')).toEqual(['198.51.100.5']);
    expect(ips(a, 'moved-pool')).toEqual(['203.0.113.0']);
  });

  test('shrinking a pool keeps the address, reports it on the Service and the pool, and never hands it out again', () => {
    const a = allocator([pool('p', ['198.51.100.0/29'])]);
    put(a, 'a');
    put(a, 'b');
    a.setPools([pool('p', ['198.51.100.4/30'])]);
    const o = a.resolve('default/a');
    expect(o?.ips).toEqual(['198.51.100.0']);
    expect(o?.allocated?.status).toBe('True');
    expect(o?.inPool).toMatchObject({ status: 'False', reason: AddressReasons.OutsidePool });
    expect(a.poolReport('p')?.outside).toEqual([
      { ip: '198.51.100.0', services: ['default/a'] },
      { ip: '198.51.100.1', services: ['default/b'] },
    ]);
    expect(a.poolReport('p')?.ipv4).toEqual({ total: 4n, inUse: 0, available: 4n });
    expect(put(a, 'c').ips).toEqual(['198.51.100.4']);
    // Growing it back over a held address: in use, not handed out.
    a.setPools([pool('p', ['198.51.100.0/29'])]);
    expect(a.resolve('default/a')?.inPool?.status).toBe('True');
    expect(put(a, 'd').ips).toEqual(['198.51.100.2']);
    expect(a.poolReport('p')?.outside).toEqual([]);
  });

  test('deleting a pool keeps the addresses; recreating it takes them back in', () => {
    const a = allocator([pool('p', ['198.51.100.0/29']), pool('q', ['203.0.113.0/29'])]);
    put(a, 'a', { annotations: { [POOL]: 'p' } });
    a.setPools([pool('q', ['203.0.113.0/29'])]);
    const o = a.resolve('default/a');
    expect(o).toMatchObject({ ips: ['198.51.100.0'], pool: 'p', inPool: { status: 'False', reason: AddressReasons.PoolDeleted } });
    expect(o?.allocated?.status).toBe('True');
    a.setPools([pool('p', ['198.51.100.0/29']), pool('q', ['203.0.113.0/29'])]);
    expect(a.resolve('default/a')?.inPool?.status).toBe('True');
    expect(put(a, 'b', { annotations: { [POOL]: 'p' } }).ips).toEqual(['198.51.100.1']);
  });

  test('an address in no pool at all (e.g. after a migration) is kept and said to be in no pool', () => {
    const a = allocator([pool('p', ['198.51.100.0/29'])], [svc('a', { status: ['10.1.2.3'] })]);
    expect(a.resolve('default/a')).toMatchObject({ ips: ['10.1.2.3'], inPool: { status: 'False', reason: AddressReasons.NoPool } });
  });

  test('changing the request moves the Service only once the new address is there (make before break)', () => {
    const a = allocator([pool('p', ['198.51.100.0/29']), pool('full', ['203.0.113.0/32'])]);
    put(a, 'squatter', { annotations: { [POOL]: 'full' } });
    put(a, 'a');
    const waiting = put(a, 'a', { annotations: { [POOL]: 'full' } });
    expect(waiting.ips).toEqual(['198.51.100.0']);
    expect(waiting.allocated).toMatchObject({ status: 'False', reason: AllocationReasons.PoolExhausted });
    a.remove('default/squatter');
    expect(a.resolve('default/a')).toMatchObject({ ips: ['203.0.113.0'], allocated: { status: 'True', message: 'Assigned 203.0.113.0 from pool full (was 198.51.100.0)' } });
    expect(put(a, 'b').ips).toEqual(['198.51.100.0']);
  });

  test('an address given up stays reserved while the status still shows it', () => {
    const a = allocator([pool('p', ['198.51.100.0/30'])], [svc('a', { status: ['198.51.100.0'] })]);
    // a asks for another address: it moves, but its status still shows the old one.
    expect(put(a, 'a', { status: ['198.51.100.0'], annotations: { [IPS]: '198.51.100.3' } }).ips).toEqual(['198.51.100.3']);
    expect(put(a, 'b').ips).toEqual(['198.51.100.1']);
    expect(put(a, 'c', { annotations: { [IPS]: '198.51.100.0' } }).allocated?.message).toContain('default/a is giving it up, but its status still lists it');
    // The new status arrives: the old address is free, and c, which waited for it, gets it.
    a.upsert(svc('a', { status: ['198.51.100.3'], annotations: { [IPS]: '198.51.100.3' } }));
    expect(a.takeChanged()).toContain('default/c');
    expect(ips(a, 'c')).toEqual(['198.51.100.0']);
  });

  test('a Service whose status lost an address (type changed and back) does not get it back while another still shows it', () => {
    const share = (ports: number[], status: string[], key?: string) => ({ created: at(1), ports, status, ...(key ? { annotations: { [SHARE]: key } } : {}) });
    const a = allocator([pool('p', ['198.51.100.0/29'])], [svc('s5', share([443], ['198.51.100.0'], 'k')), svc('s1', { ...share([80], ['198.51.100.0'], 'k'), created: at(2) })]);
    a.resolveAll();
    expect(a.holdersOf('198.51.100.0')).toEqual(['default/s1', 'default/s5']);
    a.upsert(svc('s5', share([80], ['198.51.100.0'])));
    a.upsert(svc('s1', { ...share([80], []), created: at(2), type: 'ClusterIP' }));
    a.upsert(svc('s1', { ...share([80], []), created: at(2) }));
    // s5 changed its sharing: it leaves, and its status still shows the address until rewritten.
    expect(ips(a, 's5')).toEqual(['198.51.100.1']);
    // s1 shows nothing any more: the address is as good as new to it, and s5 is still seen with it.
    expect(ips(a, 's1')).toEqual(['198.51.100.2']);
  });

  test('a Service waiting for a shared address gets it once the holder in its way has left and its status says so', () => {
    const a = allocator([pool('p', ['198.51.100.0/29'])]);
    put(a, 's4', { created: at(1), annotations: { [SHARE]: 'k', [IPS]: '198.51.100.1' }, ports: ['TCP/80'], status: ['198.51.100.1'] });
    put(a, 's0', { created: at(2), annotations: { [SHARE]: 'k' }, ports: ['UDP/53'], status: ['198.51.100.1'] });
    const waiting = put(a, 's1', { created: at(3), annotations: { [SHARE]: 'k', [IPS]: '198.51.100.1' }, ports: ['TCP/80'] });
    expect(waiting.allocated?.reason).toBe(AllocationReasons.IPInUse);
    // s4 drops its key: it moves, but is still seen with the address until its status changes.
    expect(put(a, 's4', { created: at(1), ports: ['TCP/80'], status: ['198.51.100.1'] }).ips).toEqual(['198.51.100.0']);
    expect(a.resolve('default/s1')?.allocated?.message).toContain('default/s4 is giving it up');
    a.upsert(svc('s4', { created: at(1), ports: ['TCP/80'], status: ['198.51.100.0'] }));
    expect(a.takeChanged()).toContain('default/s1');
    expect(ips(a, 's1')).toEqual(['198.51.100.1']);
    expect(a.holdersOf('198.51.100.1')).toEqual(['default/s0', 'default/s1']);
  });

  test('on restart, an address of a family the Service no longer wants is reserved until its status drops it', () => {
    const a = allocator([pool('p', ['198.51.100.0/30', '2001:db8:100::/126'])], [svc('a', { families: ['IPv6'], status: ['198.51.100.0'] })]);
    expect(ips(a, 'a')).toEqual(['2001:db8:100::']);
    expect(put(a, 'b').ips).toEqual(['198.51.100.1']);
  });

  test('a Service that stops being a LoadBalancer frees its address', () => {
    const a = allocator([pool('p', ['198.51.100.0/30'])]);
    put(a, 'a');
    expect(put(a, 'a', { type: 'ClusterIP' })).toEqual({ managed: false, ips: [] });
    expect(put(a, 'b').ips).toEqual(['198.51.100.0']);
  });

  test('a Service recreated under the same name is a new Service', () => {
    const a = allocator([pool('p', ['198.51.100.0/30'])]);
    put(a, 'a', { uid: 'one' });
    put(a, 'b');
    a.upsert(svc('a', { uid: 'two', created: at(5), status: ['198.51.100.0'] }));
    expect(ips(a, 'a')).toEqual(['198.51.100.0']);
  });
});

describe('order and capacity', () => {
  test('waiting Services are decided oldest first, whichever is asked about first', () => {
    const views = [svc('c', { created: at(3) }), svc('a', { created: at(1) }), svc('b', { created: at(2) })];
    for (const order of [
      ['c', 'a', 'b'],
      ['b', 'c', 'a'],
    ]) {
      const a = allocator([pool('p', ['198.51.100.0/29'])]);
      for (const v of views) a.upsert(v);
      for (const n of order) a.resolve(`default/${n}`);
      expect(['a', 'b', 'c'].map((n) => ips(a, n)[0])).toEqual(['198.51.100.0', '198.51.100.1', '198.51.100.2']);
    }
  });

  test('when an exhausted pool frees an address, the oldest waiting Service gets it', () => {
    const a = allocator([pool('p', ['198.51.100.0/31'])]);
    put(a, 'x', { created: at(0) });
    put(a, 'y', { created: at(0) });
    expect(put(a, 'late', { created: at(9) }).allocated?.reason).toBe(AllocationReasons.PoolExhausted);
    expect(put(a, 'early', { created: at(5) }).allocated?.message).toContain('p (IPv4 2/2 in use)');
    a.takeChanged();
    a.remove('default/x');
    expect(a.takeChanged().sort()).toEqual(['default/early', 'default/late']);
    expect(ips(a, 'late')).toEqual([]);
    expect(ips(a, 'early')).toEqual(['198.51.100.0']);
  });

  test('overlapping pools: the newer one is refused and reported, and no address is given twice', () => {
    const a = allocator([pool('old', ['198.51.100.0/30'], {}, at(1)), pool('new', ['198.51.100.2-198.51.100.9'], {}, at(2))]);
    expect(a.poolReport('new')?.problems[0]?.message).toContain('overlaps 198.51.100.0/30 of pool old');
    expect(put(a, 'named', { annotations: { [POOL]: 'new' } }).allocated?.reason).toBe(AllocationReasons.PoolUnusable);
    for (const n of ['a', 'b', 'c', 'd']) put(a, n);
    expect(put(a, 'e').allocated?.reason).toBe(AllocationReasons.PoolExhausted);
    // Once the old pool goes, the new one serves, around the addresses in use.
    a.setPools([pool('new', ['198.51.100.2-198.51.100.9'], {}, at(2))]);
    expect(ips(a, 'e')).toEqual(['198.51.100.4']);
    expect(a.poolReport('new')?.ipv4.inUse).toBe(3);
  });

  test('pool counts add up, and unchanged pools are not reprocessed', () => {
    const a = allocator([pool('p', ['198.51.100.0/28', '2001:db8:100::/120'])]);
    for (const n of ['a', 'b', 'c']) put(a, n);
    put(a, 'd', { families: ['IPv6'] });
    const r = a.poolReport('p');
    expect(r).toMatchObject({ services: 4, ipv4: { total: 16n, inUse: 3, available: 13n }, ipv6: { total: 256n, inUse: 1, available: 255n } });
    a.takeChanged();
    a.setPools([pool('p', ['198.51.100.0/28', '2001:db8:100::/120'])]);
    expect(a.takeChanged()).toEqual([]);
  });

  test('Services of another class are never given anything', () => {
    const a = allocator([pool('p', ['198.51.100.0/30'])]);
    expect(put(a, 'other', { loadBalancerClass: 'example.com/other' })).toEqual({ managed: false, ips: [] });
    expect(put(a, 'mine').ips).toEqual(['198.51.100.0']);
  });
});
