import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { buggyCount, canonicalIP, contains, formatIP, isBuggyIPv4, overlaps, parseIP, parseRange, rangeSize, type IPRange } from './ip.js';

const range = (s: string): IPRange => {
  const r = parseRange(s);
  if (!r.ok) throw new Error(r.error);
  return r.range;
};

describe('addresses', () => {
  test.each([
    ['198.51.100.7', '198.51.100.7'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['2001:DB8:100::1', '2001:db8:100::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    [' 198.51.100.1 ', '198.51.100.1'],
  ])('%s reads as %s (RFC 5952 for IPv6)', (input, canonical) => {
    expect(canonicalIP(input)).toBe(canonical);
  });

  test.each(['', '198.51.100', '198.51.100.256', '198.51.100.07', '1.2.3.4.5', '2001:db8::1::2', '2001:db8:1:2:3:4:5:6:7', '12345::', 'g::1', 'fe80::1%eth0', '::ffff:300.0.0.1'])(
    '%s is not an address',
    (input) => {
      expect(parseIP(input)).toBeUndefined();
    },
  );

  test('IPv6 text agrees with the WHATWG URL serializer (RFC 5952), and reads back', () => {
    // Groups drawn mostly from 0 so that runs of zero groups, and ties between runs, are common.
    const group = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) });
    fc.assert(
      fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (groups) => {
        const value = groups.reduce((v, g) => (v << 16n) | BigInt(g), 0n);
        const text = formatIP({ family: 'IPv6', value });
        expect(text).toBe(new URL(`http://[${groups.map((g) => g.toString(16)).join(':')}]/`).hostname.slice(1, -1));
        expect(parseIP(text)).toEqual({ family: 'IPv6', value });
      }),
      { numRuns: 2000 },
    );
  });

  test('IPv4 text reads back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (n) => {
        expect(parseIP(formatIP({ family: 'IPv4', value: BigInt(n) }))).toEqual({ family: 'IPv4', value: BigInt(n) });
      }),
    );
  });

  test('families and values', () => {
    expect(parseIP('198.51.100.1')).toEqual({ family: 'IPv4', value: 0xc6336401n });
    expect(parseIP('2001:db8::1')?.family).toBe('IPv6');
    expect(formatIP({ family: 'IPv6', value: (1n << 128n) - 1n })).toBe('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
  });
});

describe('pool entries', () => {
  test('a CIDR covers its whole block, host bits are ignored as MetalLB does', () => {
    const r = range('198.51.100.17/28');
    expect(formatIP({ family: 'IPv4', value: r.first })).toBe('198.51.100.16');
    expect(formatIP({ family: 'IPv4', value: r.last })).toBe('198.51.100.31');
    expect(rangeSize(range('2001:db8:100::/64'))).toBe(1n << 64n);
    expect(rangeSize(range('198.51.100.5/32'))).toBe(1n);
  });

  test('a start-end range is inclusive, and a bare address is one address', () => {
    expect(rangeSize(range('198.51.100.10-198.51.100.20'))).toBe(11n);
    expect(rangeSize(range('2001:db8::1 - 2001:db8::ff'))).toBe(255n);
    expect(rangeSize(range('198.51.100.9'))).toBe(1n);
  });

  test.each([
    ['198.51.100.0/33', 'prefix length must be 0 to 32'],
    ['198.51.100.0/x', 'prefix length'],
    ['nope/24', 'nope is not an IP address'],
    ['198.51.100.20-198.51.100.10', 'the start IP is after the end IP'],
    ['198.51.100.1-2001:db8::1', 'mixes IPv4 and IPv6'],
    ['198.51.100.1-', 'both ends must be IP addresses'],
    ['hello', 'neither a CIDR'],
  ])('%s is refused: %s', (entry, words) => {
    const r = parseRange(entry);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(words);
  });

  test('containment and overlap are per family', () => {
    const a = range('198.51.100.0/24');
    expect(contains(a, parseIP('198.51.100.255')!)).toBe(true);
    expect(contains(a, parseIP('198.51.101.0')!)).toBe(false);
    expect(contains(range('::/0'), parseIP('198.51.100.1')!)).toBe(false);
    expect(overlaps(a, range('198.51.100.128-198.51.101.3'))).toBe(true);
    expect(overlaps(a, range('198.51.101.0/24'))).toBe(false);
    expect(overlaps(range('0.0.0.0/0'), range('::/0'))).toBe(false);
  });

  test('.0 and .255 are the buggy IPv4 addresses, counted without walking the range', () => {
    expect(isBuggyIPv4(parseIP('198.51.100.0')!.value)).toBe(true);
    expect(isBuggyIPv4(parseIP('198.51.100.255')!.value)).toBe(true);
    expect(isBuggyIPv4(parseIP('198.51.100.1')!.value)).toBe(false);
    expect(buggyCount(range('198.51.100.0/24'))).toBe(2n);
    expect(buggyCount(range('198.51.100.1-198.51.100.254'))).toBe(0n);
    expect(buggyCount(range('10.0.0.0/16'))).toBe(512n);
    expect(buggyCount(range('198.51.100.255-198.51.101.0'))).toBe(2n);
    expect(buggyCount(range('0.0.0.0/31'))).toBe(1n);
    expect(buggyCount(range('2001:db8::/120'))).toBe(0n);
    // Brute force agrees on an odd range.
    const r = range('198.51.99.250-198.51.101.5');
    let n = 0n;
    for (let v = r.first; v <= r.last; v++) if (isBuggyIPv4(v)) n++;
    expect(buggyCount(r)).toBe(n);
  });
});
