import { Gauge, Histogram } from 'prom-client';
import { registry } from '../runtime/metrics.js';

/**
 * Member health as the hub judges it, for dashboards and the FleetLBMemberHeartbeatLate alert
 * (deploy/optional/prometheus). Fleet has no gauge for this; the names are ours.
 */
export const hubMetrics = {
  memberHealthy: new Gauge({ name: 'fleetlb_member_cluster_healthy', help: '1 when the member cluster\'s Healthy condition is True, 0 otherwise.', labelNames: ['member'] as const, registers: [registry] }),
  heartbeatAge: new Gauge({ name: 'fleetlb_member_cluster_heartbeat_age_seconds', help: 'Seconds since the member agent\'s last heartbeat, when it has sent one.', labelNames: ['member'] as const, registers: [registry] }),
};

export function recordMemberHealth(member: string, healthy: boolean, lastHeartbeat: string | undefined, now: Date): void {
  hubMetrics.memberHealthy.set({ member }, healthy ? 1 : 0);
  const beat = lastHeartbeat ? Date.parse(lastHeartbeat) : NaN;
  if (Number.isFinite(beat)) hubMetrics.heartbeatAge.set({ member }, Math.max(0, (now.getTime() - beat) / 1000));
  else hubMetrics.heartbeatAge.remove({ member });
}

export function forgetMember(member: string): void {
  hubMetrics.memberHealthy.remove({ member });
  hubMetrics.heartbeatAge.remove({ member });
}

/**
 * The dead-cluster promise (docs/adr/0060) and how it is kept: the bound the hub was started with,
 * and per withdrawal of a silent member's endpoints from an import, how long after the member's
 * heartbeat deadline its EndpointSliceImports were deleted. Alert FleetLBDeadClusterWithdrawalSlow
 * compares the two.
 */
export const deadClusterMetrics = {
  bound: new Gauge({
    name: 'fleetlb_dead_cluster_withdrawal_bound_seconds',
    help: 'Promised bound: a member that misses its heartbeat deadline has its endpoints withdrawn from every import at most this long after the deadline (+Inf with --fail-static).',
    registers: [registry],
  }),
  delay: new Histogram({
    name: 'fleetlb_dead_cluster_withdrawal_delay_seconds',
    help: 'Seconds from a silent member\'s heartbeat deadline to the withdrawal of its endpoints from an import (one observation per import).',
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300],
    registers: [registry],
  }),
};

export function recordWithdrawalBound(boundMs: number | undefined): void {
  deadClusterMetrics.bound.set(boundMs === undefined ? Number.POSITIVE_INFINITY : boundMs / 1000);
}

export function recordWithdrawal(overdueMs: number): void {
  deadClusterMetrics.delay.observe(Math.max(0, overdueMs) / 1000);
}
