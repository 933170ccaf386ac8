import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { formatIpv6, ipv6ToBytes } from './ipv6.js';
import {
  decodeNeighborAdvertisement,
  decodeNeighborSolicitation,
  encodeNeighborAdvertisement,
  FLAG_OVERRIDE,
  FLAG_SOLICITED,
  icmpv6Checksum,
  neighborAdvertisementFor,
  solicitedNode,
  unsolicitedAdvertisement,
} from './ndp.js';

// Captured with tcpdump on a veth: the kernel's duplicate-address probe for its link-local address.
const dadProbe = Buffer.from(
  '3333ff718e76121b68718e7686dd6000000000203aff00000000000000000000000000000000ff0200000000000000000001ff718e768700e67200000000fe80000000000000101b68fffe718e760e019213d2068ea6',
  'hex',
);
const myMac = Buffer.from('02000000000a', 'hex');
const asker = Buffer.from('020000000002', 'hex');

/** A solicitation as a host sends it: from its address, for `target`, with its MAC option. */
function solicitation(srcIp: string, target: string): Buffer {
  const t = ipv6ToBytes(target)!;
  const sn = solicitedNode(t);
  const icmp = Buffer.alloc(32);
  icmp[0] = 135;
  t.copy(icmp, 8);
  icmp[24] = 1;
  icmp[25] = 1;
  asker.copy(icmp, 26);
  const src = ipv6ToBytes(srcIp)!;
  icmp.writeUInt16BE(icmpv6Checksum(src, sn.ip, icmp), 2);
  const f = Buffer.alloc(86);
  sn.mac.copy(f, 0);
  asker.copy(f, 6);
  f.writeUInt16BE(0x86dd, 12);
  f.writeUInt32BE(0x60000000, 14);
  f.writeUInt16BE(32, 18);
  f[20] = 58;
  f[21] = 255;
  src.copy(f, 22);
  sn.ip.copy(f, 38);
  icmp.copy(f, 54);
  return f;
}

describe('IPv6 addresses', () => {
  test('parse and format canonically', () => {
    expect(formatIpv6(ipv6ToBytes('2001:0db8:0000:0000:0000:0000:0100:0010')!)).toBe('2001:db8::100:10');
    expect(formatIpv6(ipv6ToBytes('::')!)).toBe('::');
    expect(formatIpv6(ipv6ToBytes('2001:db8:0:1:0:0:0:1')!)).toBe('2001:db8:0:1::1');
    expect(formatIpv6(ipv6ToBytes('::ffff:192.0.2.1')!)).toBe('::ffff:c000:201');
    for (const bad of ['1::2::3', '12345::', 'g::1', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9']) expect(ipv6ToBytes(bad)).toBeUndefined();
  });

  test('round trip', () => {
    fc.assert(fc.property(fc.ipV6(), (a) => expect(formatIpv6(ipv6ToBytes(formatIpv6(ipv6ToBytes(a)!))!)).toBe(formatIpv6(ipv6ToBytes(a)!))));
  });
});

describe('NDP', () => {
  test('decodes a captured duplicate-address probe', () => {
    const ns = decodeNeighborSolicitation(dadProbe);
    expect(ns).toMatchObject({ dad: true, srcIp: '::', dstIp: 'ff02::1:ff71:8e76', target: 'fe80::101b:68ff:fe71:8e76' });
    expect(ns?.sourceLinkAddress).toBeUndefined();
  });

  test('a solicitation for our address is answered solicited+override, unicast, with a valid checksum', () => {
    const ns = decodeNeighborSolicitation(solicitation('2001:db8:0:1::2', '2001:db8:100::10'))!;
    expect(ns).toMatchObject({ dad: false, srcIp: '2001:db8:0:1::2', target: '2001:db8:100::10' });
    const na = decodeNeighborAdvertisement(neighborAdvertisementFor(ns, myMac, 'fe80::a'))!;
    expect(na).toMatchObject({ dstIp: '2001:db8:0:1::2', target: '2001:db8:100::10', flags: FLAG_SOLICITED | FLAG_OVERRIDE });
    expect(na.dstMac).toEqual(asker);
    expect(na.targetLinkAddress).toEqual(myMac);
  });

  test('a duplicate-address probe for our address gets an override advertisement to all nodes', () => {
    const probe = Buffer.from(dadProbe);
    const na = decodeNeighborAdvertisement(neighborAdvertisementFor(decodeNeighborSolicitation(probe)!, myMac, 'fe80::a'))!;
    expect(na).toMatchObject({ dstIp: 'ff02::1', flags: FLAG_OVERRIDE });
    expect([...na.dstMac]).toEqual([0x33, 0x33, 0, 0, 0, 1]);
  });

  test('unsolicited advertisements carry the override flag and hop limit 255', () => {
    const f = unsolicitedAdvertisement('2001:db8:100::7', myMac, 'fe80::a');
    expect(f[21]).toBe(255);
    expect(decodeNeighborAdvertisement(f)).toMatchObject({ target: '2001:db8:100::7', flags: FLAG_OVERRIDE, dstIp: 'ff02::1' });
  });

  test('forged or broken solicitations are refused: bad checksum, hop limit, truncation, junk', () => {
    const good = solicitation('2001:db8:0:1::2', '2001:db8:100::10');
    const badSum = Buffer.from(good);
    badSum[60] = (badSum[60] ?? 0) ^ 0xff;
    expect(decodeNeighborSolicitation(badSum)).toBeUndefined();
    const routed = Buffer.from(good);
    routed[21] = 64;
    expect(decodeNeighborSolicitation(routed)).toBeUndefined();
    expect(decodeNeighborSolicitation(good.subarray(0, 70))).toBeUndefined();
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => void decodeNeighborSolicitation(Buffer.from(b))), { numRuns: 20_000 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: good.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, v) => {
        const m = Buffer.from(good);
        m[at] = v;
        decodeNeighborSolicitation(m);
        decodeNeighborAdvertisement(m);
      }),
      { numRuns: 10_000 },
    );
  });

  test('encoded advertisements always decode to what was encoded', () => {
    fc.assert(
      fc.property(fc.ipV6(), fc.ipV6(), fc.ipV6(), fc.integer({ min: 0, max: 7 }), (a, b, t, f) => {
        const na = { srcMac: myMac, dstMac: asker, srcIp: formatIpv6(ipv6ToBytes(a)!), dstIp: formatIpv6(ipv6ToBytes(b)!), target: formatIpv6(ipv6ToBytes(t)!), flags: (f << 29) >>> 0, targetLinkAddress: myMac };
        expect(decodeNeighborAdvertisement(encodeNeighborAdvertisement(na))).toEqual(na);
      }),
    );
  });
});
