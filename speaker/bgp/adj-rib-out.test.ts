import { describe, expect, test } from '@jest/globals';
import { AdjRibOut, type OutboundParams } from './adj-rib-out.js';
import { decodeMessage, encodeMessage } from './codec.js';
import { MAX_MESSAGE_LENGTH } from './constants.js';
import type { UpdateMessage } from './messages.js';
import { formatPrefix } from './prefix.js';
import { parseCommunity, routesFromAdvertisements, type Advertisement } from './routes.js';

const params: OutboundParams = { localAsn: 64512, ebgp: true, fourOctetAs: true, ipv4: true, ipv6: true, nextHopV4: '192.0.2.20', nextHopV6: '2001:db8:0:1::14', nextHopV6LinkLocal: 'fe80::14' };
const v4 = (n: number) => `198.${51 + Math.floor(n / 65536)}.${Math.floor(n / 256) % 256}.${n % 256}`;
const v6 = (n: number) => `2001:db8:100::${n.toString(16)}`;

function roundTrip(rib: AdjRibOut, ms: UpdateMessage[]): UpdateMessage[] {
  return ms.map((m) => {
    const b = encodeMessage(m, rib.ctx);
    expect(b.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
    const d = decodeMessage(b, rib.ctx);
    if (!d.ok) throw new Error(d.error.reason);
    return d.value as UpdateMessage;
  });
}
const prefixesOf = (ms: UpdateMessage[]) => ms.flatMap((u) => [...u.nlri, ...(u.attributes.mpReach?.nlri ?? [])].map(formatPrefix));

describe('Adj-RIB-Out', () => {
  test('packs 10,000 IPv4 and 3,000 IPv6 prefixes with equal attributes into few UPDATEs of ≤ 4096 octets', () => {
    const rib = new AdjRibOut(params);
    const ads: Advertisement[] = [];
    for (let i = 0; i < 10_000; i++) ads.push({ prefix: v4(i), communities: ['64512:100', 'large:64512:1:1'] });
    for (let i = 0; i < 3_000; i++) ads.push({ prefix: v6(i + 1), communities: ['64512:100'] });
    rib.setRoutes(routesFromAdvertisements(ads).routes);
    const out = roundTrip(rib, rib.changes());
    expect(prefixesOf(out)).toHaveLength(13_000);
    expect(new Set(prefixesOf(out)).size).toBe(13_000);
    // /32 NLRI are 5 octets: about 800 per message; /128 are 17: about 235.
    expect(out.filter((u) => u.nlri.length).length).toBeLessThanOrEqual(13);
    expect(out.filter((u) => u.attributes.mpReach).length).toBeLessThanOrEqual(13);
    expect(rib.advertisedCount).toBe(13_000);
    // Withdrawing everything packs too.
    const w = roundTrip(rib, rib.withdrawAll());
    expect(w.reduce((n, u) => n + u.withdrawn.length + (u.attributes.mpUnreach?.withdrawn.length ?? 0), 0)).toBe(13_000);
    expect(w.length).toBeLessThanOrEqual(26);
  });

  test('different attributes go in different UPDATEs', () => {
    const rib = new AdjRibOut(params);
    rib.setRoutes(routesFromAdvertisements([
      { prefix: '198.51.100.1', communities: ['64512:1'] },
      { prefix: '198.51.100.2', communities: ['64512:2'] },
      { prefix: '198.51.100.3', communities: ['64512:1'] },
    ]).routes);
    const out = rib.changes();
    expect(out.map((u) => u.nlri.map(formatPrefix))).toEqual([['198.51.100.1/32', '198.51.100.3/32'], ['198.51.100.2/32']]);
  });

  test('changing a route\'s communities re-announces it alone; unchanged routes are not re-sent', () => {
    const rib = new AdjRibOut(params);
    rib.setRoutes(routesFromAdvertisements([{ prefix: '198.51.100.1' }, { prefix: '198.51.100.2' }]).routes);
    rib.changes();
    rib.setRoutes(routesFromAdvertisements([{ prefix: '198.51.100.1' }, { prefix: '198.51.100.2', communities: ['no-export'] }]).routes);
    const out = rib.changes();
    expect(out).toHaveLength(1);
    expect(out[0]?.attributes.communities).toEqual([0xffffff01]);
    expect(prefixesOf(out)).toEqual(['198.51.100.2/32']);
  });

  test('eBGP: AS_PATH [myASN], no LOCAL_PREF; iBGP: empty AS_PATH, LOCAL_PREF (default 100)', () => {
    const r = routesFromAdvertisements([{ prefix: '198.51.100.1', localPref: 300 }, { prefix: '198.51.100.2' }]).routes;
    const e = new AdjRibOut(params);
    expect(e.attributesFor(r[0]!)).toEqual({ origin: 0, asPath: [{ type: 2, asns: [64512] }], nextHop: '192.0.2.20' });
    const i = new AdjRibOut({ ...params, ebgp: false });
    expect(i.attributesFor(r[0]!)).toMatchObject({ asPath: [], localPref: 300 });
    expect(i.attributesFor(r[1]!)).toMatchObject({ localPref: 100 });
  });

  test('IPv6 next hop: global, plus link-local only when given', () => {
    const rib = new AdjRibOut({ ...params, nextHopV6LinkLocal: undefined });
    rib.setRoutes(routesFromAdvertisements([{ prefix: v6(1) }]).routes);
    expect(rib.changes()[0]?.attributes.mpReach?.nextHops).toEqual(['2001:db8:0:1::14']);
  });
});

describe('routes from advertisements', () => {
  test('aggregation to aggregationLength / aggregationLengthV6 merges routes and unites communities', () => {
    const { routes, errors } = routesFromAdvertisements([
      { prefix: '198.51.100.10', aggregationLength: 24, communities: ['64512:1'] },
      { prefix: '198.51.100.20', aggregationLength: 24, communities: ['64512:2', 'large:1:2:3'], localPref: 50 },
      { prefix: '2001:db8:100::5', aggregationLengthV6: 64 },
      { prefix: '198.51.100.30' },
    ]);
    expect(errors).toEqual([]);
    expect(routes.map((r) => formatPrefix(r.prefix))).toEqual(['198.51.100.0/24', '2001:db8:100::/64', '198.51.100.30/32']);
    expect(routes[0]).toMatchObject({ communities: [0xfc000001, 0xfc000002], largeCommunities: [[1, 2, 3]], localPref: 50 });
  });
  test('bad input is reported, not dropped silently', () => {
    const { routes, errors } = routesFromAdvertisements([{ prefix: 'nope' }, { prefix: '198.51.100.1', communities: ['70000:1'] }, { prefix: '198.51.100.1', aggregationLength: 33 }]);
    expect(routes).toEqual([]);
    expect(errors).toHaveLength(3);
  });
  test('community text', () => {
    expect(parseCommunity('64512:100')).toEqual({ standard: 0xfc000064 });
    expect(parseCommunity('large:4200000000:1:2')).toEqual({ large: [4200000000, 1, 2] });
    expect(parseCommunity('NO-ADVERTISE')).toEqual({ standard: 0xffffff02 });
    expect(parseCommunity('1:2:3')).toBeUndefined();
  });
});
