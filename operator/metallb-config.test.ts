import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { ErrorCodes, isFleetlbError } from '../runtime/errors.js';
import { repoRoot } from '../runtime/repo-root.js';
import { convertMetalLBConfig } from './metallb-config.js';

const seed = readFileSync(join(repoRoot(), 'examples/metallb/legacy-configmap.yaml'), 'utf8');

const full = `
peers:
- peer-address: 192.0.2.1
  peer-asn: 64513
  my-asn: 64512
  hold-time: 9s
  keepalive-time: 3s
  router-id: 192.0.2.11
  source-address: 192.0.2.11
  peer-port: 1179
  password: s3cret
  bfd-profile: fast
  ebgp-multihop: true
  node-selectors:
  - match-labels: {rack: r1}
    match-expressions:
    - {key: zone, operator: In, values: [a, b]}
bgp-communities:
  no-advertise: "65535:65282"
bfd-profiles:
- name: fast
  receive-interval: 100
  transmit-interval: 100
  echo-mode: false
address-pools:
- name: l2pool
  protocol: layer2
  addresses: [198.51.100.0/28]
  auto-assign: false
- name: Prod_BGP
  protocol: bgp
  avoid-buggy-ips: true
  addresses: [198.51.100.64/26, 2001:db8:100::/120]
  bgp-advertisements:
  - aggregation-length: 32
    localpref: 200
    communities: [no-advertise, "64512:7"]
  - aggregation-length: 26
    aggregation-length-v6: 120
- name: plainbgp
  protocol: bgp
  addresses: [198.51.100.128/28]
`;

function expectError(fn: () => unknown, message: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(isFleetlbError(err, ErrorCodes.CONVERT_INVALID_CONFIG)).toBe(true);
    expect((err as Error).message).toMatch(message);
    return;
  }
  throw new Error('expected the conversion to fail');
}

describe('convert metallb-config', () => {
  test('the seed ConfigMap becomes one pool and its L2Advertisement in fleetlb-system', () => {
    const { objects, notes } = convertMetalLBConfig(seed);
    expect(objects).toEqual([
      { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'default', namespace: 'fleetlb-system' }, spec: { addresses: ['172.19.255.1-172.19.255.250'] } },
      { apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: { name: 'l2-default', namespace: 'fleetlb-system' }, spec: { ipAddressPools: ['default'] } },
    ]);
    expect(notes).toEqual([]);
  });

  test('every legacy setting maps to its CR field', () => {
    const { objects, notes } = convertMetalLBConfig(full, { namespace: 'metallb-system' });
    const byName = new Map(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o]));
    expect([...byName.keys()]).toEqual([
      'IPAddressPool/l2pool', 'L2Advertisement/l2-l2pool',
      'IPAddressPool/prod-bgp', 'BGPAdvertisement/bgp-prod-bgp-1', 'BGPAdvertisement/bgp-prod-bgp-2',
      'IPAddressPool/plainbgp', 'BGPAdvertisement/bgp-plainbgp',
      'BGPPeer/peer-1', 'Community/communities', 'BFDProfile/fast',
    ]);
    expect(objects.every((o) => o.metadata.namespace === 'metallb-system')).toBe(true);
    expect(byName.get('IPAddressPool/l2pool')).toMatchObject({ spec: { autoAssign: false } });
    expect(byName.get('IPAddressPool/prod-bgp')).toMatchObject({ spec: { avoidBuggyIPs: true, addresses: ['198.51.100.64/26', '2001:db8:100::/120'] } });
    expect(byName.get('BGPAdvertisement/bgp-prod-bgp-1')).toEqual(expect.objectContaining({ spec: { ipAddressPools: ['prod-bgp'], aggregationLength: 32, localPref: 200, communities: ['no-advertise', '64512:7'] } }));
    expect(byName.get('BGPAdvertisement/bgp-prod-bgp-2')).toEqual(expect.objectContaining({ spec: { ipAddressPools: ['prod-bgp'], aggregationLength: 26, aggregationLengthV6: 120 } }));
    expect(byName.get('BGPAdvertisement/bgp-plainbgp')).toEqual(expect.objectContaining({ spec: { ipAddressPools: ['plainbgp'] } }));
    expect(byName.get('BGPPeer/peer-1')).toEqual({
      apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: { name: 'peer-1', namespace: 'metallb-system' },
      spec: {
        myASN: 64512, peerASN: 64513, peerAddress: '192.0.2.1', sourceAddress: '192.0.2.11', peerPort: 1179, holdTime: '9s', keepaliveTime: '3s',
        routerID: '192.0.2.11', password: 's3cret', bfdProfile: 'fast', ebgpMultiHop: true,
        nodeSelectors: [{ matchLabels: { rack: 'r1' }, matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }],
      },
    });
    expect(byName.get('Community/communities')).toMatchObject({ spec: { communities: [{ name: 'no-advertise', value: '65535:65282' }] } });
    expect(byName.get('BFDProfile/fast')).toMatchObject({ spec: { receiveInterval: 100, transmitInterval: 100, echoMode: false } });
    // What does not carry over is said, one line each.
    expect(notes).toEqual([
      expect.stringMatching(/^address-pools\[1\]\.name: "Prod_BGP" is not a valid object name; named "prod-bgp"$/),
      expect.stringMatching(/^peers\[0\]\.password: copied in clear/),
      expect.stringMatching(/^bfd-profiles: converted, but fleetlb's speaker runs no BFD/),
    ]);
  });

  test('unknown keys are named in a note instead of being dropped silently', () => {
    const { notes } = convertMetalLBConfig('address-pools:\n- name: a\n  protocol: layer2\n  addresses: [198.51.100.1/32]\n  colour: blue\nextra: 1\n');
    expect(notes).toEqual(['config.extra: not a MetalLB setting fleetlb knows; left out', 'address-pools[0].colour: not a MetalLB setting fleetlb knows; left out']);
  });

  test('bad input is refused with the path of the offending setting', () => {
    expectError(() => convertMetalLBConfig('address-pools:\n- name: a\n  protocol: arp\n  addresses: [1.2.3.4/32]\n'), /address-pools\[0\]\.protocol: "arp" is not layer2 or bgp/);
    expectError(() => convertMetalLBConfig('address-pools:\n- name: a\n  protocol: bgp\n  addresses: []\n'), /address-pools\[0\]\.addresses/);
    expectError(() => convertMetalLBConfig('peers:\n- peer-address: 192.0.2.1\n  my-asn: 1\n'), /peers\[0\]\.peer-asn/);
    expectError(() => convertMetalLBConfig('peers:\n- {peer-address: 192.0.2.1, my-asn: 1, peer-asn: 2, hold-time: soon}\n'), /peers\[0\]\.hold-time: "soon" is not a duration/);
    expectError(() => convertMetalLBConfig('address-pools:\n- name: a\n  protocol: bgp\n  addresses: [1.2.3.4/32]\n  bgp-advertisements:\n  - communities: [nope]\n'), /communities\[0\]: "nope" is neither/);
    expectError(() => convertMetalLBConfig('address-pools:\n- {name: a, protocol: layer2, addresses: [1.2.3.4/32]}\n- {name: a, protocol: layer2, addresses: [1.2.3.5/32]}\n'), /used twice/);
    expectError(() => convertMetalLBConfig('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: config}\ndata: {}\n'), /no data\.config/);
    expectError(() => convertMetalLBConfig('a: [1, 2'), /not valid YAML/);
  });
});
