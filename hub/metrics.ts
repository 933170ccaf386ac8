import { Gauge } from 'prom-client';
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
