/**
 * Rollout: which members get their Work written now, and which lose theirs. Pure. New clusters
 * are written at once (nothing runs there to disturb); clusters whose Work is out of date are
 * updated at most `maxUnavailable` at a time, counting those not available yet; clusters no
 * longer picked lose their Work only while enough picked clusters stay available (make before
 * break). Fleet does this with bindings and maxSurge; see docs/adr/0040.
 */

export interface ClusterWorkState {
  /** Hash of the content the Work carries now; undefined when the cluster has no Work. */
  hash?: string;
  /** The member reports the current Work generation available. */
  available: boolean;
}

export interface RolloutPlan {
  /** Clusters whose Work is written (created or updated) now. */
  write: string[];
  /** Clusters whose Work is deleted now. */
  remove: string[];
  /** Out-of-date or departing clusters held back by maxUnavailable. */
  waiting: string[];
}

/** maxUnavailable as a number of clusters: "25%" of 4 is 1; never below 1, or nothing could move. */
export function maxUnavailableCount(value: number | string | undefined, clusters: number): number {
  const v = value ?? '25%';
  let n: number;
  if (typeof v === 'number') n = v;
  else if (/^\d+%$/.test(v)) n = Math.floor((Number(v.slice(0, -1)) * clusters) / 100);
  else n = Number(v);
  return Number.isFinite(n) ? Math.max(1, Math.floor(n)) : 1;
}

export function planRollout(selected: readonly string[], works: ReadonlyMap<string, ClusterWorkState>, desiredHash: string, maxUnavailable: number | string | undefined): RolloutPlan {
  const sel = [...selected].sort();
  const budgetTotal = maxUnavailableCount(maxUnavailable, sel.length);
  const write: string[] = [];
  const waiting: string[] = [];
  const stale: string[] = [];
  let unavailable = 0;
  let availableCurrent = 0;
  for (const c of sel) {
    const w = works.get(c);
    if (!w?.hash) write.push(c);
    else if (w.hash !== desiredHash) {
      if (w.available) stale.push(c);
      else {
        write.push(c); // already down: updating it costs nothing more, but it is down
        unavailable++;
      }
    } else if (!w.available) unavailable++;
    else availableCurrent++;
  }
  let budget = budgetTotal - unavailable;
  for (const c of stale) {
    if (budget > 0) {
      write.push(c);
      budget--;
    } else waiting.push(c);
  }
  const departing = [...works.keys()].filter((c) => !sel.includes(c)).sort();
  const remove: string[] = [];
  const minAvailable = Math.max(0, sel.length - budgetTotal);
  // Stale-but-available picked clusters still serve: they count towards what stays available.
  const serving = availableCurrent + stale.filter((c) => !write.includes(c)).length;
  for (const c of departing) {
    if (serving >= minAvailable) remove.push(c);
    else waiting.push(c);
  }
  return { write: write.sort(), remove, waiting: waiting.sort() };
}
