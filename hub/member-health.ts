import { AgentConditions, AgentTypes, MemberClusterConditions, MemberHealthReasons, type AgentStatus, type MemberCluster } from '../api/cluster.js';
import { ClusterProperties } from '../api/labels.js';
import type { ConditionInput } from '../runtime/conditions.js';
import { findCondition, isTrue } from '../runtime/conditions.js';
import type { ClusterView } from './placement-scheduler.js';

/**
 * A member's health as the hub judges it, from what its agent reported. Pure. The agent says
 * Healthy itself, but only the hub can tell that it has gone quiet: a heartbeat older than
 * `missedHeartbeats` periods makes the member not healthy, whatever it said last.
 */

export const DEFAULT_HEARTBEAT_PERIOD_SECONDS = 60;
export const DEFAULT_MISSED_HEARTBEATS = 3;

export interface HealthJudgement {
  joined: ConditionInput;
  healthy: ConditionInput;
  /** When the verdict changes by itself (the heartbeat becomes overdue), in ms from now. */
  recheckInMs?: number;
}

export function memberAgent(agents: readonly AgentStatus[] | undefined): AgentStatus | undefined {
  return agents?.find((a) => a.type === AgentTypes.MemberAgent);
}

/** How long a heartbeat stays fresh. */
export function heartbeatBoundMs(periodSeconds: number | undefined, missedHeartbeats: number): number {
  return (periodSeconds ?? DEFAULT_HEARTBEAT_PERIOD_SECONDS) * missedHeartbeats * 1000;
}

export function judgeHealth(agent: AgentStatus | undefined, boundMs: number, now: Date): HealthJudgement {
  const joinedCond = findCondition(agent?.conditions, AgentConditions.Joined);
  const joined: ConditionInput = joinedCond
    ? { type: MemberClusterConditions.Joined, status: joinedCond.status, reason: joinedCond.reason, message: joinedCond.message }
    : { type: MemberClusterConditions.Joined, status: 'Unknown', reason: 'MemberClusterJoinStateUnknown', message: 'the member agent has not reported yet' };
  const beat = agent?.lastReceivedHeartbeat ? Date.parse(agent.lastReceivedHeartbeat) : NaN;
  if (!Number.isFinite(beat)) {
    return { joined, healthy: { type: MemberClusterConditions.Healthy, status: 'Unknown', reason: MemberHealthReasons.NoHeartbeat, message: 'no heartbeat from the member agent yet' } };
  }
  const age = now.getTime() - beat;
  if (age > boundMs) {
    return {
      joined,
      healthy: { type: MemberClusterConditions.Healthy, status: 'False', reason: MemberHealthReasons.HeartbeatOverdue, message: `last heartbeat ${Math.round(age / 1000)} s ago, more than the ${Math.round(boundMs / 1000)} s allowed` },
    };
  }
  const said = findCondition(agent?.conditions, AgentConditions.Healthy);
  const healthy: ConditionInput = said?.status === 'True'
    ? { type: MemberClusterConditions.Healthy, status: 'True', reason: MemberHealthReasons.Healthy, message: said.message ?? 'the member agent reports healthy' }
    : { type: MemberClusterConditions.Healthy, status: 'False', reason: MemberHealthReasons.Unhealthy, message: said?.message ?? 'the member agent does not report healthy' };
  return { joined, healthy, recheckInMs: Math.max(0, boundMs - age) + 1000 };
}

/** Kubernetes quantity ("3500m", "16Gi", "2") as a number; undefined when it is not one. */
export function parseQuantity(q: string | number | undefined): number | undefined {
  if (q === undefined) return undefined;
  if (typeof q === 'number') return q;
  const m = /^([+-]?\d+(?:\.\d+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(q.trim());
  if (!m?.[1]) return undefined;
  const mult: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
  return Number(m[1]) * (m[2] ? (mult[m[2]] ?? 1) : 1);
}

/** The scheduler's view of a MemberCluster at `now`. */
export function clusterView(mc: MemberCluster, boundMs: number, now: Date): ClusterView {
  const status = mc.status;
  const properties: Record<string, number> = {};
  for (const [k, v] of Object.entries(status?.properties ?? {})) {
    const n = parseQuantity(v.value);
    if (n !== undefined) properties[k] = n;
  }
  const usage = status?.resourceUsage;
  const put = (name: string, q: string | number | undefined) => {
    const n = parseQuantity(q);
    if (n !== undefined) properties[name] = n;
  };
  put(ClusterProperties.totalCPU, usage?.capacity?.cpu);
  put(ClusterProperties.allocatableCPU, usage?.allocatable?.cpu);
  put(ClusterProperties.availableCPU, usage?.available?.cpu);
  put(ClusterProperties.totalMemory, usage?.capacity?.memory);
  put(ClusterProperties.allocatableMemory, usage?.allocatable?.memory);
  put(ClusterProperties.availableMemory, usage?.available?.memory);
  let state: ClusterView['state'] = 'eligible';
  if (mc.metadata.deletionTimestamp) state = 'leaving';
  else {
    const { healthy } = judgeHealth(memberAgent(status?.agentStatus), boundMs, now);
    if (!isTrue(status?.conditions, MemberClusterConditions.Joined) || healthy.status !== 'True') state = 'late';
  }
  return { name: mc.metadata.name ?? '', labels: mc.metadata.labels ?? {}, taints: mc.spec.taints ?? [], properties, state };
}
