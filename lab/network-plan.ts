import { clusterAddressing } from './address-plan.js';
import type { ClusterSpec } from './control-plane.js';

/**
 * The lab network as data: which namespaces exist, their addresses and routes. Pure, so the
 * code that builds the network, the node agents, the tests and `lab status` all agree.
 *
 *   LAN 192.0.2.0/24, 2001:db8:0:1::/64 (a bridge in its own namespace)
 *     .1 router (BIRD or FRR, AS 64513)   .2 client
 *     .10 hub-node-1   .20 member-1-node-1   .21 member-1-node-2   .30 member-2-node-1 …
 *   each node: a /24 and a /64 of pods (198.18.0.0/16, 2001:db8:1000::/52), routed to every
 *   other node of every cluster over the LAN (a flat pod network);
 *   each cluster's API server is reachable from its nodes at 192.0.2.(240 + index), a local
 *   address on every node of that cluster relayed to the API server on the host's loopback;
 *   member nodes also hold the hub's (192.0.2.240), as member agents talk to the hub.
 */

export const LAN_V4_PREFIX = '192.0.2';
export const LAN_V6_PREFIX = '2001:db8:0:1';
export const ROUTER_ASN = 64513;
export const NODE_ASN = 64512;
export const MAX_NODES_PER_CLUSTER = 9;
export const DEFAULT_NODES_PER_MEMBER = 2;
export const VIP_POOL_V4 = '198.51.100.0/24';
export const VIP_POOL_V6 = '2001:db8:100::/64';

export interface Address {
  v4: string;
  v6: string;
}

export interface NodePlan {
  /** The Kubernetes Node name, e.g. `member-1-node-2`. */
  name: string;
  cluster: string;
  clusterIndex: number;
  /** 0-based position within its cluster. */
  index: number;
  netns: string;
  lan: Address;
  podCIDRs: [string, string];
}

export interface NetworkPlan {
  labId: string;
  lanNetns: string;
  bridge: string;
  router: { netns: string; lan: Address; asn: number };
  client: { netns: string; lan: Address };
  nodes: NodePlan[];
  /** Per cluster: the address its nodes reach the API server at. */
  apiserverAddress: Record<string, string>;
  /** Name of the hub cluster, whose API server every member node reaches too. */
  hub?: string;
}

/** `fl-<id>-<what>`: every host-wide name carries the lab id, so two labs never collide. */
export function netnsName(labId: string, what: string): string {
  return `fl-${labId}-${what}`;
}

const v6 = (n: number) => `${LAN_V6_PREFIX}::${n.toString(16)}`;
const lanAddress = (host: number): Address => ({ v4: `${LAN_V4_PREFIX}.${host}`, v6: v6(host) });

/** The API server address the nodes of cluster `index` use. */
export function apiserverLanAddress(index: number): string {
  return `${LAN_V4_PREFIX}.${240 + index}`;
}

/** Pod CIDRs of node `node` (0-based) of cluster `cluster`: 16 nodes' room per cluster. */
export function nodePodCIDRs(clusterIndex: number, node: number): [string, string] {
  const block = clusterIndex * 16 + node;
  clusterAddressing(clusterIndex); // throws for an index outside the plan
  return [`198.18.${block}.0/24`, block === 0 ? '2001:db8:1000::/64' : `2001:db8:1000:${block.toString(16)}::/64`];
}

export function nodeName(cluster: string, node: number): string {
  return `${cluster}-node-${node + 1}`;
}

export function planNetwork(labId: string, clusters: ClusterSpec[], nodesPerMember: number = DEFAULT_NODES_PER_MEMBER): NetworkPlan {
  if (!Number.isInteger(nodesPerMember) || nodesPerMember < 1 || nodesPerMember > MAX_NODES_PER_CLUSTER) {
    throw new RangeError(`nodes per member must be 1..${MAX_NODES_PER_CLUSTER}`);
  }
  const nodes: NodePlan[] = [];
  for (const c of clusters) {
    const count = c.role === 'hub' ? 1 : nodesPerMember;
    for (let n = 0; n < count; n++) {
      const name = nodeName(c.name, n);
      nodes.push({
        name,
        cluster: c.name,
        clusterIndex: c.index,
        index: n,
        netns: netnsName(labId, name),
        lan: lanAddress(10 * (c.index + 1) + n),
        podCIDRs: nodePodCIDRs(c.index, n),
      });
    }
  }
  return {
    labId,
    lanNetns: netnsName(labId, 'lan'),
    bridge: 'br0',
    router: { netns: netnsName(labId, 'router'), lan: lanAddress(1), asn: ROUTER_ASN },
    client: { netns: netnsName(labId, 'client'), lan: lanAddress(2) },
    nodes,
    apiserverAddress: Object.fromEntries(clusters.map((c) => [c.name, apiserverLanAddress(c.index)])),
    hub: clusters.find((c) => c.role === 'hub')?.name,
  };
}

/**
 * The API servers a node reaches through relays of its own: [cluster, address]. Its cluster's,
 * and on a member node the hub's, since the member agent joins the fleet through the hub's API.
 */
export function nodeApiservers(plan: NetworkPlan, node: NodePlan): [string, string][] {
  const clusters = [node.cluster, ...(plan.hub && plan.hub !== node.cluster ? [plan.hub] : [])];
  return clusters.flatMap((c) => (plan.apiserverAddress[c] ? [[c, plan.apiserverAddress[c]] as [string, string]] : []));
}

/** Routes a node needs to reach every other node's pods: [cidr, via LAN address]. */
export function podRoutes(plan: NetworkPlan, self: NodePlan): { cidr: string; via: string }[] {
  return plan.nodes
    .filter((n) => n.name !== self.name)
    .flatMap((n) => [
      { cidr: n.podCIDRs[0], via: n.lan.v4 },
      { cidr: n.podCIDRs[1], via: n.lan.v6 },
    ]);
}

/** Every namespace of the lab, for creation order and for `down`. */
export function allNetns(plan: NetworkPlan): string[] {
  return [plan.lanNetns, plan.router.netns, plan.client.netns, ...plan.nodes.map((n) => n.netns)];
}

/** The `n`-th usable pod address of a node (n ≥ 0): .2 upwards in IPv4, ::2 upwards in IPv6. */
export function podAddress(node: NodePlan, n: number): Address {
  if (n < 0 || n > 252) throw new RangeError('a lab node holds at most 253 pods');
  const v4base = node.podCIDRs[0].replace(/\.0\/24$/, '');
  const v6base = node.podCIDRs[1].replace(/::\/64$/, '');
  return { v4: `${v4base}.${n + 2}`, v6: `${v6base}::${(n + 2).toString(16)}` };
}
