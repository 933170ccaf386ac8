import { IPAddressPoolKind, type IPAddressPool } from '../api/metallb.js';
import type { ResourceRef } from '../api/meta.js';
import type { PoolFacts } from '../operator/doctor.js';
import type { AvoidRange } from '../operator/pool-suggest.js';
import { parseRange } from '../runtime/ip.js';
import { isNotFound, type KubeClient } from '../runtime/kube-client.js';
import { CoreResources, type KubeObject } from '../runtime/resource.js';
import { explained } from './cluster-access.js';

/** Facts the operator commands read from a cluster: the address ranges it uses and its pools. */

/** networking.k8s.io/v1 ServiceCIDR (GA in Kubernetes 1.33): the cluster's service ranges. */
const ServiceCIDRResource: ResourceRef = { group: 'networking.k8s.io', version: 'v1', kind: 'ServiceCIDR', plural: 'servicecidrs', namespaced: false };

interface NodeLike extends KubeObject {
  spec?: { podCIDRs?: string[]; podCIDR?: string };
  status?: { addresses?: { type: string; address: string }[] };
}
interface ServiceCIDRLike extends KubeObject {
  spec?: { cidrs?: string[] };
}

export const rangeOf = (text: string, why: string): AvoidRange[] => {
  const r = parseRange(text);
  return r.ok ? [{ range: r.range, why }] : [];
};

/** Node addresses, pod CIDRs and service CIDRs. */
export async function clusterRanges(kube: KubeClient): Promise<AvoidRange[]> {
  const out: AvoidRange[] = [];
  const nodes = await explained('listing Nodes', () => kube.list<NodeLike>(CoreResources.nodes));
  for (const n of nodes.items) {
    for (const a of n.status?.addresses ?? []) if (a.type === 'InternalIP' || a.type === 'ExternalIP') out.push(...rangeOf(a.address, `${a.type} of node ${n.metadata.name}`));
    const cidrs = n.spec?.podCIDRs ?? (n.spec?.podCIDR ? [n.spec.podCIDR] : []);
    for (const c of cidrs) out.push(...rangeOf(c, `pod CIDR of node ${n.metadata.name}`));
  }
  try {
    const sc = await kube.list<ServiceCIDRLike>(ServiceCIDRResource);
    for (const s of sc.items) for (const c of s.spec?.cidrs ?? []) out.push(...rangeOf(c, `service CIDR ${s.metadata.name}`));
  } catch (err) {
    // Before 1.33 there is no ServiceCIDR: the kubernetes Service's address is the best hint.
    if (!isNotFound(err)) throw err;
    const svc = await kube.find<KubeObject & { spec?: { clusterIPs?: string[] } }>(CoreResources.services, 'kubernetes', 'default');
    for (const ip of svc?.spec?.clusterIPs ?? []) out.push(...rangeOf(ip, 'the kubernetes Service (service CIDR unknown before Kubernetes 1.33)'));
  }
  return out;
}

export async function poolFacts(kube: KubeClient): Promise<PoolFacts[]> {
  const pools = await explained('listing IPAddressPools', () => kube.list<IPAddressPool>(IPAddressPoolKind));
  return pools.items.map((p) => ({ namespace: p.metadata.namespace ?? '', name: p.metadata.name ?? '', addresses: p.spec.addresses ?? [] }));
}
