import { describe, expect, test } from '@jest/globals';
import { parseMembers } from './members.js';
import { allNetns, apiserverLanAddress, nodeApiservers, nodePodCIDRs, planNetwork, podAddress, podRoutes } from './network-plan.js';

const fleet = parseMembers('member-1=eastus,member-2=eastus,member-3=westus');

describe('lab network plan', () => {
  const plan = planNetwork('abc123', fleet);

  test('one hub node and two nodes per member, named as kubectl shows them', () => {
    expect(plan.nodes.map((n) => n.name)).toEqual(['hub-node-1', 'member-1-node-1', 'member-1-node-2', 'member-2-node-1', 'member-2-node-2', 'member-3-node-1', 'member-3-node-2']);
    expect(plan.nodes.map((n) => n.lan.v4)).toEqual(['192.0.2.10', '192.0.2.20', '192.0.2.21', '192.0.2.30', '192.0.2.31', '192.0.2.40', '192.0.2.41']);
    expect(plan.nodes[1]?.lan.v6).toBe('2001:db8:0:1::14');
  });

  test('every name carries the lab id; addresses stay inside the address plan', () => {
    for (const ns of allNetns(plan)) expect(ns.startsWith('fl-abc123-')).toBe(true);
    for (const n of plan.nodes) {
      expect(n.podCIDRs[0]).toMatch(/^198\.18\.\d+\.0\/24$/);
      expect(n.podCIDRs[1]).toMatch(/^2001:db8:1000:(?:[0-9a-f]+:)?:\/64$/);
    }
    expect(plan.router.lan.v4).toBe('192.0.2.1');
    expect(plan.client.lan.v4).toBe('192.0.2.2');
    expect(apiserverLanAddress(2)).toBe('192.0.2.242');
  });

  test('member nodes reach their own API server and the hub\'s; the hub node only its own', () => {
    expect(nodeApiservers(plan, plan.nodes[0]!)).toEqual([['hub', '192.0.2.240']]);
    expect(nodeApiservers(plan, plan.nodes[5]!)).toEqual([['member-3', '192.0.2.243'], ['hub', '192.0.2.240']]);
  });

  test('pod CIDRs sit inside their cluster /20 and /60 and never repeat', () => {
    expect(nodePodCIDRs(1, 1)).toEqual(['198.18.17.0/24', '2001:db8:1000:11::/64']);
    const all = plan.nodes.flatMap((n) => n.podCIDRs);
    expect(new Set(all).size).toBe(all.length);
  });

  test('each node routes to every other node’s pods over the LAN, in both families', () => {
    const self = plan.nodes[1]!;
    const routes = podRoutes(plan, self);
    expect(routes).toHaveLength((plan.nodes.length - 1) * 2);
    expect(routes).toContainEqual({ cidr: '198.18.32.0/24', via: '192.0.2.30' });
    expect(routes.some((r) => r.via === self.lan.v4)).toBe(false);
  });

  test('pod addresses count up from .2 and ::2', () => {
    expect(podAddress(plan.nodes[1]!, 0)).toEqual({ v4: '198.18.16.2', v6: '2001:db8:1000:10::2' });
    expect(podAddress(plan.nodes[1]!, 9)).toEqual({ v4: '198.18.16.11', v6: '2001:db8:1000:10::b' });
    expect(() => podAddress(plan.nodes[1]!, 253)).toThrow(RangeError);
  });

  test('nodes per member are bounded', () => {
    expect(planNetwork('x', fleet, 3).nodes.filter((n) => n.cluster === 'member-2')).toHaveLength(3);
    expect(() => planNetwork('x', fleet, 10)).toThrow(RangeError);
  });
});
