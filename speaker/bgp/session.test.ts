import { describe, expect, test } from '@jest/globals';
import { decodeMessage, encodeMessage } from './codec.js';
import { CeaseSubcode, ErrorCode, FsmSubcode, OpenSubcode } from './constants.js';
import { FakeClock, FakeTransport } from './fake-io.js';
import type { BgpMessage, OpenMessage, UpdateMessage } from './messages.js';
import { BgpPeer, type PeerConfig, type PeerEvent } from './peer.js';
import { formatPrefix } from './prefix.js';
import { routesFromAdvertisements } from './routes.js';
import { Session, validateSessionConfig } from './session.js';

/** The FSM through its shell, with a virtual clock and an in-memory connection. */

const base: PeerConfig = { localAsn: 64512, peerAsn: 64513, routerId: '192.0.2.20', peerAddress: '192.0.2.1', holdTimeSec: 9, random: () => 0.5 };
const routerOpen = (over: Partial<OpenMessage> = {}): OpenMessage => ({
  type: 'open', version: 4, asn: 64513, holdTime: 9, bgpId: '192.0.2.1',
  capabilities: { multiprotocol: [{ afi: 1, safi: 1 }, { afi: 2, safi: 1 }], routeRefresh: true, fourOctetAsn: 64513, unknown: [] },
  ...over,
});

function harness(config: Partial<PeerConfig> = {}) {
  const clock = new FakeClock();
  const transport = new FakeTransport();
  const peer = new BgpPeer({ ...base, ...config }, { transport, clock, interfaces: () => ({ interfaceV6: '2001:db8:0:1::14', linkLocal: 'fe80::14' }), now: () => clock.now });
  const events: PeerEvent[] = [];
  peer.on((e) => events.push(e));
  let read = 0;
  const h = {
    clock, transport, peer, events,
    states: () => events.flatMap((e) => (e.type === 'state' ? [e.to] : [])),
    /** Messages the speaker wrote since the last call. */
    sent(): BgpMessage[] {
      const all = transport.connections.flatMap((c) => c.written);
      const out = all.slice(read).map((b) => {
        const d = decodeMessage(b, peer.session.codec);
        if (!d.ok) throw new Error(d.error.reason);
        return d.value;
      });
      read = all.length;
      return out;
    },
    deliver(m: BgpMessage) {
      transport.last!.handlers.onData(encodeMessage(m, peer.session.codec));
    },
    establish(open = routerOpen()) {
      peer.start();
      transport.last!.handlers.onConnect({ localAddress: '192.0.2.20', remoteAddress: '192.0.2.1' });
      h.deliver(open);
      h.deliver({ type: 'keepalive' });
      expect(peer.state).toBe('Established');
    },
  };
  return h;
}

const updates = (ms: BgpMessage[]) => ms.filter((m): m is UpdateMessage => m.type === 'update');
const announced = (ms: BgpMessage[]) => updates(ms).flatMap((u) => [...u.nlri, ...(u.attributes.mpReach?.nlri ?? [])].map(formatPrefix));
const withdrawn = (ms: BgpMessage[]) => updates(ms).flatMap((u) => [...u.withdrawn, ...(u.attributes.mpUnreach?.withdrawn ?? [])].map(formatPrefix));
const routes = (...prefixes: string[]) => routesFromAdvertisements(prefixes.map((prefix) => ({ prefix, communities: ['64512:1'] }))).routes;

describe('session FSM', () => {
  test('Idle → Connect → OpenSent → OpenConfirm → Established, then the table and End-of-RIB for both families', () => {
    const h = harness();
    h.peer.setRoutes(routes('198.51.100.1', '198.51.100.2', '2001:db8:100::1'));
    h.establish();
    expect(h.states()).toEqual(['Connect', 'OpenSent', 'OpenConfirm', 'Established']);
    const sent = h.sent();
    expect(sent.map((m) => m.type)).toEqual(['open', 'keepalive', 'update', 'update', 'update', 'update']);
    const open = sent[0] as OpenMessage;
    expect(open.capabilities.fourOctetAsn).toBe(64512);
    expect(open.capabilities.routeRefresh).toBe(true);
    expect(announced(sent).sort()).toEqual(['198.51.100.1/32', '198.51.100.2/32', '2001:db8:100::1/128']);
    const [v4, v6] = updates(sent);
    expect(v4?.nlri).toHaveLength(2); // packed together: same attributes
    expect(v4?.attributes.nextHop).toBe('192.0.2.20');
    expect(v6?.attributes.mpReach?.nextHops).toEqual(['2001:db8:0:1::14', 'fe80::14']);
    expect(updates(sent).slice(2).map((u) => u.nlri.length + u.withdrawn.length)).toEqual([0, 0]); // End-of-RIB ×2
  });

  test('hold time: min of both; keepalives every third; a silent peer is dropped at hold expiry with Hold Timer Expired', () => {
    const h = harness({ holdTimeSec: 30 });
    h.establish(routerOpen({ holdTime: 9 }));
    expect(h.peer.session.negotiated?.holdTimeSec).toBe(9);
    h.sent();
    h.clock.advance(3000);
    expect(h.sent().map((m) => m.type)).toEqual(['keepalive']);
    h.clock.advance(5000);
    expect(h.peer.state).toBe('Established');
    h.clock.advance(1000); // 9 s of silence
    const sent = h.sent();
    expect(sent.at(-1)).toMatchObject({ type: 'notification', code: ErrorCode.HOLD_TIMER_EXPIRED, subcode: 0 });
    expect(h.peer.state).toBe('Idle');
    expect(h.transport.last?.ended).toBe(true);
    expect(h.peer.session.lastError).toMatch(/hold timer expired/);
  });

  test('anything heard from the peer restarts the hold timer', () => {
    const h = harness();
    h.establish();
    for (let i = 0; i < 10; i++) {
      h.clock.advance(8000);
      h.deliver({ type: 'keepalive' });
    }
    expect(h.peer.state).toBe('Established');
  });

  test('hold time 0 on either side: no keepalives and no hold timer', () => {
    const h = harness({ holdTimeSec: 0 });
    h.establish();
    h.sent();
    h.clock.advance(3_600_000);
    expect(h.sent()).toEqual([]);
    expect(h.peer.state).toBe('Established');
  });

  test('a configured keepalive time is used when shorter than hold/3', () => {
    const h = harness({ holdTimeSec: 90, keepaliveTimeSec: 10 });
    h.establish(routerOpen({ holdTime: 90 }));
    h.sent();
    h.clock.advance(30_000);
    expect(h.sent().map((m) => m.type)).toEqual(['keepalive', 'keepalive', 'keepalive']);
  });

  test('OpenSent waits 4 minutes for the OPEN, then Hold Timer Expired', () => {
    const h = harness();
    h.peer.start();
    h.transport.last!.handlers.onConnect({ localAddress: '192.0.2.20', remoteAddress: '192.0.2.1' });
    h.clock.advance(239_000);
    expect(h.peer.state).toBe('OpenSent');
    h.clock.advance(1000);
    expect(h.sent().at(-1)).toMatchObject({ type: 'notification', code: ErrorCode.HOLD_TIMER_EXPIRED });
  });

  test('the wrong peer ASN is Bad Peer AS; an unexpected message is an FSM error', () => {
    const h = harness();
    h.peer.start();
    h.transport.last!.handlers.onConnect({ localAddress: '192.0.2.20', remoteAddress: '192.0.2.1' });
    h.deliver(routerOpen({ asn: 65000, capabilities: { ...routerOpen().capabilities, fourOctetAsn: 65000 } }));
    expect(h.sent().at(-1)).toMatchObject({ type: 'notification', code: ErrorCode.OPEN_MESSAGE, subcode: OpenSubcode.BAD_PEER_AS });
    expect(h.peer.state).toBe('Idle');

    const h2 = harness();
    h2.peer.start();
    h2.transport.last!.handlers.onConnect({ localAddress: '192.0.2.20', remoteAddress: '192.0.2.1' });
    h2.deliver({ type: 'keepalive' });
    expect(h2.sent().at(-1)).toMatchObject({ type: 'notification', code: ErrorCode.FSM, subcode: FsmSubcode.UNEXPECTED_IN_OPEN_SENT });

    const h3 = harness();
    h3.establish();
    h3.deliver(routerOpen());
    expect(h3.sent().at(-1)).toMatchObject({ type: 'notification', code: ErrorCode.FSM, subcode: FsmSubcode.UNEXPECTED_IN_ESTABLISHED });
  });

  test('malformed input from the peer is answered with the decoder NOTIFICATION, then the session resets', () => {
    const h = harness();
    h.establish();
    h.sent();
    const bad = encodeMessage({ type: 'keepalive' });
    bad[0] = 0;
    h.transport.last!.handlers.onData(bad);
    expect(h.sent()).toEqual([{ type: 'notification', code: 1, subcode: 1, data: new Uint8Array(0) }]);
    expect(h.peer.state).toBe('Idle');
  });

  test('connect failures retry with a growing back-off; a later success resets it', () => {
    const h = harness({ connectRetry: { initialMs: 1000, maxMs: 8000 } });
    h.peer.start();
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const n = h.transport.connections.length;
      h.transport.last!.handlers.onClose('ECONNREFUSED');
      expect(h.peer.state).toBe('Active');
      let waited = 0;
      while (h.transport.connections.length === n && waited < 20_000) {
        h.clock.advance(100);
        waited += 100;
      }
      delays.push(waited);
    }
    expect(delays).toEqual([800, 1500, 3000, 6000, 6000]); // jitter fixed at 0.5: ¾ of 1, 2, 4, 8, 8 s
    expect(h.states().filter((s) => s === 'Connect')).toHaveLength(6);
  });

  test('a connect that hangs times out and is retried', () => {
    const h = harness({ connectTimeoutMs: 5000 });
    h.peer.start();
    h.clock.advance(5000);
    expect(h.peer.state).toBe('Active');
    expect(h.transport.connections[0]?.ended).toBe(true);
    h.clock.advance(1000);
    expect(h.transport.connections).toHaveLength(2);
  });

  test('after the peer closes, the session reconnects and re-sends its table', () => {
    const h = harness();
    h.peer.setRoutes(routes('198.51.100.1'));
    h.establish();
    h.transport.last!.handlers.onClose('reset by peer');
    expect(h.peer.state).toBe('Idle');
    h.clock.advance(2000);
    expect(h.transport.connections).toHaveLength(2);
    h.sent();
    h.transport.last!.handlers.onConnect({ localAddress: '192.0.2.20', remoteAddress: '192.0.2.1' });
    h.deliver(routerOpen());
    h.deliver({ type: 'keepalive' });
    expect(announced(h.sent())).toEqual(['198.51.100.1/32']);
  });

  test('incremental announce and withdraw; route refresh re-sends the table of that family', () => {
    const h = harness();
    h.peer.setRoutes(routes('198.51.100.1', '2001:db8:100::1'));
    h.establish();
    h.sent();
    h.peer.setRoutes(routes('198.51.100.1', '198.51.100.2'));
    const diff = h.sent();
    expect(withdrawn(diff)).toEqual(['2001:db8:100::1/128']);
    expect(announced(diff)).toEqual(['198.51.100.2/32']);
    h.peer.setRoutes(routes('198.51.100.1', '198.51.100.2'));
    expect(h.sent()).toEqual([]);
    h.deliver({ type: 'route-refresh', afi: 1, safi: 1, subtype: 0 });
    expect(announced(h.sent()).sort()).toEqual(['198.51.100.1/32', '198.51.100.2/32']);
    h.deliver({ type: 'route-refresh', afi: 2, safi: 1, subtype: 0 });
    expect(h.sent()).toEqual([]);
  });

  test('stop withdraws everything, then sends Cease / Administrative Shutdown, closes, and stays down', () => {
    const h = harness();
    h.peer.setRoutes(routes('198.51.100.1', '2001:db8:100::1'));
    h.establish();
    h.sent();
    h.peer.stop();
    const sent = h.sent();
    expect(withdrawn(sent).sort()).toEqual(['198.51.100.1/32', '2001:db8:100::1/128']);
    expect(sent.at(-1)).toMatchObject({ type: 'notification', code: ErrorCode.CEASE, subcode: CeaseSubcode.ADMINISTRATIVE_SHUTDOWN });
    expect(h.transport.last?.ended).toBe(true);
    expect(h.peer.state).toBe('Idle');
    h.clock.advance(600_000);
    expect(h.transport.connections).toHaveLength(1);
    expect(h.clock.pending()).toBe(0);
  });

  test('a peer without the 4-octet capability: OPEN and AS_PATH carry AS_TRANS', () => {
    const h = harness({ localAsn: 4200000000 });
    h.peer.setRoutes(routes('198.51.100.1'));
    const caps = { ...routerOpen().capabilities };
    delete caps.fourOctetAsn;
    h.establish(routerOpen({ capabilities: caps }));
    expect(h.peer.session.codec.fourOctetAs).toBe(false);
    const u = updates(h.sent())[0];
    expect(u?.attributes.asPath).toEqual([{ type: 2, asns: [23456] }]);
    expect(u?.attributes.as4Path).toEqual([{ type: 2, asns: [4200000000] }]);
  });

  test('a peer without multiprotocol capabilities gets IPv4 only; iBGP carries LOCAL_PREF', () => {
    const h = harness({ peerAsn: 64512 });
    h.peer.setRoutes(routesFromAdvertisements([{ prefix: '198.51.100.1', localPref: 150 }, { prefix: '2001:db8:100::1' }]).routes);
    h.establish(routerOpen({ asn: 64512, capabilities: { multiprotocol: [], routeRefresh: false, fourOctetAsn: 64512, unknown: [] } }));
    const sent = h.sent();
    expect(announced(sent)).toEqual(['198.51.100.1/32']);
    expect(updates(sent)[0]?.attributes).toMatchObject({ localPref: 150, asPath: [] });
    expect(h.peer.session.rib?.unsendable()).toEqual(['2001:db8:100::1/128']);
  });

  test('configuration checks', () => {
    expect(validateSessionConfig({ ...base, holdTimeSec: 2 })).toEqual(['hold time 2 s must be 0 or 3..65535']);
    expect(validateSessionConfig({ ...base, routerId: '0.0.0.0' })).toHaveLength(1);
    expect(() => new BgpPeer({ ...base, holdTimeSec: 1 })).toThrow(/hold time/);
    expect(new Session(base).open().capabilities.gracefulRestart).toBeUndefined();
    expect(new Session({ ...base, gracefulRestart: { restartTimeSec: 120 } }).open().capabilities.gracefulRestart?.restartTimeSec).toBe(120);
  });
});
