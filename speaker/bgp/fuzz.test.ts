import { expect, test } from '@jest/globals';
import { decodeMessageUnguarded, encodeMessage } from './codec.js';
import { Framer } from './header.js';
import type { BgpMessage } from './messages.js';
import { AdjRibOut } from './adj-rib-out.js';
import { routesFromAdvertisements } from './routes.js';
import { Session } from './session.js';

/**
 * The decoder never throws: 1,000,000 mutated and random messages (seeded, so a failure
 * reproduces), each decoded under both 2- and 4-octet AS contexts, plus stream framing of the
 * same bytes in random chunks.
 */

const MESSAGES = 1_000_000;

/** xorshift32: fast, seeded, reproducible. */
function prng(seed: number) {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  return { next, int: (n: number) => next() % n, byte: () => next() & 0xff };
}

function seeds(): Uint8Array[] {
  const ctx = { fourOctetAs: true, ebgp: true };
  const out: Uint8Array[] = [];
  const s = new Session({ localAsn: 64512, peerAsn: 64513, routerId: '192.0.2.20', gracefulRestart: { restartTimeSec: 120 } });
  out.push(encodeMessage(s.open()));
  const msgs: BgpMessage[] = [
    { type: 'keepalive' },
    { type: 'notification', code: 3, subcode: 1, data: Uint8Array.of(1, 2, 3) },
    { type: 'route-refresh', afi: 2, safi: 1, subtype: 0 },
    { type: 'update', withdrawn: [], nlri: [], attributes: {} },
    { type: 'update', withdrawn: [], nlri: [], attributes: { mpUnreach: { afi: 2, safi: 1, withdrawn: [] } } },
    {
      type: 'update', withdrawn: [], nlri: [],
      attributes: { origin: 0, asPath: [{ type: 2, asns: [64512, 4200000000] }, { type: 1, asns: [1, 2] }], med: 5, localPref: 7, atomicAggregate: true, aggregator: { asn: 64512, address: '192.0.2.1' }, unknown: [{ flags: 0xc0, code: 99, value: Uint8Array.of(1) }] },
    },
  ];
  for (const m of msgs) out.push(encodeMessage(m, ctx));
  for (const ebgp of [true, false]) {
    const rib = new AdjRibOut({ localAsn: 64512, ebgp, fourOctetAs: true, ipv4: true, ipv6: true, nextHopV4: '192.0.2.20', nextHopV6: '2001:db8:0:1::14', nextHopV6LinkLocal: 'fe80::1' });
    const ads = Array.from({ length: 6 }, (_, i) => ({ prefix: i % 2 ? `198.51.100.${i}` : `2001:db8:100::${i}`, communities: ['64512:1', 'large:1:2:3'], localPref: 100 }));
    ads.push({ prefix: '198.51.100.0', aggregationLength: 20, communities: [], localPref: 1 } as (typeof ads)[number]);
    rib.setRoutes(routesFromAdvertisements(ads).routes);
    for (const m of [...rib.changes(), ...rib.withdrawAll()]) out.push(encodeMessage(m, rib.ctx));
  }
  return out;
}

function mutate(r: ReturnType<typeof prng>, seed: Uint8Array): Uint8Array {
  let b = seed.slice();
  const ops = 1 + r.int(4);
  for (let k = 0; k < ops; k++) {
    switch (r.int(7)) {
      case 0: // flip a bit
        b[r.int(b.length)]! ^= 1 << r.int(8);
        break;
      case 1: // set a byte to an edge value
        b[r.int(b.length)] = [0, 1, 0x7f, 0x80, 0xff, 0x10, 0x20][r.int(7)]!;
        break;
      case 2: { // truncate
        b = b.slice(0, r.int(b.length + 1));
        break;
      }
      case 3: { // insert random bytes
        const at = r.int(b.length + 1);
        const ins = Uint8Array.from({ length: 1 + r.int(8) }, r.byte);
        const n = new Uint8Array(b.length + ins.length);
        n.set(b.subarray(0, at));
        n.set(ins, at);
        n.set(b.subarray(at), at + ins.length);
        b = n;
        break;
      }
      case 4: // randomise a byte after the header (lengths, flags, counts)
        if (b.length > 19) b[19 + r.int(b.length - 19)] = r.byte();
        break;
      case 5: // swap the message type
        if (b.length > 18) b[18] = 1 + r.int(6);
        break;
      default: // duplicate a slice
        if (b.length > 20 && b.length < 4000) {
          const from = 19 + r.int(b.length - 19);
          const n = new Uint8Array(b.length + Math.min(40, b.length - from));
          n.set(b);
          n.set(b.subarray(from, from + 40), b.length);
          b = n;
        }
    }
  }
  // Usually keep the header consistent, so the mutation reaches the body decoders.
  if (r.int(4) !== 0 && b.length >= 19) {
    b.fill(0xff, 0, 16);
    b[16] = b.length >> 8;
    b[17] = b.length & 0xff;
  }
  return b;
}

function random(r: ReturnType<typeof prng>): Uint8Array {
  const len = r.int(4) === 0 ? r.int(19) : 19 + r.int(200);
  const b = Uint8Array.from({ length: len }, r.byte);
  if (len >= 19 && r.int(2)) {
    b.fill(0xff, 0, 16);
    b[16] = len >> 8;
    b[17] = len & 0xff;
    b[18] = 1 + r.int(5);
  }
  return b;
}

test(`the decoder never throws on ${MESSAGES.toLocaleString('en')} mutated and random messages`, () => {
  const r = prng(0x5eed_b6f);
  const corpus = seeds();
  const ctxs = [{ fourOctetAs: true, ebgp: true }, { fourOctetAs: false, ebgp: false }];
  const start = Date.now();
  let decoded = 0;
  let errors = 0;
  let framer = new Framer();
  for (let i = 0; i < MESSAGES; i++) {
    const msg = i % 5 === 0 ? random(r) : mutate(r, corpus[r.int(corpus.length)]!);
    for (const ctx of ctxs) {
      let d;
      try {
        d = decodeMessageUnguarded(msg, ctx);
      } catch (err) {
        throw new Error(`decoder threw on message ${i} (${Buffer.from(msg).toString('hex')})`, { cause: err });
      }
      if (d.ok) decoded++;
      else {
        errors++;
        // (a plain check: expect() a million times would dominate the run time)
        if (!(d.error.code >= 1 && d.error.code <= 7)) throw new Error(`error code ${d.error.code} on message ${i}`);
      }
    }
    if (i % 16 === 0) {
      const cut = r.int(msg.length + 1);
      const a = framer.push(msg.subarray(0, cut));
      const b = framer.push(msg.subarray(cut));
      if (!a.ok || !b.ok) framer = new Framer();
    }
  }
  const ms = Date.now() - start;
  process.stderr.write(`fuzz: ${MESSAGES} messages × 2 contexts in ${ms} ms (${decoded} decoded, ${errors} errors)\n`);
  // Both outcomes must be common, or the mutations are not reaching the decoders.
  expect(decoded).toBeGreaterThan(MESSAGES / 10);
  expect(errors).toBeGreaterThan(MESSAGES / 10);
}, 120_000);
