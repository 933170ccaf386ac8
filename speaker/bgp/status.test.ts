import { expect, test } from '@jest/globals';
import type { ServiceBGPStatus } from '../../api/metallb.js';
import { bgpStatusChanges, fieldManagerFor } from './status.js';

const obj = (name: string, svc: string, peers: string[], node = 'node-1'): ServiceBGPStatus => ({
  apiVersion: 'metallb.io/v1beta1',
  kind: 'ServiceBGPStatus',
  metadata: { name, namespace: 'fleetlb-system' },
  status: { node, serviceNamespace: 'app', serviceName: svc, peers },
});

test('ServiceBGPStatus objects: create the missing, update changed peers, delete the stale and duplicates', () => {
  const existing = [obj('bgp-a', 'web', ['r1']), obj('bgp-b', 'db', ['r1', 'r2']), obj('bgp-c', 'gone', ['r1']), obj('bgp-d', 'web', ['r1'])];
  const desired = new Map([
    ['app/web', { namespace: 'app', name: 'web', peers: ['r1'] }],
    ['app/db', { namespace: 'app', name: 'db', peers: ['r2'] }],
    ['app/new', { namespace: 'app', name: 'new', peers: ['r1', 'r2'] }],
  ]);
  const c = bgpStatusChanges(existing, desired);
  expect(c.create).toEqual([{ namespace: 'app', name: 'new', peers: ['r1', 'r2'] }]);
  expect(c.update.map((u) => [u.object.metadata.name, u.peers])).toEqual([['bgp-b', ['r2']]]);
  expect(c.delete.map((d) => d.metadata.name).sort()).toEqual(['bgp-c', 'bgp-d']);
});

test('one field manager per node, within the API\'s 128 characters', () => {
  expect(fieldManagerFor('member-1-node-2')).toBe('fleetlb-speaker-bgp.member-1-node-2');
  expect(fieldManagerFor('n'.repeat(300))).toHaveLength(128);
});
