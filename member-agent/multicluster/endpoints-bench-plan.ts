/**
 * The endpoints benchmark's plan, pure: which address each bench endpoint has, which endpoints
 * churn in which order, and percentiles of the timings.
 */

/**
 * Endpoint `k` of service `s` on the member of lab index `memberIndex`: an address of that
 * member's pod block (198.18.16·i.0/20), unique per member, service and endpoint.
 */
export function benchAddress(memberIndex: number, service: number, k: number, perService = 7): string {
  const n = service * perService + k;
  if (n >= 16 * 250) throw new RangeError(`endpoint ${n} does not fit a member's pod block`);
  return `198.18.${16 * memberIndex + Math.floor(n / 250)}.${(n % 250) + 2}`;
}

export interface ChurnEvent {
  /** Position of the member in the benchmark's member list. */
  member: number;
  service: number;
  endpoint: number;
}

/** A small deterministic generator (mulberry32), so runs churn the same endpoints. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` events round-robin over the members, random service and endpoint. */
export function churnPlan(count: number, services: number, shares: readonly number[], seed: number): ChurnEvent[] {
  const next = random(seed);
  return Array.from({ length: count }, (_, i) => {
    const member = i % shares.length;
    return { member, service: Math.floor(next() * services), endpoint: Math.floor(next() * (shares[member] ?? 1)) };
  });
}

/** The p-th percentile (nearest rank) in ms, rounded; 0 for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return 0;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return Math.round(sorted[rank - 1]!);
}
