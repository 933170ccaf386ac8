import { Labels } from '../api/labels.js';
import type { LabelSelector } from '../api/meta.js';
import { contains, parseIP, type IPRange } from '../runtime/ip.js';
import { selectorMatches } from '../runtime/label-selector.js';

/**
 * Which nodes may announce a load-balancer IP, for any protocol: the selection rules that
 * L2Advertisement and BGPAdvertisement share (pools, services, nodes) and the node-level rules
 * MetalLB's speaker applies (exclude label, NetworkUnavailable, a live speaker, and for
 * externalTrafficPolicy Local a ready endpoint on the node). Pure; the layer-2 handler elects one
 * of the eligible nodes, a BGP handler announces from each of them.
 */

export interface NodeFacts {
  name: string;
  labels: Readonly<Record<string, string>>;
  /** The node's NetworkUnavailable condition is True. */
  networkUnavailable: boolean;
  /** Its speaker's Lease is fresh (for our own node: fresh, warm, and within the fence). */
  speakerAlive: boolean;
}

/** The fields an advertisement selects with; L2Advertisement and BGPAdvertisement both have them. */
export interface AdvertisementSelection {
  name: string;
  ipAddressPools?: readonly string[];
  ipAddressPoolSelectors?: readonly LabelSelector[];
  nodeSelectors?: readonly LabelSelector[];
  serviceSelectors?: readonly LabelSelector[];
}

export interface PoolFacts {
  name: string;
  labels: Readonly<Record<string, string>>;
  ranges: readonly IPRange[];
}

/** A LoadBalancer Service with addresses, as the speaker sees it. */
export interface ServiceFacts {
  /** namespace/name */
  key: string;
  namespace: string;
  name: string;
  uid: string;
  labels: Readonly<Record<string, string>>;
  /** status.loadBalancer.ingress IPs, in order (the first one elects the layer-2 announcer). */
  ips: readonly string[];
  /** externalTrafficPolicy: Local. */
  localOnly: boolean;
  /** Nodes with a ready (or serving, not terminating) endpoint of the Service. */
  readyNodes: ReadonlySet<string>;
  /** Some endpoint is ready, wherever it runs (an endpoint without a node counts). */
  hasReadyEndpoint: boolean;
}

export type Ineligible = 'speaker-down' | 'excluded' | 'network-unavailable' | 'node-selector' | 'no-local-endpoint';

/** Why a node may not announce, or undefined when it may. An empty selector list matches all. */
export function ineligibility(
  node: NodeFacts,
  opts: { nodeSelectors: readonly LabelSelector[]; localOnly: boolean; nodesWithReadyEndpoints: ReadonlySet<string> },
): Ineligible | undefined {
  if (!node.speakerAlive) return 'speaker-down';
  if (Object.hasOwn(node.labels, Labels.excludeFromExternalLoadBalancers)) return 'excluded';
  if (node.networkUnavailable) return 'network-unavailable';
  if (opts.nodeSelectors.length > 0 && !opts.nodeSelectors.some((s) => selectorMatches(s, node.labels))) return 'node-selector';
  if (opts.localOnly && !opts.nodesWithReadyEndpoints.has(node.name)) return 'no-local-endpoint';
  return undefined;
}

/** The pool an address lies in, if any. */
export function poolOf(ip: string, pools: readonly PoolFacts[]): PoolFacts | undefined {
  const a = parseIP(ip);
  if (!a) return undefined;
  return pools.find((p) => p.ranges.some((r) => contains(r, a)));
}

/** An advertisement naming no pool by name or selector covers every pool (MetalLB). */
export function selectsPool(adv: AdvertisementSelection, pool: PoolFacts): boolean {
  const byName = adv.ipAddressPools ?? [];
  const bySelector = adv.ipAddressPoolSelectors ?? [];
  if (byName.length === 0 && bySelector.length === 0) return true;
  return byName.includes(pool.name) || bySelector.some((s) => selectorMatches(s, pool.labels));
}

export function selectsService(adv: AdvertisementSelection, svc: Pick<ServiceFacts, 'labels'>): boolean {
  const selectors = adv.serviceSelectors ?? [];
  return selectors.length === 0 || selectors.some((s) => selectorMatches(s, svc.labels));
}

export function selectsNode(adv: AdvertisementSelection, node: Pick<NodeFacts, 'labels'>): boolean {
  const selectors = adv.nodeSelectors ?? [];
  return selectors.length === 0 || selectors.some((s) => selectorMatches(s, node.labels));
}

/** The advertisements that cover one address of a Service: its pool's, matching the Service. */
export function advertisementsFor<A extends AdvertisementSelection>(svc: ServiceFacts, ip: string, advertisements: readonly A[], pools: readonly PoolFacts[]): A[] {
  const pool = poolOf(ip, pools);
  if (!pool) return [];
  return advertisements.filter((a) => selectsPool(a, pool) && selectsService(a, svc));
}

export type NotAnnounced = Ineligible | 'no-advertisement' | 'no-ready-endpoint';

export interface Eligibility<A> {
  /** Advertisements covering the address. */
  advertisements: A[];
  /** Nodes that may announce it, sorted by name. */
  nodes: string[];
  /** Every other node, with the first reason it may not. */
  refused: Map<string, NotAnnounced>;
}

/**
 * The nodes that may announce `ip` of `svc`: nothing for a Service with no ready endpoint or an
 * address no advertisement covers; otherwise every node some covering advertisement selects that
 * passes the node-level rules.
 */
export function eligibility<A extends AdvertisementSelection>(svc: ServiceFacts, ip: string, advertisements: readonly A[], pools: readonly PoolFacts[], nodes: readonly NodeFacts[]): Eligibility<A> {
  const covering = advertisementsFor(svc, ip, advertisements, pools);
  const refused = new Map<string, NotAnnounced>();
  const eligible: string[] = [];
  for (const node of nodes) {
    if (!svc.hasReadyEndpoint) refused.set(node.name, 'no-ready-endpoint');
    else if (covering.length === 0) refused.set(node.name, 'no-advertisement');
    else {
      const selecting = covering.filter((a) => selectsNode(a, node));
      const why = selecting.length === 0 ? 'node-selector' : ineligibility(node, { nodeSelectors: [], localOnly: svc.localOnly, nodesWithReadyEndpoints: svc.readyNodes });
      if (why) refused.set(node.name, why);
      else eligible.push(node.name);
    }
  }
  return { advertisements: covering, nodes: eligible.sort(), refused };
}
