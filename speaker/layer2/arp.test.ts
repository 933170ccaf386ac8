import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { ARP_REPLY, ARP_REQUEST, arpReply, asksFor, decodeArp, encodeArp, formatMac, gratuitousArp } from './arp.js';

// Captured with tcpdump on a veth: `arping -I eth0 198.51.100.16` from 192.0.2.2 (02:00:00:00:00:02).
// 58 bytes, as arping sends them (veth does not pad).
const captured = Buffer.from('ffffffffffff02000000000208060001080006040001020000000002c0000202000000000000c633641000000000000000000000000000000000', 'hex');
const myMac = Buffer.from('02000000000a', 'hex');

describe('ARP', () => {
  test('decodes a captured request', () => {
    const p = decodeArp(captured);
    expect(p).toMatchObject({ op: ARP_REQUEST, senderIp: '192.0.2.2', targetIp: '198.51.100.16' });
    expect(formatMac(p!.senderMac)).toBe('02:00:00:00:00:02');
    expect(asksFor(p!, new Set(['198.51.100.16']))).toBe(true);
    expect(asksFor(p!, new Set(['198.51.100.17']))).toBe(false);
  });

  test('the reply answers the asker with our MAC, padded to 60 bytes', () => {
    const reply = arpReply(decodeArp(captured)!, myMac);
    expect(reply).toHaveLength(60);
    const r = decodeArp(reply)!;
    expect(r).toMatchObject({ op: ARP_REPLY, senderIp: '198.51.100.16', targetIp: '192.0.2.2' });
    expect(formatMac(r.dstMac)).toBe('02:00:00:00:00:02');
    expect(formatMac(r.senderMac)).toBe('02:00:00:00:00:0a');
  });

  test('a gratuitous ARP is a broadcast request with sender = target', () => {
    const g = decodeArp(gratuitousArp('198.51.100.7', myMac))!;
    expect(g).toMatchObject({ op: ARP_REQUEST, senderIp: '198.51.100.7', targetIp: '198.51.100.7' });
    expect(formatMac(g.dstMac)).toBe('ff:ff:ff:ff:ff:ff');
    // Our own gratuitous ARP is not a question we should answer.
    expect(asksFor(g, new Set(['198.51.100.7']))).toBe(false);
  });

  test('round trip for any addresses', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.ipV4(), fc.uint8Array({ minLength: 6, maxLength: 6 }), (a, b, mac) => {
        const p = { dstMac: Buffer.from(mac), srcMac: myMac, op: ARP_REPLY, senderMac: myMac, senderIp: a, targetMac: Buffer.from(mac), targetIp: b };
        expect(decodeArp(encodeArp(p))).toEqual(p);
      }),
    );
  });

  test('malformed frames decode to undefined and never throw', () => {
    expect(decodeArp(Buffer.alloc(0))).toBeUndefined();
    expect(decodeArp(captured.subarray(0, 41))).toBeUndefined();
    const wrongLen = Buffer.from(captured);
    wrongLen[18] = 8;
    expect(decodeArp(wrongLen)).toBeUndefined();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 128 }), (bytes) => {
        const p = decodeArp(Buffer.from(bytes));
        expect(p === undefined || typeof p.targetIp === 'string').toBe(true);
      }),
      { numRuns: 20_000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: captured.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, v) => {
        const m = Buffer.from(captured);
        m[at] = v;
        decodeArp(m);
      }),
      { numRuns: 5_000 },
    );
  });
});
