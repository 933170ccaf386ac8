import { describe, expect, it } from '@jest/globals';
import type { MemberCluster } from '../api/cluster.js';
import { DefaultLivenessPolicy, endpointLiveness, withdrawalBoundMs } from './endpoint-liveness.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(T0 + ms);

function member(heartbeatMsAgo: number | undefined, extra: { deleting?: boolean; period?: number } = {}): MemberCluster {
  return {
    apiVersion: 'cluster.kubernetes-fleet.io/v1beta1',
    kind: 'MemberCluster',
    metadata: { name: 'member-2', ...(extra.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { identity: { kind: 'ServiceAccount', name: 'x', namespace: 'y' }, heartbeatPeriodSeconds: extra.period ?? 10 },
    status: heartbeatMsAgo === undefined ? {} : { agentStatus: [{ type: 'MemberAgent', lastReceivedHeartbeat: new Date(T0 - heartbeatMsAgo).toISOString() }] },
  };
}

describe('endpointLiveness', () => {
  it('serves a member whose heartbeat is fresh, and says when to look again (at its deadline)', () => {
    // Period 10 s, 3 missed → deadline 30 s after the beat; the beat was 5 s ago.
    expect(endpointLiveness(member(5_000), DefaultLivenessPolicy, at(0))).toEqual({ serve: true, reason: 'Alive', recheckInMs: 25_000 });
  });

  it('withdraws a member the moment it passes its deadline (default grace 0)', () => {
    expect(endpointLiveness(member(30_000), DefaultLivenessPolicy, at(0))).toEqual({ serve: false, reason: 'HeartbeatOverdue', overdueMs: 0 });
    expect(endpointLiveness(member(29_999), DefaultLivenessPolicy, at(0)).serve).toBe(true);
  });

  it('a grace keeps the endpoints that long after the deadline, no longer', () => {
    const policy = { ...DefaultLivenessPolicy, graceMs: 10_000 };
    expect(endpointLiveness(member(35_000), policy, at(0))).toEqual({ serve: true, reason: 'Alive', recheckInMs: 5_000 });
    expect(endpointLiveness(member(40_000), policy, at(0))).toMatchObject({ serve: false, reason: 'HeartbeatOverdue', overdueMs: 10_000 });
  });

  it('fail-static keeps a silent member\'s endpoints', () => {
    expect(endpointLiveness(member(3_600_000), { ...DefaultLivenessPolicy, failStatic: true }, at(0))).toEqual({ serve: true, reason: 'FailStatic' });
  });

  it('a member that left is withdrawn at once, even fail-static', () => {
    expect(endpointLiveness(member(1_000, { deleting: true }), { ...DefaultLivenessPolicy, failStatic: true }, at(0))).toEqual({ serve: false, reason: 'Left' });
    expect(endpointLiveness(undefined, DefaultLivenessPolicy, at(0))).toEqual({ serve: false, reason: 'Left' });
  });

  it('a member that never reported is not served', () => {
    expect(endpointLiveness(member(undefined), DefaultLivenessPolicy, at(0))).toEqual({ serve: false, reason: 'NeverReported' });
  });

  it('the deadline follows the member\'s own heartbeat period and the missed-heartbeat count', () => {
    expect(endpointLiveness(member(100_000, { period: 60 }), DefaultLivenessPolicy, at(0)).serve).toBe(true);
    expect(endpointLiveness(member(100_000, { period: 60 }), { ...DefaultLivenessPolicy, missedHeartbeats: 1 }, at(0)).serve).toBe(false);
  });

  it('the promised bound is 10 s past the deadline plus the grace, and none when fail-static', () => {
    expect(withdrawalBoundMs(DefaultLivenessPolicy)).toBe(10_000);
    expect(withdrawalBoundMs({ ...DefaultLivenessPolicy, graceMs: 30_000 })).toBe(40_000);
    expect(withdrawalBoundMs({ ...DefaultLivenessPolicy, failStatic: true })).toBeUndefined();
  });
});
