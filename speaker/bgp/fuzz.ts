import type { CodecContext } from './attributes.js';
import { decodeMessage, decodeMessageUnguarded, encodeMessage } from './codec.js';
import { FakeClock, FakeTransport } from './fake-io.js';
import { Framer } from './header.js';
import type { BgpError, BgpMessage } from './messages.js';
import { AdjRibOut } from './adj-rib-out.js';
import { BgpPeer } from './peer.js';
import { routesFromAdvertisements } from './routes.js';
import { Session } from './session.js';

/**
 * Fuzzing the wire format (seeded, so a failure reproduces): mutated valid messages and random
 * bytes. Each message is decoded bare under 2- and 4-octet AS contexts (a throw is a failure),
 * and delivered as bytes to an Established BgpPeer over an in-memory transport: the peer must
 * answer every malformed message with the NOTIFICATION the decoder chose, then close. Used by the
 * unit test (a few thousand messages) and `npm run bench -- bgp-fuzz` (a million and more).
 */

/** xorshift32: fast, seeded, reproducible. */
export function prng(seed: number) {
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

export function seeds(): Uint8Array[] {
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

export function mutate(r: ReturnType<typeof prng>, seed: Uint8Array): Uint8Array {
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

export function random(r: ReturnType<typeof prng>): Uint8Array {
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

export interface FuzzResult {
  messages: number;
  /** Bare decodes (two per message) that gave a message / a BgpError. */
  decoded: number;
  errors: number;
  /** Malformed messages the live session answered with the matching NOTIFICATION. */
  notified: number;
  ms: number;
}

const ROUTER_OPEN: BgpMessage = { type: 'open', version: 4, asn: 64513, holdTime: 9, bgpId: '192.0.2.1', capabilities: { multiprotocol: [{ afi: 1, safi: 1 }, { afi: 2, safi: 1 }], routeRefresh: true, fourOctetAsn: 64513, unknown: [] } };

function establishedPeer() {
  const clock = new FakeClock();
  const transport = new FakeTransport();
  const peer = new BgpPeer({ localAsn: 64512, peerAsn: 64513, routerId: '192.0.2.20', peerAddress: '192.0.2.1' }, { transport, clock, interfaces: () => ({ interfaceV6: '2001:db8:0:1::14', linkLocal: 'fe80::14' }), now: () => clock.now });
  peer.setRoutes(routesFromAdvertisements([{ prefix: '198.51.100.1' }, { prefix: '2001:db8:100::1' }]).routes);
  peer.start();
  const conn = transport.last!;
  conn.handlers.onConnect({ localAddress: '192.0.2.20', remoteAddress: '192.0.2.1' });
  conn.handlers.onData(encodeMessage(ROUTER_OPEN));
  conn.handlers.onData(encodeMessage({ type: 'keepalive' }));
  if (peer.state !== 'Established') throw new Error(`fuzz harness: session is ${peer.state}, not Established`);
  return { peer, conn };
}

/**
 * The error a session must report for these bytes, arriving alone on a fresh stream; `complete`
 * is false when bytes are left waiting for more (the next message must start on a fresh stream).
 */
function expectedError(msg: Uint8Array, ctx: CodecContext): { error?: BgpError; complete: boolean } {
  const framed = new Framer().push(msg);
  if (!framed.ok) return { error: framed.error, complete: true };
  if (framed.value.reduce((n, m) => n + m.length, 0) !== msg.length) return { complete: false };
  for (const raw of framed.value) {
    const d = decodeMessage(raw, ctx);
    if (!d.ok) return { error: d.error, complete: true };
  }
  return { complete: true };
}

/** Run `count` messages; throws on the first decoder throw or wrong/missing NOTIFICATION. */
export function fuzz(count: number, seed = 0x5eed_b6f): FuzzResult {
  const r = prng(seed);
  const corpus = seeds();
  const ctxs = [{ fourOctetAs: true, ebgp: true }, { fourOctetAs: false, ebgp: false }];
  const start = Date.now();
  let decoded = 0;
  let errors = 0;
  let notified = 0;
  let live = establishedPeer();
  for (let i = 0; i < count; i++) {
    const msg = i % 5 === 0 ? random(r) : mutate(r, corpus[r.int(corpus.length)]!);
    const hex = () => Buffer.from(msg).toString('hex');
    for (const ctx of ctxs) {
      let d;
      try {
        d = decodeMessageUnguarded(msg, ctx);
      } catch (err) {
        throw new Error(`decoder threw on message ${i} (${hex()})`, { cause: err });
      }
      if (d.ok) decoded++;
      else {
        errors++;
        if (!(d.error.code >= 1 && d.error.code <= 7)) throw new Error(`error code ${d.error.code} on message ${i}`);
      }
    }
    // The same bytes into a live session.
    const want = expectedError(msg, live.peer.session.codec);
    const wrote = live.conn.written.length;
    try {
      live.conn.handlers.onData(msg);
    } catch (err) {
      throw new Error(`the session threw on message ${i} (${hex()})`, { cause: err });
    }
    if (want.error) {
      const last = live.conn.written[live.conn.written.length - 1];
      const sent = live.conn.written.length > wrote && last ? decodeMessage(last, live.peer.session.codec) : undefined;
      const n = sent?.ok ? sent.value : undefined;
      if (n?.type !== 'notification' || n.code !== want.error.code || n.subcode !== want.error.subcode || !live.conn.ended) {
        throw new Error(`message ${i} (${hex()}): expected NOTIFICATION ${want.error.code}/${want.error.subcode} and a close, got ${JSON.stringify(n ?? sent)}`);
      }
      notified++;
    }
    if (!want.complete || live.peer.state !== 'Established') live = establishedPeer();
  }
  return { messages: count, decoded, errors, notified, ms: Date.now() - start };
}
