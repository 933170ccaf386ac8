import { describe, expect, test } from '@jest/globals';
import { Labels } from '../../api/labels.js';
import type { IPAddressPool, L2Advertisement } from '../../api/metallb.js';
import { buildView, type EndpointSliceObject, type NodeObject, type ServiceObject } from '../view.js';
import { electAnnouncer } from './election.js';
import { layer2Plan } from './plan.js';

const nodeObj = (name: string, labels: Record<string, string> = {}, networkUnavailable = false): NodeObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels },
  status: { conditions: [{ type: 'NetworkUnavailable', status: networkUnavailable ? 'True' : 'False' }] },
});
const service = (name: string, ips: string[], over: Partial<ServiceObject['spec']> = {}): ServiceObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'demo', uid: `uid-${name}`, labels: { app: name } },
  spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Cluster', ...over },
  status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } },
});
const slice = (svc: string, eps: { node: string; ready?: boolean; serving?: boolean; terminating?: boolean }[]): EndpointSliceObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: `${svc}-x`, namespace: 'demo', labels: { [Labels.serviceName]: svc } },
  endpoints: eps.map((e, i) => ({ addresses: [`198.18.0.${i + 1}`], nodeName: e.node, conditions: { ready: e.ready, serving: e.serving, terminating: e.terminating } })),
});
const pool: IPAddressPool = { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'lab' }, spec: { addresses: ['198.51.100.0/24', '2001:db8:100::/64'] } };
const l2 = (name: string, spec: L2Advertisement['spec'] = {}): L2Advertisement => ({ apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: { name }, spec });

const nodes = [nodeObj('member-1-node-1'), nodeObj('member-1-node-2')];
const both = new Set(['member-1-node-1', 'member-1-node-2']);
const inputs = (self: string, over: Partial<Parameters<typeof buildView>[0]> = {}) => ({
  node: self,
  nodes,
  services: [service('kuard', ['198.51.100.10', '2001:db8:100::10'])],
  endpointSlices: [slice('kuard', [{ node: 'member-1-node-1' }, { node: 'member-1-node-2' }])],
  pools: [pool],
  l2Advertisements: [l2('all')],
  alive: both,
  ...over,
});

describe('layer-2 plan', () => {
  test('exactly one node announces a Service, both of its families, and every speaker agrees which', () => {
    const p1 = layer2Plan(buildView(inputs('member-1-node-1')));
    const p2 = layer2Plan(buildView(inputs('member-1-node-2')));
    const winner = electAnnouncer('198.51.100.10', [...both]);
    const [mine, other] = winner === 'member-1-node-1' ? [p1, p2] : [p2, p1];
    expect(mine.services.get('demo/kuard')?.ips).toEqual(['198.51.100.10', '2001:db8:100::10']);
    expect(other.services.size).toBe(0);
    expect(p1.announcers).toEqual(p2.announcers);
  });

  test('when the winner\'s speaker is dead the other node takes the Service', () => {
    const winner = electAnnouncer('198.51.100.10', [...both])!;
    const other = [...both].find((n) => n !== winner)!;
    const p = layer2Plan(buildView(inputs(other, { alive: new Set([other]) })));
    expect(p.services.get('demo/kuard')?.ips).toHaveLength(2);
  });

  test('no ready endpoint, no advertisement, other class, or no address: nothing announced', () => {
    const none = (over: Partial<Parameters<typeof buildView>[0]>) => [...both].every((n) => layer2Plan(buildView(inputs(n, over))).services.size === 0);
    expect(none({ endpointSlices: [slice('kuard', [{ node: 'member-1-node-1', ready: false }])] })).toBe(true);
    expect(none({ endpointSlices: [] })).toBe(true);
    expect(none({ l2Advertisements: [] })).toBe(true);
    expect(none({ services: [service('kuard', ['198.51.100.10'], { loadBalancerClass: 'other' })] })).toBe(true);
    expect(none({ services: [service('kuard', [])] })).toBe(true);
    expect(none({ services: [service('kuard', ['198.51.100.10'], { type: 'ClusterIP' })] })).toBe(true);
  });

  test('a serving endpoint that is not terminating still counts (MetalLB EndpointCanServe)', () => {
    const some = [...both].some((n) => layer2Plan(buildView(inputs(n, { endpointSlices: [slice('kuard', [{ node: 'member-1-node-1', ready: false, serving: true }])] }))).services.size > 0);
    expect(some).toBe(true);
  });

  test('externalTrafficPolicy Local goes to a node with a local endpoint; NetworkUnavailable and nodeSelectors are honoured', () => {
    const local = { services: [service('kuard', ['198.51.100.10'], { externalTrafficPolicy: 'Local' })], endpointSlices: [slice('kuard', [{ node: 'member-1-node-2' }])] };
    expect(layer2Plan(buildView(inputs('member-1-node-2', local))).services.size).toBe(1);
    expect(layer2Plan(buildView(inputs('member-1-node-1', local))).services.size).toBe(0);
    const unavailable = { nodes: [nodeObj('member-1-node-1', {}, true), nodeObj('member-1-node-2')] };
    expect(layer2Plan(buildView(inputs('member-1-node-2', unavailable))).services.size).toBe(1);
    const selected = { nodes: [nodeObj('member-1-node-1'), nodeObj('member-1-node-2', { l2: 'yes' })], l2Advertisements: [l2('sel', { nodeSelectors: [{ matchLabels: { l2: 'yes' } }] })] };
    expect(layer2Plan(buildView(inputs('member-1-node-2', selected))).services.size).toBe(1);
  });

  test('interfaces: those the advertisements selecting this node name; any advertisement without a list means all', () => {
    const winner = electAnnouncer('198.51.100.10', [...both])!;
    const named = layer2Plan(buildView(inputs(winner, { l2Advertisements: [l2('a', { interfaces: ['eth0'] }), l2('b', { interfaces: ['eth1'] })] })));
    expect(named.services.get('demo/kuard')?.interfaces).toEqual(['eth0', 'eth1']);
    const all = layer2Plan(buildView(inputs(winner, { l2Advertisements: [l2('a', { interfaces: ['eth0'] }), l2('b')] })));
    expect(all.services.get('demo/kuard')?.interfaces).toEqual([]);
  });
});
