/**
 * metav1.Condition handling. `lastTransitionTime` moves only when the status changes, and every
 * condition records the generation it was computed from, so users can tell stale from current.
 */
import type { Condition } from '../api/meta.js';

export type { Condition, ConditionStatus } from '../api/meta.js';

export type ConditionInput = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

/** The conditions with `next` set; a new array, the input is left as it was. */
export function setCondition(conditions: readonly Condition[] | undefined, next: ConditionInput, generation: number | undefined, now: Date = new Date()): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const prev = i >= 0 ? list[i] : undefined;
  const updated: Condition = {
    type: next.type,
    status: next.status,
    reason: next.reason,
    message: next.message,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    // RFC 3339 to the second, as the API server stores metav1.Time.
    lastTransitionTime: prev && prev.status === next.status ? prev.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
  if (i >= 0) list[i] = updated;
  else list.push(updated);
  return list;
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

/** True when applying `next` would change nothing a user can see (so no status write is needed). */
export function conditionUnchanged(conditions: readonly Condition[] | undefined, next: ConditionInput, generation: number | undefined): boolean {
  const c = findCondition(conditions, next.type);
  return !!c && c.status === next.status && c.reason === next.reason && c.message === next.message && c.observedGeneration === generation;
}
