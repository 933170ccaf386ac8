import { Labels } from '../api/labels.js';
import type { IPAddressPool, L2Advertisement } from '../api/metallb.js';
import { canonicalIP, parseRange, type IPRange } from '../runtime/ip.js';
import type { KubeObject } from '../runtime/resource.js';
import type { AdvertisementSelection, NodeFacts, PoolFacts, ServiceFacts } from './eligibility.js';

/**
 * The speaker's picture of the cluster at one moment, built purely from the objects its
 * informers hold and the speakers it knows to be alive. Protocol handlers get this and nothing
 * else, so what they announce is a function of it (see speaker/README.md).
 */

export interface L2AdvertisementFacts extends AdvertisementSelection {
  /** Interfaces to announce from; empty: every usable interface. */
  interfaces: readonly string[];
}

export interface SpeakerView {
  /** Our node. */
  node: string;
  nodes: readonly NodeFacts[];
  /** LoadBalancer Services (of our class) that have ingress IPs. */
  services: readonly ServiceFacts[];
  pools: readonly PoolFacts[];
  l2Advertisements: readonly L2AdvertisementFacts[];
}

/** core/v1 Service fields the speaker reads. */
export interface ServiceObject extends KubeObject {
  spec?: { type?: string; loadBalancerClass?: string; externalTrafficPolicy?: string };
  status?: { loadBalancer?: { ingress?: { ip?: string }[] } };
}

/** core/v1 Node fields the speaker reads. */
export interface NodeObject extends KubeObject {
  status?: { conditions?: { type: string; status: string }[] };
}

/** discovery.k8s.io/v1 EndpointSlice fields the speaker reads. */
export interface EndpointSliceObject extends KubeObject {
  endpoints?: { addresses?: string[]; nodeName?: string; conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean } }[] | null;
}

export interface ViewInputs {
  node: string;
  nodes: readonly NodeObject[];
  services: readonly ServiceObject[];
  endpointSlices: readonly EndpointSliceObject[];
  pools: readonly IPAddressPool[];
  l2Advertisements: readonly L2Advertisement[];
  alive: ReadonlySet<string>;
  /** Serve only Services of this class; undefined: only class-less ones (MetalLB's default). */
  loadBalancerClass?: string;
}

/** Ready counts, as does serving-but-not-terminating (MetalLB's EndpointCanServe); unset ready is ready. */
function endpointReady(c: { ready?: boolean; serving?: boolean; terminating?: boolean } | undefined): boolean {
  if (c?.ready !== false) return true;
  return c.serving === true && c.terminating !== true;
}

export function buildView(inputs: ViewInputs): SpeakerView {
  const readyBy = new Map<string, { nodes: Set<string>; any: boolean }>();
  for (const slice of inputs.endpointSlices) {
    const svcName = slice.metadata.labels?.[Labels.serviceName];
    if (!svcName) continue;
    const key = `${slice.metadata.namespace}/${svcName}`;
    const entry = readyBy.get(key) ?? { nodes: new Set<string>(), any: false };
    readyBy.set(key, entry);
    for (const ep of slice.endpoints ?? []) {
      if (!endpointReady(ep.conditions) || (ep.addresses ?? []).length === 0) continue;
      entry.any = true;
      if (ep.nodeName) entry.nodes.add(ep.nodeName);
    }
  }

  const services: ServiceFacts[] = [];
  for (const s of inputs.services) {
    if (s.spec?.type !== 'LoadBalancer' || s.metadata.deletionTimestamp) continue;
    if ((s.spec.loadBalancerClass ?? undefined) !== inputs.loadBalancerClass) continue;
    const ips: string[] = [];
    for (const ing of s.status?.loadBalancer?.ingress ?? []) {
      const ip = ing.ip ? canonicalIP(ing.ip) : undefined;
      if (ip && !ips.includes(ip)) ips.push(ip);
    }
    if (ips.length === 0) continue;
    const key = `${s.metadata.namespace}/${s.metadata.name}`;
    const ready = readyBy.get(key);
    services.push({
      key,
      namespace: s.metadata.namespace ?? '',
      name: s.metadata.name ?? '',
      uid: s.metadata.uid ?? '',
      labels: s.metadata.labels ?? {},
      ips,
      localOnly: s.spec.externalTrafficPolicy === 'Local',
      readyNodes: ready?.nodes ?? new Set(),
      hasReadyEndpoint: ready?.any ?? false,
    });
  }

  const pools: PoolFacts[] = inputs.pools.map((p) => {
    const ranges: IPRange[] = [];
    for (const entry of p.spec?.addresses ?? []) {
      const r = parseRange(entry);
      if (r.ok) ranges.push(r.range);
    }
    return { name: p.metadata.name ?? '', labels: p.metadata.labels ?? {}, ranges };
  });

  const nodes: NodeFacts[] = inputs.nodes.map((n) => ({
    name: n.metadata.name ?? '',
    labels: n.metadata.labels ?? {},
    networkUnavailable: (n.status?.conditions ?? []).some((c) => c.type === 'NetworkUnavailable' && c.status === 'True'),
    speakerAlive: inputs.alive.has(n.metadata.name ?? ''),
  }));

  const l2Advertisements: L2AdvertisementFacts[] = inputs.l2Advertisements.map((a) => ({
    name: a.metadata.name ?? '',
    ipAddressPools: a.spec?.ipAddressPools ?? [],
    ipAddressPoolSelectors: a.spec?.ipAddressPoolSelectors ?? [],
    nodeSelectors: a.spec?.nodeSelectors ?? [],
    serviceSelectors: a.spec?.serviceSelectors ?? [],
    interfaces: a.spec?.interfaces ?? [],
  }));

  const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return { node: inputs.node, nodes: nodes.sort(byName), services: services.sort((a, b) => (a.key < b.key ? -1 : 1)), pools, l2Advertisements: l2Advertisements.sort(byName) };
}
