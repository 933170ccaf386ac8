import { describe, expect, test } from '@jest/globals';
import { parseMembers } from './members.js';
import { planNetwork } from './network-plan.js';
import { birdConfig, FRR_INSTANCES, frrConfig, frrInstanceDir, LAB_IBGP_PORT, LAB_MD5_PORT, parseBirdProtocols, parseFrrSummary, type FrrInstance } from './router.js';

const plan = planNetwork('abc123', parseMembers('member-1=eastus'));

describe('lab router', () => {
  test('BIRD accepts any eBGP LAN node for both families, iBGP and MD5 on their own ports, and installs ECMP routes', () => {
    const conf = birdConfig(plan, '/lab/router/bird.log');
    expect(conf).toContain('neighbor range 192.0.2.0/24 external');
    expect(conf).toContain('neighbor range 2001:db8:0:1::/64 external');
    expect(conf).toContain('local 192.0.2.1 port 1790 as 64513; neighbor range 192.0.2.0/24 port 1790 internal');
    expect(conf).toContain('local 2001:db8:0:1::1 port 1790 as 64513; neighbor range 2001:db8:0:1::/64 port 1790 internal');
    expect(conf).toMatch(/port 1791 as 64513; neighbor range 192.0.2.0\/24 port 1791 external;[^}]*password "fleetlb-lab"/);
    expect(conf).toContain('merge paths on limit 8');
    expect(conf).toContain('local 192.0.2.1 as 64513');
    // Template and protocol names must differ (BIRD refuses a symbol defined twice).
    const names = [...conf.matchAll(/^(?:template|protocol) \w+ (\w+)/gm)].map((m) => m[1]);
    expect(new Set(names).size).toBe(names.length);
  });

  test('FRR listens for the same ranges with multipath: eBGP on 179, iBGP and MD5 each in a bgpd of its own', () => {
    const conf = frrConfig(plan);
    expect(conf).toContain('bgp listen range 192.0.2.0/24 peer-group NODES');
    expect(conf).toContain('bgp listen range 2001:db8:0:1::/64 peer-group NODES6');
    expect(conf).toContain('no bgp ebgp-requires-policy');
    expect(conf).toContain('neighbor NODES remote-as external');
    expect(conf).toContain('neighbor NODES6 remote-as external');
    expect(conf.match(/maximum-paths 8/g)).toHaveLength(2);
    expect(conf).not.toContain('password');

    const ibgp = frrConfig(plan, 'ibgp');
    expect(ibgp).toContain('router bgp 64513');
    expect(ibgp).toContain('neighbor INODES remote-as internal');
    expect(ibgp).toContain('neighbor INODES6 remote-as internal');
    expect(ibgp).toContain('bgp listen range 192.0.2.0/24 peer-group INODES');
    expect(ibgp).toContain('bgp listen range 2001:db8:0:1::/64 peer-group INODES6');
    expect(ibgp.match(/maximum-paths ibgp 8/g)).toHaveLength(2); // ECMP among iBGP paths

    const md5 = frrConfig(plan, 'md5');
    expect(md5).toContain('neighbor MNODES remote-as external');
    expect(md5).toContain('neighbor MNODES password fleetlb-lab');
    expect(md5).toContain('bgp listen range 192.0.2.0/24 peer-group MNODES');

    expect(Object.values(FRR_INSTANCES).map((i) => i.port)).toEqual([179, LAB_IBGP_PORT, LAB_MD5_PORT]);
    expect(new Set(Object.keys(FRR_INSTANCES).map((i) => frrInstanceDir('/lab', i as FrrInstance))).size).toBe(3);
  });

  test('sessions are read from birdc and vtysh output', () => {
    const bird = [
      'BIRD 2.0.12 ready.',
      'Name       Proto      Table      State  Since         Info',
      'nodes      BGP        ---        start  20:36:59.792  Passive',
      '  BGP state:          Passive',
      'node1      BGP        ---        up     20:37:12.186  Established',
      '  BGP state:          Established',
      '    Neighbor address: 192.0.2.20',
      '    Neighbor AS:      64512',
    ].join('\n');
    expect(parseBirdProtocols(bird)).toEqual([{ peer: '192.0.2.20', state: 'Established' }]);
    const frr = JSON.stringify({ ipv4Unicast: { peers: { '192.0.2.20': { state: 'Established' } } }, ipv6Unicast: { peers: { '192.0.2.20': { state: 'Established' }, '2001:db8:0:1::14': { state: 'Active' } } } });
    expect(parseFrrSummary(frr)).toEqual([{ peer: '192.0.2.20', state: 'Established' }, { peer: '2001:db8:0:1::14', state: 'Active' }]);
  });
});
