import type { MemberCluster } from '../api/cluster.js';
import { heartbeatBoundMs, memberAgent } from './member-health.js';

/**
 * Whether the hub still serves a member's endpoints to importers. Pure. A member that left (its
 * MemberCluster is gone or deleting) is out at once; one that misses its heartbeat deadline
 * (`missedHeartbeats` × its heartbeat period after the last beat) is out `graceMs` after the
 * deadline, unless the policy is fail-static: then the last endpoints stay, on the bet that the
 * agent, not the cluster's pods, is what died. The hub re-checks at the moment the verdict would
 * change, so the withdrawal lands within grace + one reconcile of the deadline (docs/adr/0060).
 */

export interface LivenessPolicy {
  missedHeartbeats: number;
  /** After the heartbeat deadline, how long the endpoints stay. */
  graceMs: number;
  /** Keep a silent member's last endpoints (a member that left is still withdrawn). */
  failStatic: boolean;
}

/** The default: withdrawn at the deadline; the documented bound (10 s) covers the reconcile that follows. */
export const DefaultLivenessPolicy: LivenessPolicy = { missedHeartbeats: 3, graceMs: 0, failStatic: false };

/** What the hub promises: endpoints of a silent member are gone at most this long after its deadline. */
export const DeadClusterBoundMs = 10_000;

/** The bound under a policy: the grace plus DeadClusterBoundMs; undefined when fail-static never withdraws. */
export function withdrawalBoundMs(policy: LivenessPolicy): number | undefined {
  return policy.failStatic ? undefined : policy.graceMs + DeadClusterBoundMs;
}

export type Liveness =
  | { serve: true; reason: 'Alive' | 'FailStatic'; /** When to look again (the verdict changes by itself then). */ recheckInMs?: number }
  | { serve: false; reason: 'Left' | 'NeverReported' | 'HeartbeatOverdue'; /** For a silent member: how far past its deadline it is. */ overdueMs?: number };

export function endpointLiveness(member: MemberCluster | undefined, policy: LivenessPolicy, now: Date): Liveness {
  if (!member || member.metadata.deletionTimestamp) return { serve: false, reason: 'Left' };
  const beat = Date.parse(memberAgent(member.status?.agentStatus)?.lastReceivedHeartbeat ?? '');
  if (!Number.isFinite(beat)) return { serve: false, reason: 'NeverReported' };
  const deadline = beat + heartbeatBoundMs(member.spec.heartbeatPeriodSeconds, policy.missedHeartbeats);
  const until = deadline + policy.graceMs - now.getTime();
  if (until > 0) return { serve: true, reason: 'Alive', recheckInMs: until };
  if (policy.failStatic) return { serve: true, reason: 'FailStatic' };
  return { serve: false, reason: 'HeartbeatOverdue', overdueMs: now.getTime() - deadline };
}
