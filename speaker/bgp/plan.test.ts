import { describe, expect, test } from '@jest/globals';
import type { BGPAdvertisement, BGPPeer, Community } from '../../api/metallb.js';
import { parseRange } from '../../runtime/ip.js';
import type { SpeakerView } from '../view.js';
import { parseGoDuration, planBgp, resolveCommunities } from './plan.js';

const range = (s: string) => {
  const r = parseRange(s);
  if (!r.ok) throw new Error(s);
  return r.range;
};

const ns = 'metallb-system';
const meta = (name: string, labels: Record<string, string> = {}) => ({ name, namespace: ns, labels });
const peer = (name: string, spec: Partial<BGPPeer['spec']> = {}): BGPPeer => ({ apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: meta(name), spec: { myASN: 64512, peerASN: 64513, peerAddress: '192.0.2.1', ...spec } });
const ad = (name: string, spec: BGPAdvertisement['spec'] = {}): BGPAdvertisement => ({ apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: meta(name), spec });
const aliases: Community = { apiVersion: 'metallb.io/v1beta1', kind: 'Community', metadata: meta('aliases'), spec: { communities: [{ name: 'no-transit', value: '64512:666' }, { name: 'big', value: 'large:64512:1:2' }] } };

function view(over: Partial<SpeakerView> = {}, svc: Partial<SpeakerView['services'][number]> = {}): SpeakerView {
  return {
    node: 'node-1',
    nodes: ['node-1', 'node-2'].map((name) => ({ name, labels: { zone: name === 'node-1' ? 'a' : 'b' }, networkUnavailable: false, speakerAlive: true })),
    services: [{ key: 'app/web', namespace: 'app', name: 'web', uid: 'u1', labels: { tier: 'web' }, ips: ['198.51.100.10', '2001:db8:100::a'], localOnly: false, readyNodes: new Set(['node-2']), hasReadyEndpoint: true, ...svc }],
    pools: [{ name: 'vips', labels: { kind: 'public' }, ranges: [range('198.51.100.0/24'), range('2001:db8:100::/64')] }],
    l2Advertisements: [],
    ...over,
  };
}

describe('planBgp', () => {
  test('ETP Cluster: every selected node announces while any endpoint is ready, with communities (aliases resolved), localPref and aggregation', () => {
    const p = planBgp(view(), { peers: [peer('router')], advertisements: [ad('all', { communities: ['no-transit', '64512:7', 'big'], localPref: 150, aggregationLength: 32, aggregationLengthV6: 120 })], communities: [aliases] }, { routerId: '192.0.2.20' });
    expect(p.problems).toEqual([]);
    expect(p.peers).toHaveLength(1);
    expect(p.peers[0]!.config).toMatchObject({ localAsn: 64512, peerAsn: 64513, peerAddress: '192.0.2.1', routerId: '192.0.2.20' });
    expect(p.peers[0]!.routes).toEqual([
      { prefix: '198.51.100.10', communities: ['64512:666', '64512:7', 'large:64512:1:2'], localPref: 150, aggregationLength: 32, aggregationLengthV6: 120 },
      { prefix: '2001:db8:100::a', communities: ['64512:666', '64512:7', 'large:64512:1:2'], localPref: 150, aggregationLength: 32, aggregationLengthV6: 120 },
    ]);
    expect(p.services.get('app/web')).toEqual({ namespace: 'app', name: 'web', peers: ['router'], ips: ['198.51.100.10', '2001:db8:100::a'] });
  });

  test('ETP Local: only nodes with a local ready endpoint; no ready endpoint at all: nobody', () => {
    const objs = { peers: [peer('router')], advertisements: [ad('all')], communities: [] };
    expect(planBgp(view({}, { localOnly: true }), objs, { routerId: '192.0.2.20' }).peers[0]!.routes).toEqual([]);
    expect(planBgp(view({ node: 'node-2' }, { localOnly: true }), objs, { routerId: '192.0.2.21' }).peers[0]!.routes.map((r) => r.prefix)).toEqual(['198.51.100.10', '2001:db8:100::a']);
    const none = planBgp(view({}, { hasReadyEndpoint: false, readyNodes: new Set() }), objs, { routerId: '192.0.2.20' });
    expect(none.peers[0]!.routes).toEqual([]);
    expect(none.services.size).toBe(0);
  });

  test('advertisement nodeSelectors, pool and service selectors, and the peers list choose what goes where', () => {
    const objs = {
      peers: [peer('a'), peer('b', { peerAddress: '192.0.2.2' }), peer('zone-b-only', { nodeSelectors: [{ matchLabels: { zone: 'b' } }] })],
      advertisements: [
        ad('to-a', { peers: ['a'], communities: ['64512:1'] }),
        ad('zone-b', { nodeSelectors: [{ matchLabels: { zone: 'b' } }], communities: ['64512:2'] }),
        ad('other-pool', { ipAddressPools: ['elsewhere'], communities: ['64512:3'] }),
        ad('other-services', { serviceSelectors: [{ matchLabels: { tier: 'db' } }], communities: ['64512:4'] }),
      ],
      communities: [],
    };
    const p = planBgp(view(), objs, { routerId: '192.0.2.20' });
    expect(p.peers.map((x) => x.name)).toEqual(['a', 'b']); // zone-b-only does not select node-1
    expect(p.peers.find((x) => x.name === 'a')!.routes.flatMap((r) => r.communities)).toEqual(['64512:1', '64512:1']);
    expect(p.peers.find((x) => x.name === 'b')!.routes).toEqual([]);
    expect(p.services.get('app/web')!.peers).toEqual(['a']);
  });

  test('BGPPeer fields: durations, connectTime, multi-hop, graceful restart, password; unsupported fields are reported, and vrf opens no session', () => {
    const p = planBgp(view(), {
      peers: [
        peer('full', { holdTime: '3s', keepaliveTime: '1s', connectTime: '2s', ebgpMultiHop: true, enableGracefulRestart: true, password: 'k', peerPort: 1790, sourceAddress: '192.0.2.20', routerID: '10.0.0.1', bfdProfile: 'fast' }),
        peer('vrf', { vrf: 'red' }),
        peer('bad', { holdTime: 'soon' }),
        peer('secret', { passwordSecret: { name: 'bgp-pass' } }),
      ],
      advertisements: [ad('all')],
      communities: [],
    }, { routerId: '192.0.2.20' });
    const by = (n: string) => p.peers.find((x) => x.name === n)!;
    expect(by('full').config).toEqual({ localAsn: 64512, peerAsn: 64513, peerAddress: '192.0.2.1', routerId: '10.0.0.1', peerPort: 1790, sourceAddress: '192.0.2.20', holdTimeSec: 3, keepaliveTimeSec: 1, connectRetry: { initialMs: 2000, maxMs: 2000 }, multiHop: true, gracefulRestart: { restartTimeSec: 120 }, password: 'k' });
    expect(by('full').unsupported).toEqual([expect.stringContaining('bfdProfile "fast": BFD is not supported')]);
    expect(by('vrf').config).toBeUndefined();
    expect(by('vrf').routes).toEqual([]);
    expect(by('vrf').unsupported).toEqual([expect.stringContaining('vrf "red"')]);
    expect(by('bad').config).toBeUndefined();
    expect(by('bad').errors).toEqual(['holdTime "soon" is not a duration']);
    expect(by('secret').passwordSecret).toEqual({ namespace: ns, name: 'bgp-pass' });
    expect(p.services.get('app/web')!.peers).toEqual(['full', 'secret']); // never a peer without a session
  });

  test('a community that is neither a value nor an alias is reported and left out', () => {
    const p = planBgp(view(), { peers: [peer('r')], advertisements: [ad('x', { communities: ['nonsense', '64512:1'] })], communities: [aliases] }, { routerId: '192.0.2.20' });
    expect(p.problems).toEqual([expect.stringContaining('BGPAdvertisement metallb-system/x: community "nonsense"')]);
    expect(p.peers[0]!.routes[0]!.communities).toEqual(['64512:1']);
  });
});

test('Go durations and community aliases', () => {
  expect(parseGoDuration('90s')).toBe(90_000);
  expect(parseGoDuration('1m30s')).toBe(90_000);
  expect(parseGoDuration('500ms')).toBe(500);
  expect(parseGoDuration('0')).toBe(0);
  expect(parseGoDuration('3')).toBeUndefined();
  expect(parseGoDuration('3s ')).toBeUndefined();
  expect(resolveCommunities(['no-export', 'big'], [aliases])).toEqual({ values: ['no-export', 'large:64512:1:2'], errors: [] });
});
