import { describe, expect, test } from '@jest/globals';
import type { AgentStatus, MemberCluster } from '../api/cluster.js';
import { clusterView, heartbeatBoundMs, judgeHealth, parseQuantity } from './member-health.js';

const now = new Date('2026-11-23T12:00:00Z');
const agent = (secondsAgo: number, healthy = 'True' as 'True' | 'False'): AgentStatus => ({
  type: 'MemberAgent',
  lastReceivedHeartbeat: new Date(now.getTime() - secondsAgo * 1000).toISOString(),
  conditions: [
    { type: 'Joined', status: 'True', reason: 'Joined', message: '', lastTransitionTime: '2026-11-23T11:00:00Z' },
    { type: 'Healthy', status: healthy, reason: 'x', message: '', lastTransitionTime: '2026-11-23T11:00:00Z' },
  ],
});
const member = (a: AgentStatus | undefined, extra: Partial<MemberCluster['metadata']> = {}): MemberCluster => ({
  apiVersion: 'cluster.kubernetes-fleet.io/v1',
  kind: 'MemberCluster',
  metadata: { name: 'member-1', labels: { 'fleet.azure.com/location': 'eastus' }, ...extra },
  spec: { identity: { kind: 'ServiceAccount', name: 'member-1', namespace: 'fleetlb-system' } },
  status: {
    conditions: [{ type: 'Joined', status: 'True', reason: 'MemberClusterJoined', message: '', lastTransitionTime: '2026-11-23T11:00:00Z' }],
    ...(a ? { agentStatus: [a] } : {}),
    properties: { 'kubernetes-fleet.io/node-count': { value: '2', observationTime: '2026-11-23T11:00:00Z' } },
    resourceUsage: { allocatable: { cpu: '3500m', memory: '2Gi' } },
  },
});

describe('member health', () => {
  const bound = heartbeatBoundMs(5, 3);

  test('the bound is the heartbeat period times the misses allowed', () => {
    expect(bound).toBe(15_000);
    expect(heartbeatBoundMs(undefined, 3)).toBe(180_000);
  });

  test('a fresh heartbeat with Healthy=True is healthy, and says when to look again', () => {
    const j = judgeHealth(agent(5), bound, now);
    expect(j.healthy.status).toBe('True');
    expect(j.joined.status).toBe('True');
    expect(j.recheckInMs).toBe(11_000);
  });

  test('an overdue heartbeat is not healthy, even if the agent last said it was', () => {
    const j = judgeHealth(agent(16), bound, now);
    expect(j.healthy).toMatchObject({ status: 'False', reason: 'MemberAgentHeartbeatOverdue' });
    expect(j.healthy.message).toBe('last heartbeat 16 s ago, more than the 15 s allowed');
  });

  test('no report yet is Unknown on both', () => {
    const j = judgeHealth(undefined, bound, now);
    expect([j.joined.status, j.healthy.status]).toEqual(['Unknown', 'Unknown']);
  });

  test('clusterView: eligible, late, leaving; properties as numbers', () => {
    const v = clusterView(member(agent(1)), bound, now);
    expect(v.state).toBe('eligible');
    expect(v.properties).toMatchObject({ 'kubernetes-fleet.io/node-count': 2, 'resources.kubernetes-fleet.io/allocatable-cpu': 3.5, 'resources.kubernetes-fleet.io/allocatable-memory': 2 * 2 ** 30 });
    expect(clusterView(member(agent(20)), bound, now).state).toBe('late');
    expect(clusterView(member(agent(1, 'False')), bound, now).state).toBe('late');
    expect(clusterView(member(undefined), bound, now).state).toBe('late');
    expect(clusterView(member(agent(1), { deletionTimestamp: '2026-11-23T11:59:00Z' }), bound, now).state).toBe('leaving');
  });

  test('quantities', () => {
    expect(parseQuantity('250m')).toBe(0.25);
    expect(parseQuantity('1Ki')).toBe(1024);
    expect(parseQuantity('3')).toBe(3);
    expect(parseQuantity('1.5G')).toBe(1.5e9);
    expect(parseQuantity('lots')).toBeUndefined();
  });
});
