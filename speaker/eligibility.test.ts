import { describe, expect, test } from '@jest/globals';
import { Labels } from '../api/labels.js';
import { parseRange } from '../runtime/ip.js';
import { selectorMatches } from '../runtime/label-selector.js';
import { eligibility, ineligibility, poolOf, type NodeFacts, type PoolFacts, type ServiceFacts } from './eligibility.js';

const node = (over: Partial<NodeFacts> = {}): NodeFacts => ({ name: 'n1', labels: { zone: 'a' }, networkUnavailable: false, speakerAlive: true, ...over });
const range = (s: string) => {
  const r = parseRange(s);
  if (!r.ok) throw new Error(r.error);
  return r.range;
};
const pools: PoolFacts[] = [
  { name: 'web', labels: { tier: 'web' }, ranges: [range('198.51.100.0/25'), range('2001:db8:100::/64')] },
  { name: 'db', labels: { tier: 'db' }, ranges: [range('198.51.100.128-198.51.100.200')] },
];
const svc = (over: Partial<ServiceFacts> = {}): ServiceFacts => ({
  key: 'demo/kuard',
  namespace: 'demo',
  name: 'kuard',
  uid: 'u1',
  labels: { app: 'kuard' },
  ips: ['198.51.100.10'],
  localOnly: false,
  readyNodes: new Set(['n1']),
  hasReadyEndpoint: true,
  ...over,
});
const nodes = [node({ name: 'n1' }), node({ name: 'n2', labels: { zone: 'b' } }), node({ name: 'n3', labels: { zone: 'b', [Labels.excludeFromExternalLoadBalancers]: '' } })];

describe('node-level eligibility', () => {
  const opts = { nodeSelectors: [], localOnly: false, nodesWithReadyEndpoints: new Set<string>() };
  test('each reason a node may not announce', () => {
    expect(ineligibility(node(), opts)).toBeUndefined();
    expect(ineligibility(node({ speakerAlive: false }), opts)).toBe('speaker-down');
    expect(ineligibility(node({ labels: { [Labels.excludeFromExternalLoadBalancers]: '' } }), opts)).toBe('excluded');
    expect(ineligibility(node({ networkUnavailable: true }), opts)).toBe('network-unavailable');
    expect(ineligibility(node(), { ...opts, nodeSelectors: [{ matchLabels: { zone: 'b' } }] })).toBe('node-selector');
    expect(ineligibility(node(), { ...opts, nodeSelectors: [{ matchLabels: { zone: 'b' } }, { matchLabels: { zone: 'a' } }] })).toBeUndefined();
    expect(ineligibility(node(), { ...opts, localOnly: true })).toBe('no-local-endpoint');
    expect(ineligibility(node(), { ...opts, localOnly: true, nodesWithReadyEndpoints: new Set(['n1']) })).toBeUndefined();
  });

  test('label selector expressions', () => {
    const labels = { zone: 'a', rack: '7' };
    expect(selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, labels)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }, labels)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] }, labels)).toBe(true);
    expect(selectorMatches({}, labels)).toBe(true);
  });
});

describe('eligibility of an address', () => {
  test('an address lies in the pool whose range holds it, IPv4 or IPv6', () => {
    expect(poolOf('198.51.100.10', pools)?.name).toBe('web');
    expect(poolOf('198.51.100.150', pools)?.name).toBe('db');
    expect(poolOf('2001:db8:100::7', pools)?.name).toBe('web');
    expect(poolOf('203.0.113.1', pools)).toBeUndefined();
    expect(poolOf('not-an-ip', pools)).toBeUndefined();
  });

  test('an advertisement with no pool named covers every pool; excluded nodes never announce', () => {
    const e = eligibility(svc(), '198.51.100.10', [{ name: 'all' }], pools, nodes);
    expect(e.nodes).toEqual(['n1', 'n2']);
    expect(e.refused.get('n3')).toBe('excluded');
  });

  test('pools by name or by selector; an address of another pool is not covered', () => {
    expect(eligibility(svc(), '198.51.100.10', [{ name: 'a', ipAddressPools: ['db'] }], pools, nodes).nodes).toEqual([]);
    expect(eligibility(svc(), '198.51.100.10', [{ name: 'a', ipAddressPools: ['db'] }], pools, nodes).refused.get('n1')).toBe('no-advertisement');
    expect(eligibility(svc(), '198.51.100.10', [{ name: 'a', ipAddressPoolSelectors: [{ matchLabels: { tier: 'web' } }] }], pools, nodes).nodes).toEqual(['n1', 'n2']);
    expect(eligibility(svc(), '203.0.113.1', [{ name: 'all' }], pools, nodes).nodes).toEqual([]);
  });

  test('serviceSelectors pick Services by label', () => {
    expect(eligibility(svc(), '198.51.100.10', [{ name: 'a', serviceSelectors: [{ matchLabels: { app: 'other' } }] }], pools, nodes).nodes).toEqual([]);
    expect(eligibility(svc(), '198.51.100.10', [{ name: 'a', serviceSelectors: [{ matchLabels: { app: 'kuard' } }] }], pools, nodes).nodes).toEqual(['n1', 'n2']);
  });

  test('nodeSelectors: a node is eligible when any covering advertisement selects it', () => {
    const zoneB = { name: 'b', nodeSelectors: [{ matchLabels: { zone: 'b' } }] };
    expect(eligibility(svc(), '198.51.100.10', [zoneB], pools, nodes).nodes).toEqual(['n2']);
    expect(eligibility(svc(), '198.51.100.10', [zoneB], pools, nodes).refused.get('n1')).toBe('node-selector');
    expect(eligibility(svc(), '198.51.100.10', [zoneB, { name: 'a', nodeSelectors: [{ matchLabels: { zone: 'a' } }] }], pools, nodes).nodes).toEqual(['n1', 'n2']);
  });

  test('nothing is announced for a Service without a ready endpoint', () => {
    const e = eligibility(svc({ hasReadyEndpoint: false, readyNodes: new Set() }), '198.51.100.10', [{ name: 'all' }], pools, nodes);
    expect(e.nodes).toEqual([]);
    expect(e.refused.get('n1')).toBe('no-ready-endpoint');
  });

  test('externalTrafficPolicy Local: only nodes with a ready endpoint; dead speakers and NetworkUnavailable never', () => {
    expect(eligibility(svc({ localOnly: true }), '198.51.100.10', [{ name: 'all' }], pools, nodes).nodes).toEqual(['n1']);
    const down = [node({ name: 'n1', speakerAlive: false }), node({ name: 'n2', networkUnavailable: true })];
    const e = eligibility(svc(), '198.51.100.10', [{ name: 'all' }], pools, down);
    expect(e.nodes).toEqual([]);
    expect([...e.refused.values()]).toEqual(['speaker-down', 'network-unavailable']);
  });
});
