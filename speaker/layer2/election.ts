import { createHash } from 'node:crypto';

/**
 * Which node answers for a layer-2 IP. Every speaker computes the same answer from the same shared
 * state, so no gossip is needed: among the eligible nodes whose speakers are alive (a fresh
 * per-node Lease), the one with the highest hash of (node, ip) wins — rendezvous hashing, so a
 * node joining or leaving moves only the IPs it wins or held, never the others. Which nodes are
 * eligible is ../eligibility.ts's business.
 */

function score(node: string, ip: string): Buffer {
  return createHash('sha256').update(node).update('#').update(ip).digest();
}

/** The announcing node for `ip` among `candidates` (names), or undefined when there is none. */
export function electAnnouncer(ip: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore: Buffer | undefined;
  for (const name of candidates) {
    const s = score(name, ip);
    // Ties (equal hashes) fall to the smaller name, so the choice never depends on input order.
    if (!bestScore || s.compare(bestScore) > 0 || (s.compare(bestScore) === 0 && best !== undefined && name < best)) {
      best = name;
      bestScore = s;
    }
  }
  return best;
}
