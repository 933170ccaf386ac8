import type { Taint } from '../api/cluster.js';
import type { ClusterSelectorTerm, PlacementPolicy, PreferredClusterSelector, Toleration, TopologySpreadConstraint } from '../api/placement.js';
import { selectorMatches } from '../runtime/label-selector.js';

/**
 * The scheduler: which member clusters a ClusterResourcePlacement goes to. Pure — the placement
 * controller hands it the clusters as it sees them and what is placed now, and writes the answer.
 *
 * Fleet's order (reference/fleet.md §2, pkg/scheduler): filter (eligibility, required affinity,
 * taints), then for PickN score by topology spread, then preferred affinity, then stickiness
 * (already placed), ties broken by cluster name. Deviations are in docs/adr/0040.
 */

/** How the hub sees a member for scheduling. */
export interface ClusterView {
  name: string;
  labels: Readonly<Record<string, string>>;
  taints?: readonly Taint[];
  /** Numeric properties (node count, allocatable CPU in cores, memory in bytes, ...). */
  properties?: Readonly<Record<string, number>>;
  /**
   * eligible: joined, healthy, heartbeat on time. late: joined but its heartbeat is overdue or it
   * is not healthy — keeps what it has, gets nothing new. leaving: deleting or left — gets nothing.
   */
  state: 'eligible' | 'late' | 'leaving';
}

export interface NotPicked {
  cluster: string;
  reason: string;
}

export interface SchedulingDecision {
  /** Chosen clusters, sorted by name. */
  selected: string[];
  /** Why each other known cluster was not chosen. */
  notPicked: NotPicked[];
  /** True when the policy got all it asked for (PickN: N clusters; PickFixed: every name). */
  satisfied: boolean;
  message: string;
}

function termMatches(term: ClusterSelectorTerm, c: ClusterView): boolean {
  if (term.labelSelector && !selectorMatches(term.labelSelector, c.labels)) return false;
  for (const e of term.propertySelector?.matchExpressions ?? []) {
    const have = c.properties?.[e.name];
    const want = Number(e.values[0]);
    if (have === undefined || !Number.isFinite(want)) return false;
    const ok = { Gt: have > want, Ge: have >= want, Eq: have === want, Ne: have !== want, Lt: have < want, Le: have <= want }[e.operator];
    if (!ok) return false;
  }
  return true;
}

/** Terms are ORed; no required affinity means every cluster. */
function requiredAffinityMatches(policy: PlacementPolicy | undefined, c: ClusterView): boolean {
  const terms = policy?.affinity?.clusterAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.clusterSelectorTerms;
  if (!terms || terms.length === 0) return true;
  return terms.some((t) => termMatches(t, c));
}

function tolerates(tolerations: readonly Toleration[], taint: Taint): boolean {
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.key === undefined || t.key === '') return t.operator === 'Exists';
    if (t.key !== taint.key) return false;
    return t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '');
  });
}

function untolerated(policy: PlacementPolicy | undefined, c: ClusterView): Taint | undefined {
  return (c.taints ?? []).find((t) => !tolerates(policy?.tolerations ?? [], t));
}

/** Preferred affinity: the sum of the weights of the matching terms (propertySorter scales by the value's rank). */
function affinityScore(preferred: readonly PreferredClusterSelector[], c: ClusterView, all: readonly ClusterView[]): number {
  let score = 0;
  for (const p of preferred) {
    const { propertySorter, ...term } = p.preference;
    if (!termMatches(term, c)) continue;
    if (!propertySorter) {
      score += p.weight;
      continue;
    }
    // Linear scaling between the smallest and the largest observed value, as Fleet does.
    const values = all.map((x) => x.properties?.[propertySorter.name]).filter((v): v is number => v !== undefined);
    const v = c.properties?.[propertySorter.name];
    if (v === undefined || values.length === 0) continue;
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    const frac = hi === lo ? 1 : (v - lo) / (hi - lo);
    score += Math.round(p.weight * (propertySorter.sortOrder === 'Ascending' ? 1 - frac : frac));
  }
  return score;
}

/** Skew of each constraint if `extra` joined `chosen`: max − min count over the constraint's domains. */
function skewsWith(constraints: readonly TopologySpreadConstraint[], domains: Map<string, Set<string>>, chosen: readonly ClusterView[], extra: ClusterView): number[] {
  return constraints.map((tc) => {
    const counts = new Map<string, number>([...(domains.get(tc.topologyKey) ?? [])].map((d) => [d, 0]));
    for (const c of [...chosen, extra]) {
      const d = c.labels[tc.topologyKey];
      if (d !== undefined) counts.set(d, (counts.get(d) ?? 0) + 1);
    }
    const values = [...counts.values()];
    return values.length === 0 ? 0 : Math.max(...values) - Math.min(...values);
  });
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Decide where a placement goes. `current` names the clusters it is placed on now: a late (not
 * healthy, heartbeat overdue) cluster keeps its placement but is never chosen anew, and for PickN
 * a current cluster wins a tie (Fleet's stickiness), so a steady fleet does not reshuffle.
 */
export function schedulePlacement(policy: PlacementPolicy | undefined, clusters: readonly ClusterView[], current: readonly string[] = []): SchedulingDecision {
  const type = policy?.placementType ?? 'PickAll';
  const placed = new Set(current);
  const notPicked: NotPicked[] = [];
  const sorted = [...clusters].sort(byName);

  if (type === 'PickFixed') {
    const names = [...new Set(policy?.clusterNames ?? [])].sort();
    const selected: string[] = [];
    const missing: string[] = [];
    for (const name of names) {
      const c = sorted.find((x) => x.name === name);
      if (!c) missing.push(`${name} (no such member cluster)`);
      else if (c.state === 'leaving') missing.push(`${name} (leaving the fleet)`);
      else if (c.state === 'late' && !placed.has(name)) missing.push(`${name} (not healthy: its heartbeat is overdue)`);
      else selected.push(name);
    }
    for (const c of sorted) if (!names.includes(c.name)) notPicked.push({ cluster: c.name, reason: 'not in clusterNames' });
    for (const m of missing) notPicked.push({ cluster: m.split(' ')[0] ?? m, reason: m.slice(m.indexOf('(') + 1, -1) });
    const satisfied = missing.length === 0;
    return { selected, notPicked, satisfied, message: satisfied ? `picked all ${names.length} named clusters` : `picked ${selected.length} of ${names.length} named clusters; not picked: ${missing.join(', ')}` };
  }

  // Filter: eligibility, then required affinity, then taints.
  const feasible: ClusterView[] = [];
  for (const c of sorted) {
    if (c.state === 'leaving') notPicked.push({ cluster: c.name, reason: 'leaving the fleet' });
    else if (c.state === 'late' && !placed.has(c.name)) notPicked.push({ cluster: c.name, reason: 'not healthy: its heartbeat is overdue' });
    else if (!requiredAffinityMatches(policy, c)) notPicked.push({ cluster: c.name, reason: 'does not match the required cluster affinity' });
    else {
      const taint = placed.has(c.name) ? undefined : untolerated(policy, c);
      if (taint) notPicked.push({ cluster: c.name, reason: `has taint ${taint.key}${taint.value ? `=${taint.value}` : ''}:${taint.effect} that the placement does not tolerate` });
      else feasible.push(c);
    }
  }

  if (type === 'PickAll') {
    return { selected: feasible.map((c) => c.name), notPicked, satisfied: true, message: `picked all ${feasible.length} clusters that match the policy` };
  }

  // PickN: greedy, one cluster at a time, so topology spread sees what is already chosen.
  const want = Math.max(0, policy?.numberOfClusters ?? 0);
  const preferred = policy?.affinity?.clusterAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  const spread = (policy?.topologySpreadConstraints ?? []).map((t) => ({ ...t, maxSkew: t.maxSkew ?? 1, whenUnsatisfiable: t.whenUnsatisfiable ?? 'DoNotSchedule' }));
  const domains = new Map<string, Set<string>>();
  let pool = feasible;
  for (const tc of spread) {
    if (tc.whenUnsatisfiable !== 'DoNotSchedule') continue;
    // A cluster without the topology key cannot be counted in any domain: it is left out.
    for (const c of pool.filter((x) => x.labels[tc.topologyKey] === undefined)) notPicked.push({ cluster: c.name, reason: `has no label ${tc.topologyKey} (topology spread)` });
    pool = pool.filter((x) => x.labels[tc.topologyKey] !== undefined);
  }
  for (const tc of spread) domains.set(tc.topologyKey, new Set(pool.map((c) => c.labels[tc.topologyKey]).filter((d): d is string => d !== undefined)));
  const score = new Map(pool.map((c) => [c.name, affinityScore(preferred, c, pool)]));

  const chosen: ClusterView[] = [];
  const remaining = [...pool];
  while (chosen.length < want && remaining.length > 0) {
    let best: { c: ClusterView; spreadCost: number } | undefined;
    for (const c of remaining) {
      const skews = skewsWith(spread, domains, chosen, c);
      if (spread.some((tc, i) => tc.whenUnsatisfiable === 'DoNotSchedule' && (skews[i] ?? 0) > tc.maxSkew)) continue;
      const spreadCost = spread.reduce((sum, tc, i) => sum + Math.max(0, (skews[i] ?? 0) - tc.maxSkew) * 1000 + (skews[i] ?? 0), 0);
      if (!best || better({ c, spreadCost }, best, score, placed)) best = { c, spreadCost };
    }
    if (!best) break;
    chosen.push(best.c);
    remaining.splice(remaining.indexOf(best.c), 1);
  }
  for (const c of remaining) {
    notPicked.push({ cluster: c.name, reason: chosen.length < want ? 'would break a topology spread constraint' : `not among the ${want} best-scored clusters` });
  }
  const selected = chosen.map((c) => c.name).sort();
  const satisfied = selected.length === want;
  return {
    selected,
    notPicked,
    satisfied,
    message: satisfied ? `picked ${want} clusters` : `picked ${selected.length} of ${want} clusters: only ${selected.length} match the policy`,
  };
}

/** Lower spread cost, then higher affinity score, then already placed, then the smaller name. */
function better(a: { c: ClusterView; spreadCost: number }, b: { c: ClusterView; spreadCost: number }, score: Map<string, number>, placed: Set<string>): boolean {
  if (a.spreadCost !== b.spreadCost) return a.spreadCost < b.spreadCost;
  const sa = score.get(a.c.name) ?? 0;
  const sb = score.get(b.c.name) ?? 0;
  if (sa !== sb) return sa > sb;
  const pa = placed.has(a.c.name);
  const pb = placed.has(b.c.name);
  if (pa !== pb) return pa;
  return a.c.name < b.c.name;
}
