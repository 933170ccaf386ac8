import { describe, expect, test } from '@jest/globals';
import { PoolReasons } from './errors.js';
import { pool } from './fixtures.js';
import { parseIP } from '../../runtime/ip.js';
import { selectorMatches } from '../../runtime/label-selector.js';
import { comparePools, isRestricted, poolProblems, poolServes, PoolState } from './pool.js';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front' };
  test.each([
    [{}, true],
    [{ matchLabels: { app: 'web' } }, true],
    [{ matchLabels: { app: 'db' } }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }, false],
    [{ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, true],
    [{ matchExpressions: [{ key: 'app', operator: 'Exists' }] }, true],
    [{ matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, false],
    [{ matchExpressions: [{ key: 'app', operator: 'In', values: [] }] }, false],
    [{ matchExpressions: [{ key: 'app', operator: 'Bogus' }] }, false],
    [{ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['back'] }] }, false],
  ])('%j → %s', (selector, expected) => {
    expect(selectorMatches(selector, labels)).toBe(expected);
  });
});

describe('pool configuration', () => {
  test('defaults follow the CRD: autoAssign true, avoidBuggyIPs false, priority 0 means lowest', () => {
    const p = pool('p', ['198.51.100.0/24'], { serviceAllocation: { priority: 0 } });
    expect(p).toMatchObject({ autoAssign: true, avoidBuggyIPs: false, priority: undefined, errors: [] });
    expect(isRestricted(p)).toBe(false);
  });

  test('order: lower priority number first, unset last, then by name', () => {
    const ps = [
      pool('zeta', ['10.0.0.0/30']),
      pool('beta', ['10.0.1.0/30'], { serviceAllocation: { priority: 20 } }),
      pool('alpha', ['10.0.2.0/30']),
      pool('gamma', ['10.0.3.0/30'], { serviceAllocation: { priority: 10 } }),
      pool('delta', ['10.0.4.0/30'], { serviceAllocation: { priority: 10 } }),
    ];
    expect([...ps].sort(comparePools).map((p) => p.name)).toEqual(['delta', 'gamma', 'beta', 'alpha', 'zeta']);
  });

  test('serviceAllocation: namespaces or namespace selectors, and service selectors, must all agree', () => {
    const byNs = pool('a', ['10.0.0.0/30'], { serviceAllocation: { namespaces: ['team-a'], namespaceSelectors: [{ matchLabels: { team: 'b' } }] } });
    expect(poolServes(byNs, { namespace: 'team-a', labels: {} }, {})).toBe(true);
    expect(poolServes(byNs, { namespace: 'other', labels: {} }, { team: 'b' })).toBe(true);
    expect(poolServes(byNs, { namespace: 'other', labels: {} }, { team: 'c' })).toBe(false);
    expect(poolServes(byNs, { namespace: 'other', labels: {} }, undefined)).toBe(false);
    const bySvc = pool('b', ['10.0.0.0/30'], { serviceAllocation: { namespaces: ['team-a'], serviceSelectors: [{ matchLabels: { expose: 'public' } }] } });
    expect(poolServes(bySvc, { namespace: 'team-a', labels: { expose: 'public' } }, {})).toBe(true);
    expect(poolServes(bySvc, { namespace: 'team-a', labels: {} }, {})).toBe(false);
    expect(poolServes(bySvc, { namespace: 'team-b', labels: { expose: 'public' } }, {})).toBe(false);
    const svcOnly = pool('c', ['10.0.0.0/30'], { serviceAllocation: { serviceSelectors: [{ matchLabels: { expose: 'public' } }] } });
    expect(poolServes(svcOnly, { namespace: 'any', labels: { expose: 'public' } }, {})).toBe(true);
    expect(poolServes(pool('d', ['10.0.0.0/30']), { namespace: 'x', labels: {} }, undefined)).toBe(true);
  });

  test('problems: entries that do not parse or overlap each other, and overlap with an older pool', () => {
    const older = pool('older', ['198.51.100.0/25'], {}, '2026-01-01T00:00:00Z');
    const newer = pool('newer', ['198.51.100.64-198.51.100.200'], {}, '2026-01-02T00:00:00Z');
    const broken = pool('broken', ['198.51.100.300/24', '203.0.113.0/24', '203.0.113.7']);
    const fine = pool('fine', ['2001:db8:100::/64', '198.51.100.128/26'], {}, '2026-01-03T00:00:00Z');
    const problems = poolProblems([newer, fine, broken, older]);
    expect(problems.get('older')).toBeUndefined();
    expect(problems.get('newer')).toEqual([{ reason: PoolReasons.OverlappingAddresses, message: '198.51.100.64-198.51.100.200 overlaps 198.51.100.0/25 of pool older, which is older' }]);
    expect(problems.get('broken')?.map((p) => p.reason)).toEqual([PoolReasons.InvalidAddresses, PoolReasons.InvalidAddresses]);
    expect(problems.get('broken')?.[1]?.message).toBe('203.0.113.0/24 and 203.0.113.7 overlap');
    // A refused pool does not take addresses away from later ones.
    expect(problems.get('fine')).toBeUndefined();
    expect(poolProblems([pool('empty', [])]).get('empty')?.[0]?.message).toBe('spec.addresses is empty');
  });

  test('same creation time: the name decides which pool is older', () => {
    const problems = poolProblems([pool('b', ['10.0.0.0/24']), pool('a', ['10.0.0.0/25'])]);
    expect(problems.has('a')).toBe(false);
    expect(problems.has('b')).toBe(true);
  });
});

describe('pool state', () => {
  test('takes the lowest free address, range by range in the order written', () => {
    const s = new PoolState(pool('p', ['198.51.100.10-198.51.100.11', '198.51.100.0/31', '2001:db8::/127']));
    const take = (f: 'IPv4' | 'IPv6') => {
      const a = s.take(f);
      return a && `${a.value & 255n}`;
    };
    expect([take('IPv4'), take('IPv4'), take('IPv4'), take('IPv4'), take('IPv4')]).toEqual(['10', '11', '0', '1', undefined]);
    expect(s.take('IPv6')?.family).toBe('IPv6');
    expect(s.counts('IPv4')).toEqual({ total: 4n, inUse: 4, available: 0n });
    expect(s.counts('IPv6')).toEqual({ total: 2n, inUse: 1, available: 1n });
  });

  test('avoidBuggyIPs skips .0 and .255, and counts only what it may hand out', () => {
    const s = new PoolState(pool('p', ['198.51.100.254-198.51.101.1'], { avoidBuggyIPs: true }));
    expect(s.counts('IPv4')).toEqual({ total: 2n, inUse: 0, available: 2n });
    expect([s.take('IPv4'), s.take('IPv4'), s.take('IPv4')].map((a) => a && a.value & 255n)).toEqual([254n, 1n, undefined]);
    expect(s.refuses(parseIP('198.51.101.0')!)).toBe(true);
    // Marked (a Service already held it before the flag was set): in use, never counted twice.
    s.mark(parseIP('198.51.100.255')!);
    expect(s.counts('IPv4')).toEqual({ total: 2n, inUse: 3, available: 0n });
  });

  test('mark and unmark ignore addresses outside the pool', () => {
    const s = new PoolState(pool('p', ['198.51.100.0/30']));
    s.mark(parseIP('203.0.113.1')!);
    s.mark(parseIP('198.51.100.0')!);
    expect(s.isUsed(parseIP('198.51.100.0')!)).toBe(true);
    expect(s.counts('IPv4').inUse).toBe(1);
    s.unmark(parseIP('198.51.100.0')!);
    expect(s.counts('IPv4').inUse).toBe(0);
  });
});
