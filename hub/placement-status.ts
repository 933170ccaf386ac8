import {
  ClusterResourcePlacementConditions as CRPC,
  PerClusterPlacementConditions as PCC,
  PlacementReasons as R,
  WorkConditions,
  type ClusterResourcePlacementStatus,
  type FailedResourcePlacement,
  type ResourceIdentifier,
  type ResourcePlacementStatus,
  type Work,
} from '../api/placement.js';
import { Annotations } from '../api/labels.js';
import type { Condition, ConditionStatus } from '../api/meta.js';
import { findCondition, setCondition, type ConditionInput } from '../runtime/conditions.js';
import type { SchedulingDecision } from './placement-scheduler.js';
import type { ClusterWorkState } from './rollout.js';

/**
 * What a ClusterResourcePlacement's status says, from the scheduling decision and what each
 * member reported on its Work. Pure. A member's report counts only for the Work generation it
 * names, so "Applied True" always means the current content.
 */

export interface WorkReport extends ClusterWorkState {
  /** Applied condition of the current generation; undefined while the member has not reported it. */
  applied?: Condition;
  availableCondition?: Condition;
  failed: FailedResourcePlacement[];
}

export function workReport(work: Work): WorkReport {
  const gen = work.metadata.generation;
  const current = (type: string) => {
    const c = findCondition(work.status?.conditions, type);
    return c && c.observedGeneration === gen ? c : undefined;
  };
  const applied = current(WorkConditions.Applied);
  const availableCondition = current(WorkConditions.Available);
  const failed: FailedResourcePlacement[] = [];
  if (applied) {
    for (const mc of work.status?.manifestConditions ?? []) {
      const c = findCondition(mc.conditions, WorkConditions.Applied);
      if (c && c.status !== 'True') {
        const { ordinal: _o, resource: _r, ...id } = mc.identifier;
        failed.push({ ...id, kind: id.kind ?? '', condition: c });
      }
    }
  }
  return { hash: work.metadata.annotations?.[Annotations.workResourceHash], available: availableCondition?.status === 'True', applied, availableCondition, failed };
}

export interface StatusInput {
  generation: number;
  decision: SchedulingDecision;
  selectedResources: (ResourceIdentifier & { kind: string; name: string })[];
  desiredHash: string;
  reports: ReadonlyMap<string, WorkReport>;
  /** Clusters held back by the rollout. */
  waiting: readonly string[];
  previous?: ClusterResourcePlacementStatus;
  now: Date;
}

type Verdict = { status: ConditionStatus; reason: string; message: string };

function aggregate(clusters: string[], per: Map<string, Verdict>, what: string, ok: string, bad: string, pending: string): Verdict {
  if (clusters.length === 0) return { status: 'Unknown', reason: R.NoClusters, message: 'no cluster is picked' };
  const failed = clusters.filter((c) => per.get(c)?.status === 'False');
  const unknown = clusters.filter((c) => per.get(c)?.status !== 'True' && per.get(c)?.status !== 'False');
  if (failed.length > 0) return { status: 'False', reason: bad, message: `not ${what} on ${failed.length} of ${clusters.length} clusters: ${failed.join(', ')}` };
  if (unknown.length > 0) return { status: 'Unknown', reason: pending, message: `waiting for ${unknown.length} of ${clusters.length} clusters: ${unknown.join(', ')}` };
  return { status: 'True', reason: ok, message: `${what} on all ${clusters.length} clusters` };
}

export function placementStatus(input: StatusInput): ClusterResourcePlacementStatus {
  const { generation: gen, decision, now } = input;
  const prevByCluster = new Map((input.previous?.placementStatuses ?? []).map((p) => [p.clusterName ?? '', p]));
  const applied = new Map<string, Verdict>();
  const available = new Map<string, Verdict>();
  const placementStatuses: ResourcePlacementStatus[] = [];
  for (const cluster of decision.selected) {
    const r = input.reports.get(cluster);
    const synced = r?.hash === input.desiredHash;
    let conds = prevByCluster.get(cluster)?.conditions;
    const set = (c: ConditionInput) => (conds = setCondition(conds, c, gen, now));
    set({ type: PCC.Scheduled, status: 'True', reason: 'Scheduled', message: decision.message });
    set(synced
      ? { type: PCC.WorkSynchronized, status: 'True', reason: R.WorkSynchronized, message: 'the Work carries the latest selected resources' }
      : { type: PCC.WorkSynchronized, status: 'False', reason: R.WorkNotSynchronized, message: input.waiting.includes(cluster) ? 'waiting for the rollout (maxUnavailable)' : 'writing the Work' });
    const a: Verdict = synced && r?.applied
      ? { status: r.applied.status, reason: r.applied.status === 'True' ? R.Applied : R.ApplyFailed, message: r.applied.message ?? '' }
      : { status: 'Unknown', reason: R.ApplyPending, message: 'the member has not applied the latest resources yet' };
    const v: Verdict = synced && r?.availableCondition
      ? { status: r.availableCondition.status, reason: r.availableCondition.status === 'True' ? R.Available : R.NotAvailable, message: r.availableCondition.message ?? '' }
      : { status: 'Unknown', reason: R.NotAvailable, message: 'the member has not reported availability yet' };
    applied.set(cluster, a);
    available.set(cluster, v);
    set({ type: PCC.Applied, ...a });
    set({ type: PCC.Available, ...v });
    const failed = synced ? (r?.failed ?? []).slice(0, 100) : [];
    placementStatuses.push({ clusterName: cluster, ...(failed.length > 0 ? { failedPlacements: failed } : {}), conditions: conds });
  }
  let conds = input.previous?.conditions;
  const set = (c: ConditionInput) => (conds = setCondition(conds, c, gen, now));
  set(decision.satisfied
    ? { type: CRPC.Scheduled, status: 'True', reason: R.SchedulingPolicyFulfilled, message: decision.message }
    : { type: CRPC.Scheduled, status: 'False', reason: R.SchedulingPolicyUnfulfilled, message: decision.message });
  set(input.waiting.length === 0
    ? { type: CRPC.RolloutStarted, status: 'True', reason: R.RolloutStarted, message: 'every picked cluster gets the latest resources' }
    : { type: CRPC.RolloutStarted, status: 'False', reason: R.RolloutPending, message: `held back by maxUnavailable: ${input.waiting.join(', ')}` });
  const unsynced = decision.selected.filter((c) => input.reports.get(c)?.hash !== input.desiredHash);
  set(unsynced.length === 0
    ? { type: CRPC.WorkSynchronized, status: 'True', reason: R.WorkSynchronized, message: `Works are up to date on ${decision.selected.length} clusters` }
    : { type: CRPC.WorkSynchronized, status: 'False', reason: R.WorkNotSynchronized, message: `Works not written yet: ${unsynced.join(', ')}` });
  set({ type: CRPC.Applied, ...aggregate(decision.selected, applied, 'applied', R.Applied, R.ApplyFailed, R.ApplyPending) });
  set({ type: CRPC.Available, ...aggregate(decision.selected, available, 'available', R.Available, R.NotAvailable, R.NotAvailable) });
  return { selectedResources: input.selectedResources, placementStatuses, conditions: conds };
}

/** Two statuses equal in everything a reader sees (transition times of unchanged conditions are kept anyway). */
export function sameStatus(a: ClusterResourcePlacementStatus | undefined, b: ClusterResourcePlacementStatus): boolean {
  return JSON.stringify(a ?? {}) === JSON.stringify(b);
}
