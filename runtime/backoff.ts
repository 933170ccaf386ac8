/** Exponential backoff with full jitter: the delay before attempt n (0-based). */
export function backoffDelay(attempt: number, opts: { initialMs: number; maxMs: number }, random: () => number = Math.random): number {
  const ceiling = Math.min(opts.maxMs, opts.initialMs * 2 ** Math.min(attempt, 30));
  // Half fixed, half random: never zero, and many clients never retry in lockstep.
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** `ms` plus or minus `fraction` of it, for periodic work that must not align across replicas. */
export function jittered(ms: number, fraction = 0.1, random: () => number = Math.random): number {
  return Math.round(ms * (1 - fraction + 2 * fraction * random()));
}
