import { describe, expect, test } from '@jest/globals';
import { ErrorCodes, isFleetlbError } from '../runtime/errors.js';
import { bgpPeerObject, loadBalancerObjects, modeOf, parseAddresses, parseAdvertiseMode } from './load-balancer.js';

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(isFleetlbError(err, ErrorCodes.CLI_USAGE)).toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected a usage error');
}

describe('lb create objects (the Arc load-balancer create behaviour)', () => {
  const kinds = (mode: string) => loadBalancerObjects('lb1', 'ns', ['198.51.100.0/28'], parseAdvertiseMode(mode)).map((o) => `${o.kind}/${o.metadata.name}`);

  test('each advertise mode writes the pool and the advertisements that mode names', () => {
    expect(kinds('ARP')).toEqual(['IPAddressPool/lb1', 'L2Advertisement/lb1']);
    expect(kinds('BGP')).toEqual(['IPAddressPool/lb1', 'BGPAdvertisement/lb1']);
    expect(kinds('Both')).toEqual(['IPAddressPool/lb1', 'L2Advertisement/lb1', 'BGPAdvertisement/lb1']);
    expect(kinds('both')).toEqual(kinds('Both'));
  });

  test('the advertisements select exactly their pool, and every object carries the load balancer label', () => {
    const [pool, l2] = loadBalancerObjects('lb1', 'ns', ['198.51.100.0/28', '2001:db8:100::/120'], 'ARP');
    expect(pool).toEqual({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'lb1', namespace: 'ns', labels: { 'fleetlb.io/load-balancer': 'lb1' } }, spec: { addresses: ['198.51.100.0/28', '2001:db8:100::/120'] } });
    expect(l2).toMatchObject({ spec: { ipAddressPools: ['lb1'] } });
  });

  test('modeOf reads the mode back from the kinds present', () => {
    expect(modeOf(new Set(['IPAddressPool', 'L2Advertisement']))).toBe('ARP');
    expect(modeOf(new Set(['IPAddressPool', 'L2Advertisement', 'BGPAdvertisement']))).toBe('Both');
    expect(modeOf(new Set(['IPAddressPool']))).toBeUndefined();
  });

  test('unknown modes, bad addresses and bad names are refused', () => {
    expect(usageError(() => parseAdvertiseMode('L3'))).toMatch(/"L3" is not one of ARP, BGP, Both/);
    expect(usageError(() => parseAddresses('198.51.100.0/33'))).toMatch(/prefix length/);
    expect(usageError(() => parseAddresses('198.51.100.9-198.51.100.1'))).toMatch(/start IP is after the end IP/);
    expect(usageError(() => parseAddresses(' , '))).toMatch(/--addresses is empty/);
    expect(parseAddresses('198.51.100.0/28, 198.51.100.100-198.51.100.120')).toEqual(['198.51.100.0/28', '198.51.100.100-198.51.100.120']);
    expect(usageError(() => loadBalancerObjects('LB_1', 'ns', ['198.51.100.0/28'], 'ARP'))).toMatch(/not a valid name/);
  });
});

describe('bgp-peer create object', () => {
  test('the Arc flags become a v1beta2 BGPPeer', () => {
    expect(bgpPeerObject('router', 'ns', { myAsn: '64512', peerAsn: '4200000001', peerAddress: '2001:db8:0:1::1', holdTime: '9', keepaliveTime: '3s', nodeSelector: 'rack=r1,zone=a', ebgpMultiHop: true, passwordSecret: 'bgp-md5' })).toEqual({
      apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: { name: 'router', namespace: 'ns', labels: { 'fleetlb.io/bgp-peer': 'router' } },
      spec: { myASN: 64512, peerASN: 4200000001, peerAddress: '2001:db8:0:1::1', holdTime: '9s', keepaliveTime: '3s', ebgpMultiHop: true, passwordSecret: { name: 'bgp-md5', namespace: 'ns' }, nodeSelectors: [{ matchLabels: { rack: 'r1', zone: 'a' } }] },
    });
  });

  test('bad numbers and addresses are refused naming the flag', () => {
    const base = { myAsn: '64512', peerAsn: '64513', peerAddress: '192.0.2.1' };
    expect(usageError(() => bgpPeerObject('r', 'ns', { ...base, myAsn: '0' }))).toMatch(/--my-asn "0"/);
    expect(usageError(() => bgpPeerObject('r', 'ns', { ...base, peerAsn: '4294967296' }))).toMatch(/--peer-asn/);
    expect(usageError(() => bgpPeerObject('r', 'ns', { ...base, peerAddress: 'router.lan' }))).toMatch(/--peer-address "router.lan"/);
    expect(usageError(() => bgpPeerObject('r', 'ns', { ...base, holdTime: 'soon' }))).toMatch(/--hold-time "soon"/);
    expect(usageError(() => bgpPeerObject('r', 'ns', { ...base, peerPort: '70000' }))).toMatch(/--peer-port/);
    expect(usageError(() => bgpPeerObject('r', 'ns', { ...base, nodeSelector: 'rack' }))).toMatch(/--node-selector "rack"/);
  });
});
