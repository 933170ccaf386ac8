import { describe, expect, test } from '@jest/globals';
import { formatServiceReport, problems, shortAge, type ServiceFacts } from './explain.js';

const base: ServiceFacts = {
  namespace: 'web', name: 'nginx', type: 'LoadBalancer', externalTrafficPolicy: 'Cluster', ports: ['80/TCP'],
  ips: ['198.51.100.10'], pool: 'lan', allocated: { status: 'True', reason: 'IPAllocated', message: 'Assigned 198.51.100.10 from pool lan' },
  endpoints: { 'node-1': { ready: 2, terminating: 0, notReady: 0 }, 'node-2': { ready: 1, terminating: 1, notReady: 1 } },
  l2Advertisements: ['lan'], bgpAdvertisements: [],
  l2: [{ node: 'node-1', interfaces: ['eth0'] }], bgp: [], events: [],
};

describe('explain', () => {
  test('a working L2 Service: the announcing node, and no problem', () => {
    expect(problems(base)).toEqual([]);
    const text = formatServiceReport(base);
    expect(text).toContain('IP: 198.51.100.10 from pool lan');
    expect(text).toContain('ARP/NDP from node node-1 on eth0');
    expect(text).toContain('node-2: 1 ready, 1 terminating, 1 not ready (of 3)');
    expect(text).toContain('Diagnosis: the IP is allocated, has ready endpoints and is announced.');
  });

  test('a BGP Service names its peers and their session state', () => {
    const s: ServiceFacts = { ...base, l2Advertisements: [], l2: [], bgpAdvertisements: ['b'], bgp: [
      { node: 'node-1', sessions: [{ peer: 'router', address: '192.0.2.1', state: 'Established', establishedSince: '2026-01-01T00:00:00Z' }] },
      { node: 'node-2', sessions: [{ peer: 'router', address: '192.0.2.1', state: 'Active', lastError: 'connection refused' }] },
    ] };
    const text = formatServiceReport(s);
    expect(text).toContain('BGP from node node-1 to router (192.0.2.1, Established since 2026-01-01T00:00:00Z)');
    expect(problems(s)).toEqual(['BGP session of node-2 to router (192.0.2.1) is Active: connection refused']);
  });

  test('each reason an IP does not work is said, in the order to fix it', () => {
    expect(problems({ ...base, ips: [], allocated: { status: 'False', reason: 'PoolExhausted', message: 'pool lan is full' } })).toEqual(['no IP: PoolExhausted: pool lan is full']);
    expect(problems({ ...base, ips: [], allocated: undefined })[0]).toMatch(/allocator has not decided/);
    expect(problems({ ...base, endpoints: {}, l2: [] })).toEqual([expect.stringMatching(/^no endpoints/)]);
    expect(problems({ ...base, endpoints: { n: { ready: 0, terminating: 0, notReady: 2 } }, l2: [] })).toEqual([expect.stringMatching(/^no ready endpoint/)]);
    expect(problems({ ...base, l2Advertisements: [], l2: [] })).toEqual(['pool lan is in no L2Advertisement or BGPAdvertisement: the IP is allocated but never announced']);
    expect(problems({ ...base, l2: [] })).toEqual([expect.stringMatching(/^an L2Advertisement covers the pool but no speaker announces the IP/)]);
    expect(problems({ ...base, type: 'ClusterIP' })).toEqual(['web/nginx is a ClusterIP Service; only type LoadBalancer gets an external IP']);
  });

  test('an MCS report groups endpoints by cluster and shows the import', () => {
    const text = formatServiceReport({ ...base, endpoints: { 'member-1': { ready: 2, terminating: 0, notReady: 0 }, 'member-2': { ready: 2, terminating: 0, notReady: 0 } } },
      { namespace: 'kuard-demo', name: 'kuard', serviceImport: 'kuard', clusters: ['member-1', 'member-2'], derivedService: 'derived-kuard', valid: { status: 'True', reason: 'Found' } });
    expect(text).toMatch(/^MultiClusterService kuard-demo\/kuard → ServiceImport kuard → Service derived-kuard\n {2}Valid: True \(Found\)\n {2}Exporting clusters: member-1, member-2/);
    expect(text).toContain('Endpoints by cluster\n  member-1: 2 ready (of 2)\n  member-2: 2 ready (of 2)');
  });

  test('ages read like kubectl', () => {
    const now = Date.parse('2026-01-02T00:00:00Z');
    expect(shortAge('2026-01-01T23:59:30Z', now)).toBe('30s');
    expect(shortAge('2026-01-01T23:00:00Z', now)).toBe('60m');
    expect(shortAge('2026-01-01T00:00:00Z', now)).toBe('24h');
    expect(shortAge(undefined, now)).toBe('?');
  });
});
