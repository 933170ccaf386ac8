import { WorkApplyReasons as R, WorkConditions, type ManifestCondition, type WorkResourceIdentifier, type WorkStatus } from '../../api/placement.js';
import type { Condition } from '../../api/meta.js';
import { findCondition, setCondition } from '../../runtime/conditions.js';

/**
 * What a member says about one Work: per manifest, Applied (or why not) and Available; for the
 * Work, both over all manifests. Pure. Availability follows Fleet's built-in checks: workloads when
 * their controller reports every replica updated and available; other kinds once applied.
 */

export interface ManifestOutcome {
  identifier: WorkResourceIdentifier;
  /** Undefined when applied; otherwise the reason it was not. */
  error?: string;
  /** The object as the server returned it after the apply. */
  live?: { metadata?: { generation?: number }; spec?: Record<string, unknown>; status?: Record<string, unknown> };
}

/** Whether an applied object is available: undefined = not yet, with the reason. */
export function availability(kind: string, live: ManifestOutcome['live']): { available: boolean; message: string } {
  const st = live?.status ?? {};
  const gen = live?.metadata?.generation ?? 0;
  const observed = typeof st.observedGeneration === 'number' ? st.observedGeneration : -1;
  const want = typeof live?.spec?.replicas === 'number' ? live.spec.replicas : 1;
  const num = (k: string) => (typeof st[k] === 'number' ? st[k] : 0);
  switch (kind) {
    case 'Deployment':
    case 'StatefulSet': {
      if (observed < gen) return { available: false, message: `the ${kind} controller has not seen generation ${gen} yet` };
      const available = kind === 'Deployment' ? num('availableReplicas') : num('readyReplicas');
      if (num('updatedReplicas') < want || available < want) return { available: false, message: `${available} of ${want} replicas available` };
      return { available: true, message: `${want} replicas available` };
    }
    case 'DaemonSet': {
      if (observed < gen) return { available: false, message: `the DaemonSet controller has not seen generation ${gen} yet` };
      const desired = num('desiredNumberScheduled');
      if (num('numberAvailable') < desired || num('updatedNumberScheduled') < desired) return { available: false, message: `${num('numberAvailable')} of ${desired} pods available` };
      return { available: true, message: `${desired} pods available` };
    }
    default:
      return { available: true, message: 'applied' };
  }
}

/** The Work status for these outcomes, keeping transition times of what did not change. */
export function workStatus(outcomes: readonly ManifestOutcome[], previous: WorkStatus | undefined, generation: number | undefined, now: Date): WorkStatus {
  const prevByOrdinal = new Map((previous?.manifestConditions ?? []).map((m) => [`${m.identifier.ordinal}/${m.identifier.kind}/${m.identifier.namespace ?? ''}/${m.identifier.name ?? ''}`, m]));
  const manifestConditions: ManifestCondition[] = [];
  let failed = 0;
  let unavailable = 0;
  const notAvailable: string[] = [];
  for (const o of outcomes) {
    const id = o.identifier;
    let conds: Condition[] | undefined = prevByOrdinal.get(`${id.ordinal}/${id.kind}/${id.namespace ?? ''}/${id.name ?? ''}`)?.conditions;
    if (o.error !== undefined) {
      failed++;
      conds = setCondition(conds, { type: WorkConditions.Applied, status: 'False', reason: R.ApplyFailed, message: o.error }, generation, now);
      conds = setCondition(conds, { type: WorkConditions.Available, status: 'Unknown', reason: R.NotAvailable, message: 'not applied' }, generation, now);
      unavailable++;
    } else {
      const a = availability(id.kind ?? '', o.live);
      conds = setCondition(conds, { type: WorkConditions.Applied, status: 'True', reason: R.Applied, message: 'applied with server-side apply' }, generation, now);
      conds = setCondition(conds, { type: WorkConditions.Available, status: a.available ? 'True' : 'False', reason: a.available ? R.Available : R.NotAvailable, message: a.message }, generation, now);
      if (!a.available) {
        unavailable++;
        notAvailable.push(`${id.kind} ${id.namespace ? `${id.namespace}/` : ''}${id.name} (${a.message})`);
      }
    }
    manifestConditions.push({ identifier: id, conditions: conds });
  }
  let conditions = previous?.conditions;
  conditions = setCondition(conditions, failed === 0
    ? { type: WorkConditions.Applied, status: 'True', reason: R.AllApplied, message: `all ${outcomes.length} manifests applied` }
    : { type: WorkConditions.Applied, status: 'False', reason: R.SomeFailed, message: `${failed} of ${outcomes.length} manifests failed to apply: ${outcomes.filter((o) => o.error !== undefined).map((o) => `${o.identifier.kind} ${o.identifier.name}: ${o.error}`).join('; ')}` }, generation, now);
  conditions = setCondition(conditions, unavailable === 0
    ? { type: WorkConditions.Available, status: 'True', reason: R.AllAvailable, message: `all ${outcomes.length} manifests available` }
    : { type: WorkConditions.Available, status: 'False', reason: R.SomeNotAvailable, message: `${unavailable} of ${outcomes.length} manifests not available${notAvailable.length ? `: ${notAvailable.join('; ')}` : ''}` }, generation, now);
  return { conditions, manifestConditions };
}

export function isAvailable(status: WorkStatus): boolean {
  return findCondition(status.conditions, WorkConditions.Available)?.status === 'True';
}
