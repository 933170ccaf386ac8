import { createHash } from 'node:crypto';
import type { LabelSelector } from '../../api/meta.js';
import { selectorMatches } from '../../runtime/label-selector.js';

/**
 * Which node answers for a layer-2 IP. Every speaker computes the same answer from the same shared
 * state, so no gossip is needed: among the eligible nodes whose speakers are alive (a fresh
 * per-node Lease), the one with the highest hash of (node, ip) wins — rendezvous hashing, so a
 * node joining or leaving moves only the IPs it wins or held, never the others.
 */

export interface NodeFacts {
  name: string;
  labels: Record<string, string>;
  /** The node's NetworkUnavailable condition is True. */
  networkUnavailable: boolean;
  /** Its speaker's Lease was renewed recently enough. */
  speakerAlive: boolean;
}

/** A node selector as BGPAdvertisement and L2Advertisement carry them: a metav1.LabelSelector. */
export type NodeSelector = LabelSelector;

export const EXCLUDE_FROM_LB = 'node.kubernetes.io/exclude-from-external-load-balancers';

export type Ineligible = 'speaker-down' | 'excluded' | 'network-unavailable' | 'node-selector' | 'no-local-endpoint';

/** Why a node may not announce, or undefined when it may. An empty selector list matches all. */
export function ineligibility(
  node: NodeFacts,
  opts: { nodeSelectors: NodeSelector[]; localOnly: boolean; nodesWithReadyEndpoints: ReadonlySet<string> },
): Ineligible | undefined {
  if (!node.speakerAlive) return 'speaker-down';
  if (Object.hasOwn(node.labels, EXCLUDE_FROM_LB)) return 'excluded';
  if (node.networkUnavailable) return 'network-unavailable';
  if (opts.nodeSelectors.length > 0 && !opts.nodeSelectors.some((s) => selectorMatches(s, node.labels))) return 'node-selector';
  if (opts.localOnly && !opts.nodesWithReadyEndpoints.has(node.name)) return 'no-local-endpoint';
  return undefined;
}

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
