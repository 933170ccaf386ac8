import { describe, expect, test } from '@jest/globals';
import { parseRange, type IPRange } from '../runtime/ip.js';
import { ErrorCodes, isFleetlbError } from '../runtime/errors.js';
import { formatSuggestion, subnetFacts, suggestPool } from './pool-suggest.js';

const range = (text: string): IPRange => {
  const r = parseRange(text);
  if (!r.ok) throw new Error(r.error);
  return r.range;
};

describe('pool suggest', () => {
  test('the subnet facts are sipcalc\'s for the KinD bridge of the seed', () => {
    expect(subnetFacts('172.19.0.1/16')).toEqual({
      family: 'IPv4', host: '172.19.0.1', network: '172.19.0.0', prefixLength: 16, netmask: '255.255.0.0', broadcast: '172.19.255.255',
      size: 65536n, networkRange: ['172.19.0.0', '172.19.255.255'], usableRange: ['172.19.0.1', '172.19.255.254'],
    });
    expect(subnetFacts('192.0.2.7/31').usableRange).toEqual(['192.0.2.6', '192.0.2.7']);
    expect(subnetFacts('2001:db8:0:1::1/64')).toMatchObject({ network: '2001:db8:0:1::', netmask: undefined, broadcast: undefined, usableRange: ['2001:db8:0:1::1', '2001:db8:0:1:ffff:ffff:ffff:ffff'] });
  });

  test('with nothing to avoid, the block ends at the last usable address', () => {
    expect(suggestPool('172.19.0.1/16', 250, []).range).toBe('172.19.255.5-172.19.255.254');
  });

  test('the block steps below node, pod and service addresses at the top of the subnet', () => {
    const avoid = [
      { range: range('172.19.255.200'), why: 'node kind-worker' },
      { range: range('172.19.255.0/26'), why: 'pod CIDR of kind-worker2' },
      { range: range('10.96.0.0/12'), why: 'service CIDR' },
    ];
    const s = suggestPool('172.19.0.1/16', 100, avoid);
    // .201-.254 is only 54 long; below .200 the pod CIDR ends at .63, so the next 100 end at .255.199.
    expect(s.range).toBe('172.19.255.100-172.19.255.199');
    expect(s.avoided.map((a) => a.why)).toEqual(['node kind-worker', 'pod CIDR of kind-worker2']);
    const s2 = suggestPool('172.19.0.1/16', 200, avoid);
    expect(s2.range).toBe('172.19.254.56-172.19.254.255');
  });

  test('no block fits: said, not invented', () => {
    const s = suggestPool('192.0.2.1/29', 6, [{ range: range('192.0.2.4'), why: 'node n1' }]);
    expect(s.range).toBeUndefined();
    expect(formatSuggestion(s)).toContain('none: no free block of 6 addresses');
    expect(suggestPool('192.0.2.1/29', 2, [{ range: range('192.0.2.4'), why: 'node n1' }]).range).toBe('192.0.2.5-192.0.2.6');
  });

  test('the host address of --cidr is never suggested', () => {
    expect(suggestPool('192.0.2.6/29', 2, []).range).toBe('192.0.2.4-192.0.2.5');
  });

  test('IPv6 subnets get a block too', () => {
    expect(suggestPool('2001:db8:100::1/120', 16, []).range).toBe('2001:db8:100::f0-2001:db8:100::ff');
  });

  test('the report reads like sipcalc', () => {
    const text = formatSuggestion(suggestPool('172.19.0.1/16', 250, []));
    expect(text).toContain('Broadcast address       - 172.19.255.255');
    expect(text).toContain('Usable range            - 172.19.0.1 - 172.19.255.254');
    expect(text).toContain('Addresses               - 172.19.255.5-172.19.255.254  (250 addresses)');
  });

  test('bad arguments are refused as usage errors', () => {
    for (const [cidr, count] of [['172.19.0.1', 10], ['300.1.1.1/8', 10], ['172.19.0.1/16', 0]] as const) {
      let err: unknown;
      try {
        suggestPool(cidr, count, []);
      } catch (e) {
        err = e;
      }
      expect(isFleetlbError(err, ErrorCodes.CLI_USAGE)).toBe(true);
    }
  });
});
