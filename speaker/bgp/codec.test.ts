import { describe, expect, test } from '@jest/globals';
import { decodeMessage, encodeMessage } from './codec.js';
import { AS_TRANS, AttrFlag, ErrorCode, HeaderSubcode, OpenSubcode, RouteRefreshSubcode, UpdateSubcode } from './constants.js';
import type { BgpMessage, OpenMessage, UpdateMessage } from './messages.js';
import { formatPrefix, parsePrefix, type Prefix } from './prefix.js';
import { endOfRib, endOfRibFamily } from './update.js';

/** Round trips against byte vectors built by hand from the RFCs' message formats. */

const hex = (s: string): Uint8Array => Uint8Array.from((s.replace(/\s+/g, '').match(/../g) ?? []).map((h) => parseInt(h, 16)));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const MARKER = 'ff'.repeat(16);
const P = (s: string): Prefix => parsePrefix(s)!;
const ctx4 = { fourOctetAs: true, ebgp: true };
const ctx2 = { fourOctetAs: false, ebgp: true };

function decodeOk(b: Uint8Array, ctx = ctx4): BgpMessage {
  const d = decodeMessage(b, ctx);
  if (!d.ok) throw new Error(`decode failed: ${d.error.reason}`);
  return d.value;
}
function decodeErr(b: Uint8Array, ctx = ctx4) {
  const d = decodeMessage(b, ctx);
  if (d.ok) throw new Error(`decode unexpectedly succeeded: ${JSON.stringify(d.value)}`);
  return d.error;
}

describe('KEEPALIVE, NOTIFICATION, ROUTE-REFRESH', () => {
  test('KEEPALIVE is a bare 19-octet header', () => {
    const b = hex(`${MARKER} 0013 04`);
    expect(toHex(encodeMessage({ type: 'keepalive' }))).toBe(toHex(b));
    expect(decodeOk(b)).toEqual({ type: 'keepalive' });
  });
  test('NOTIFICATION Cease / Administrative Shutdown', () => {
    const b = hex(`${MARKER} 0015 03 06 02`);
    expect(toHex(encodeMessage({ type: 'notification', code: 6, subcode: 2, data: new Uint8Array(0) }))).toBe(toHex(b));
    expect(decodeOk(b)).toEqual({ type: 'notification', code: 6, subcode: 2, data: new Uint8Array(0) });
  });
  test('ROUTE-REFRESH for IPv6 unicast, and a wrong length is a ROUTE-REFRESH error', () => {
    const b = hex(`${MARKER} 0017 05 0002 00 01`);
    expect(toHex(encodeMessage({ type: 'route-refresh', afi: 2, safi: 1, subtype: 0 }))).toBe(toHex(b));
    expect(decodeOk(b)).toEqual({ type: 'route-refresh', afi: 2, safi: 1, subtype: 0 });
    const e = decodeErr(hex(`${MARKER} 0018 05 0002 00 01 00`));
    expect([e.code, e.subcode]).toEqual([ErrorCode.ROUTE_REFRESH, RouteRefreshSubcode.INVALID_MESSAGE_LENGTH]);
  });
});

describe('header errors', () => {
  test('a bad marker is Connection Not Synchronized', () => {
    const e = decodeErr(hex(`${'ff'.repeat(15)}fe 0013 04`));
    expect([e.code, e.subcode]).toEqual([ErrorCode.MESSAGE_HEADER, HeaderSubcode.CONNECTION_NOT_SYNCHRONIZED]);
  });
  test('a length beyond 4096 or under the type minimum is Bad Message Length, with the length as data', () => {
    const e = decodeErr(hex(`${MARKER} 1001 04`));
    expect([e.code, e.subcode, toHex(e.data)]).toEqual([1, HeaderSubcode.BAD_MESSAGE_LENGTH, '1001']);
    expect(decodeErr(hex(`${MARKER} 0014 04 00`)).subcode).toBe(HeaderSubcode.BAD_MESSAGE_LENGTH);
    expect(decodeErr(hex(`${MARKER} 0014 03 06`)).subcode).toBe(HeaderSubcode.BAD_MESSAGE_LENGTH);
  });
  test('an unknown type is Bad Message Type, with the type as data', () => {
    const e = decodeErr(hex(`${MARKER} 0013 09`));
    expect([e.code, e.subcode, toHex(e.data)]).toEqual([1, HeaderSubcode.BAD_MESSAGE_TYPE, '09']);
  });
});

describe('OPEN', () => {
  // version 4, AS 64512, hold 90, id 192.0.2.20, one Capabilities parameter:
  // MP IPv4/unicast, MP IPv6/unicast, route refresh, 4-octet AS 64512.
  const openHex = `${MARKER} 0033 01 04 fc00 005a c0000214 16 02 14 01040001 0001 01040002 0001 0200 4104 0000fc00`;
  const open: OpenMessage = {
    type: 'open', version: 4, asn: 64512, holdTime: 90, bgpId: '192.0.2.20',
    capabilities: { multiprotocol: [{ afi: 1, safi: 1 }, { afi: 2, safi: 1 }], routeRefresh: true, fourOctetAsn: 64512, unknown: [] },
  };
  test('encodes and decodes the hand-built vector', () => {
    expect(toHex(encodeMessage(open))).toBe(toHex(hex(openHex)));
    expect(decodeOk(hex(openHex))).toEqual(open);
  });
  test('a 4-octet ASN travels as AS_TRANS in the 2-octet field and in full in the capability', () => {
    const b = encodeMessage({ ...open, asn: 4200000000, capabilities: { ...open.capabilities, fourOctetAsn: 4200000000 } });
    expect(toHex(b.subarray(20, 22))).toBe(AS_TRANS.toString(16).padStart(4, '0'));
    expect((decodeOk(b) as OpenMessage).asn).toBe(4200000000);
  });
  test('graceful restart capability round trip', () => {
    const gr = { restarting: true, restartTimeSec: 120, families: [{ afi: 1, safi: 1, forwardingPreserved: true }] };
    const b = encodeMessage({ ...open, capabilities: { ...open.capabilities, gracefulRestart: gr } });
    expect(toHex(b)).toContain('4006807800010180');
    expect((decodeOk(b) as OpenMessage).capabilities.gracefulRestart).toEqual(gr);
  });
  test('errors: version, hold time 1–2, zero identifier, unknown optional parameter, bad capability length', () => {
    const e1 = decodeErr(hex(`${MARKER} 001d 01 03 fc00 005a c0000214 00`));
    expect([e1.code, e1.subcode, toHex(e1.data)]).toEqual([ErrorCode.OPEN_MESSAGE, OpenSubcode.UNSUPPORTED_VERSION, '0004']);
    expect(decodeErr(hex(`${MARKER} 001d 01 04 fc00 0002 c0000214 00`)).subcode).toBe(OpenSubcode.UNACCEPTABLE_HOLD_TIME);
    expect(decodeErr(hex(`${MARKER} 001d 01 04 fc00 005a 00000000 00`)).subcode).toBe(OpenSubcode.BAD_BGP_IDENTIFIER);
    expect(decodeErr(hex(`${MARKER} 0020 01 04 fc00 005a c0000214 03 01 01 00`)).subcode).toBe(OpenSubcode.UNSUPPORTED_OPTIONAL_PARAMETER);
    expect(decodeErr(hex(`${MARKER} 0021 01 04 fc00 005a c0000214 04 02 02 4100`))).toMatchObject({ code: 2, subcode: 0 });
    expect(decodeErr(hex(`${MARKER} 001e 01 04 fc00 005a c0000214 05 02`))).toMatchObject({ code: 2, subcode: 0 });
  });
  test('hold time 0 is accepted; unknown capabilities are kept', () => {
    const m = decodeOk(hex(`${MARKER} 0021 01 04 fc00 0000 c0000214 04 02 02 4900`)) as OpenMessage;
    expect(m.holdTime).toBe(0);
    expect(m.capabilities.unknown).toEqual([{ code: 0x49, value: new Uint8Array(0) }]);
    expect(decodeOk(encodeMessage(m))).toEqual(m);
  });
});

describe('UPDATE', () => {
  // ORIGIN IGP, AS_PATH [64512] (4-octet), NEXT_HOP 192.0.2.20, COMMUNITIES 64512:7,
  // LARGE_COMMUNITIES 64512:1:2; NLRI 198.51.100.84/32 and 198.51.100.0/24.
  const updHex = `${MARKER} 004a 02 0000 002a 40010100 4002060201 0000fc00 400304c0000214 c00804fc000007 c0200c 0000fc00 00000001 00000002 20c6336454 18c63364`;
  const upd: UpdateMessage = {
    type: 'update', withdrawn: [],
    attributes: { origin: 0, asPath: [{ type: 2, asns: [64512] }], nextHop: '192.0.2.20', communities: [0xfc000007], largeCommunities: [[64512, 1, 2]] },
    nlri: [P('198.51.100.84/32'), P('198.51.100.0/24')],
  };
  test('IPv4 announcement round trip against the hand-built vector', () => {
    expect(toHex(encodeMessage(upd, ctx4))).toBe(toHex(hex(updHex)));
    expect(decodeOk(hex(updHex))).toEqual(upd);
  });
  test('2-octet session: AS_PATH carries AS_TRANS and AS4_PATH the real ASN', () => {
    const m = { ...upd, attributes: { ...upd.attributes, asPath: [{ type: 2, asns: [4200000000] }] } };
    const b = encodeMessage(m, ctx2);
    expect(toHex(b)).toContain('40020402015ba0');
    expect(toHex(b)).toContain('c011060201fa56ea00');
    const d = decodeOk(b, ctx2) as UpdateMessage;
    expect(d.attributes.asPath).toEqual([{ type: 2, asns: [AS_TRANS] }]);
    expect(d.attributes.as4Path).toEqual([{ type: 2, asns: [4200000000] }]);
  });
  test('IPv6 MP_REACH_NLRI with global and link-local next hop, LOCAL_PREF on iBGP', () => {
    const mpHex = `800e36 0002 01 20 20010db8000000010000000000000014 fe800000000000000000000000000001 00 80 20010db8010000000000000000000077`;
    const m: UpdateMessage = {
      type: 'update', withdrawn: [], nlri: [],
      attributes: { origin: 0, asPath: [], localPref: 200, mpReach: { afi: 2, safi: 1, nextHops: ['2001:db8:0:1::14', 'fe80::1'], nlri: [P('2001:db8:100::77/128')] } },
    };
    const b = encodeMessage(m, { fourOctetAs: true, ebgp: false });
    expect(toHex(b)).toBe(toHex(hex(`${MARKER} 005e 02 0000 0047 40010100 400200 400504000000c8 ${mpHex}`)));
    expect(decodeOk(b, { fourOctetAs: true, ebgp: false })).toEqual(m);
  });
  test('MP_UNREACH_NLRI withdrawal, and both End-of-RIB markers', () => {
    const w: UpdateMessage = { type: 'update', withdrawn: [P('198.51.100.84/32')], nlri: [], attributes: { mpUnreach: { afi: 2, safi: 1, withdrawn: [P('2001:db8:100::/64')] } } };
    expect(toHex(encodeMessage(w))).toBe(toHex(hex(`${MARKER} 002b 02 0005 20c6336454 000f 800f0c 0002 01 40 20010db801000000`)));
    expect(decodeOk(encodeMessage(w))).toEqual(w);
    expect(toHex(encodeMessage(endOfRib(1, 1)))).toBe(toHex(hex(`${MARKER} 0017 02 0000 0000`)));
    expect(toHex(encodeMessage(endOfRib(2, 1)))).toBe(toHex(hex(`${MARKER} 001d 02 0000 0006 800f03 0002 01`)));
    expect(endOfRibFamily(decodeOk(hex(`${MARKER} 001d 02 0000 0006 800f03 0002 01`)) as UpdateMessage)).toEqual({ afi: 2, safi: 1 });
    expect(endOfRibFamily(decodeOk(hex(`${MARKER} 0017 02 0000 0000`)) as UpdateMessage)).toEqual({ afi: 1, safi: 1 });
    expect(endOfRibFamily(w)).toBeUndefined();
  });
  test('values over 255 octets use the extended-length flag, and it is honoured on decode', () => {
    const communities = Array.from({ length: 100 }, (_, i) => 0xfc000000 + i);
    const m: UpdateMessage = { ...upd, attributes: { ...upd.attributes, communities } };
    const b = encodeMessage(m, ctx4);
    expect(toHex(b)).toContain(`${(0xc0 | AttrFlag.EXTENDED_LENGTH).toString(16)}080190`);
    expect((decodeOk(b) as UpdateMessage).attributes.communities).toEqual(communities);
    // A short value may be sent with the flag too.
    const d = decodeOk(hex(`${MARKER} 002b 02 0000 000f 5001000100 400200 400304c0000214 20c6336454`)) as UpdateMessage;
    expect(d.attributes.origin).toBe(0);
  });

  describe('errors (RFC 4271 §6.3, RFC 7606)', () => {
    const body = (attrs: string, nlri = '20c6336454') => {
      const a = hex(attrs);
      const n = hex(nlri);
      const len = 19 + 4 + a.length + n.length;
      return hex(`${MARKER} ${len.toString(16).padStart(4, '0')} 02 0000 ${a.length.toString(16).padStart(4, '0')} ${attrs} ${nlri}`);
    };
    const good = '40010100 400200 400304c0000214';
    test('withdrawn or attribute length overrunning the message: Malformed Attribute List', () => {
      expect(decodeErr(hex(`${MARKER} 0017 02 0005 0000`))).toMatchObject({ code: 3, subcode: UpdateSubcode.MALFORMED_ATTRIBUTE_LIST });
      expect(decodeErr(hex(`${MARKER} 0017 02 0000 0001`))).toMatchObject({ code: 3, subcode: UpdateSubcode.MALFORMED_ATTRIBUTE_LIST });
    });
    test('a prefix longer than 32 bits: Invalid Network Field', () => {
      expect(decodeErr(body(good, '21c633645400'))).toMatchObject({ code: 3, subcode: UpdateSubcode.INVALID_NETWORK_FIELD });
    });
    test('an unrecognized well-known attribute resets, with the attribute as data', () => {
      const e = decodeErr(body(`${good} 40630100`));
      expect([e.code, e.subcode, toHex(e.data)]).toEqual([3, UpdateSubcode.UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE, '40630100']);
    });
    test('MP_REACH_NLRI twice or malformed resets; other repeats are discarded', () => {
      const mp = '800e1e 0002 01 10 20010db8000000010000000000000014 00 40 20010db801000000';
      expect(decodeMessage(body(`${good} ${mp}`, ''), ctx4).ok).toBe(true);
      expect(decodeErr(body(`${good} ${mp} ${mp}`, ''))).toMatchObject({ code: 3, subcode: UpdateSubcode.MALFORMED_ATTRIBUTE_LIST });
      expect(decodeErr(body(`${good} 800e05 0002 01 0f 00`, ''))).toMatchObject({ code: 3, subcode: UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR });
      const d = decodeOk(body(`${good} 40010102`)) as UpdateMessage;
      expect(d.attributes.origin).toBe(0);
      expect(d.discarded).toEqual(['repeated ORIGIN']);
    });
    test('treat-as-withdraw: bad ORIGIN, bad flags, bad COMMUNITIES length, missing NEXT_HOP, attribute overrun', () => {
      const taw = (attrs: string) => (decodeOk(body(attrs)) as UpdateMessage).treatAsWithdraw;
      expect(taw('40010107 400200 400304c0000214')).toEqual(['ORIGIN: malformed']);
      expect(taw('80010100 400200 400304c0000214')).toEqual(['ORIGIN has flags 0x80']);
      expect(taw(`${good} c0080300 0000`)?.[0]).toMatch(/COMMUNITIES/);
      expect(taw('40010100 400200')).toEqual([`missing well-known attribute 3`]);
      expect(taw(`${good} c0080800`)?.[0]).toMatch(/overruns/);
      expect(taw(`${good} c02004 00000001`)?.[0]).toMatch(/LARGE_COMMUNITIES/);
    });
    test('LOCAL_PREF from an eBGP peer is discarded, kept from iBGP', () => {
      const b = body(`${good} 40050400000064`);
      expect((decodeOk(b, ctx4) as UpdateMessage).discarded).toEqual(['LOCAL_PREF from an eBGP peer']);
      expect((decodeOk(b, { fourOctetAs: true, ebgp: false }) as UpdateMessage).attributes.localPref).toBe(100);
    });
  });
});

test('prefix text: RFC 5952 canonical IPv6, host bits, masking', () => {
  expect(formatPrefix(P('2001:0db8:0:0:1:0:0:1/128'))).toBe('2001:db8::1:0:0:1/128');
  expect(formatPrefix(P('::/0'))).toBe('::/0');
  expect(formatPrefix(P('::ffff:198.51.100.1'))).toBe('::ffff:c633:6401/128');
  expect(parsePrefix('198.51.100.1/24')).toBeUndefined();
  expect(formatPrefix(parsePrefix('198.51.100.1/24', { mask: true })!)).toBe('198.51.100.0/24');
  expect(parsePrefix('1:2:3:4:5:6:7:8:9')).toBeUndefined();
  expect(parsePrefix('1::2::3')).toBeUndefined();
  expect(parsePrefix('198.51.100.256')).toBeUndefined();
});
