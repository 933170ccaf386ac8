import { describe, expect, test } from '@jest/globals';
import type { ServiceL2Status } from '../../api/metallb.js';
import { statusChanges } from './status.js';

const obj = (name: string, svc: string, interfaces: string[]): ServiceL2Status => ({
  apiVersion: 'metallb.io/v1beta1',
  kind: 'ServiceL2Status',
  metadata: { name },
  status: { node: 'n1', serviceNamespace: 'demo', serviceName: svc, interfaces: interfaces.map((n) => ({ name: n })) },
});

describe('ServiceL2Status changes', () => {
  test('create the missing, update changed interfaces, delete the stale and duplicates', () => {
    const desired = new Map([
      ['demo/a', { namespace: 'demo', name: 'a', interfaces: ['eth0'] }],
      ['demo/b', { namespace: 'demo', name: 'b', interfaces: ['eth0', 'eth1'] }],
      ['demo/c', { namespace: 'demo', name: 'c', interfaces: ['eth0'] }],
    ]);
    const c = statusChanges([obj('l2-1', 'a', ['eth0']), obj('l2-2', 'b', ['eth0']), obj('l2-3', 'gone', ['eth0']), obj('l2-4', 'a', ['eth0'])], desired);
    expect(c.create.map((x) => x.name)).toEqual(['c']);
    expect(c.update.map((u) => [u.object.metadata.name, u.interfaces])).toEqual([['l2-2', ['eth0', 'eth1']]]);
    expect(c.delete.map((o) => o.metadata.name)).toEqual(['l2-3', 'l2-4']);
  });

  test('nothing to do when they already match', () => {
    const c = statusChanges([obj('l2-1', 'a', ['eth0'])], new Map([['demo/a', { namespace: 'demo', name: 'a', interfaces: ['eth0'] }]]));
    expect(c).toEqual({ create: [], update: [], delete: [] });
  });
});
