import { Annotations, DeprecatedMetalLBAnnotations, Labels } from '../../api/labels.js';
import {
  InternalServiceImportKind,
  internalObjectName,
  MultiClusterServiceConditions,
  MultiClusterServiceReasons,
  type EndpointSliceImport,
  type InternalServiceImport,
  type MultiClusterService,
  type ServiceImportStatus,
} from '../../api/networking.js';
import type { ConditionInput } from '../../runtime/conditions.js';
import type { ServiceObject } from '../allocator/service.js';
import { derivedEndpointSlices, derivedService, derivedServiceName, type ClusterEndpoints, type DerivedService } from './derived-service.js';
import type { EndpointSliceObject } from './service-export.js';

/**
 * What a member does with one MultiClusterService: which import it claims, the derived Service
 * and EndpointSlices to hold, the Valid condition, labels and load-balancer status. Pure; the
 * controller (multicluster-service-controller.ts) only reads and writes.
 */

/** `namespace/name` of the ServiceImport an MCS load-balances (always in the MCS's namespace). */
export function importKeyOf(mcs: Pick<MultiClusterService, 'metadata' | 'spec'>): string {
  return `${mcs.metadata.namespace ?? ''}/${mcs.spec.serviceImport.name}`;
}

const olderFirst = (a: MultiClusterService, b: MultiClusterService): number => {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const na = a.metadata.name ?? '';
  const nb = b.metadata.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
};

/**
 * Of the live MCSs on this member that load-balance one import, the one that holds it: the oldest
 * (ties by name), as with exports. One derived Service per import and member keeps the endpoint
 * fan-out and the address one-to-one; a younger MCS is refused, naming the holder.
 */
export function importHolder(all: readonly MultiClusterService[], importKey: string): MultiClusterService | undefined {
  return all.filter((m) => !m.metadata.deletionTimestamp && importKeyOf(m) === importKey).sort(olderFirst)[0];
}

/** The hub InternalServiceImport that asks for `namespace/name` on behalf of member `clusterId`. */
export function internalServiceImport(clusterId: string, hubNamespace: string, namespace: string, name: string): InternalServiceImport {
  return {
    apiVersion: `${InternalServiceImportKind.group}/${InternalServiceImportKind.version}`,
    kind: 'InternalServiceImport',
    metadata: { name: internalObjectName(namespace, name), namespace: hubNamespace },
    spec: { serviceImportReference: { clusterId, kind: 'ServiceImport', namespace, name, namespacedName: `${namespace}/${name}` } },
  };
}

/** The imported slices of one service, by source cluster, as derivedEndpointSlices takes them. */
export function endpointSources(esis: readonly EndpointSliceImport[], importKey: string): ClusterEndpoints[] {
  const byCluster = new Map<string, EndpointSliceImport['spec'][]>();
  for (const esi of esis) {
    if (esi.metadata.deletionTimestamp || esi.spec.ownerServiceReference.namespacedName !== importKey) continue;
    const cluster = esi.spec.endpointSliceReference.clusterId;
    const list = byCluster.get(cluster) ?? [];
    list.push(esi.spec);
    byCluster.set(cluster, list);
  }
  return [...byCluster].map(([cluster, slices]) => ({ cluster, slices }));
}

export interface MultiClusterServiceInput {
  mcs: MultiClusterService;
  /** Every MCS on this member (for the one-holder-per-import rule). */
  all: readonly MultiClusterService[];
  /** The hub's InternalServiceImport for this import, undefined until it exists. */
  isi: InternalServiceImport | undefined;
  esis: readonly EndpointSliceImport[];
  internalPools: readonly string[];
  /** The derived Service as it is now, if any. */
  live: ServiceObject | undefined;
}

export interface MultiClusterServicePlan {
  valid: ConditionInput;
  /**
   * apply: write the derived Service (when it differs); keep: leave it as it is (the import went
   * away: the address is held while the MCS lives, only the endpoints go); delete: remove it.
   */
  service: { action: 'apply'; desired: DerivedService } | { action: 'keep' } | { action: 'delete' };
  /** The derived EndpointSlices; every other slice of the derived Service goes. */
  slices: EndpointSliceObject[];
  /** Labels on the MCS; null removes one. */
  labels: Record<string, string | null>;
}

const validTrue = (message: string): ConditionInput => ({ type: MultiClusterServiceConditions.Valid, status: 'True', reason: MultiClusterServiceReasons.FoundServiceImport, message });
const validFalse = (reason: string, message: string): ConditionInput => ({ type: MultiClusterServiceConditions.Valid, status: 'False', reason, message });

/** Condition type the allocator sets on a Service it could not serve (member-agent/allocator/errors.ts). */
const IPAllocatedCondition = 'fleetlb.io/IPAllocated';

export function planMultiClusterService(input: MultiClusterServiceInput): MultiClusterServicePlan {
  const { mcs, isi } = input;
  const namespace = mcs.metadata.namespace ?? '';
  const importName = mcs.spec.serviceImport.name;
  const key = importKeyOf(mcs);
  const serviceName = derivedServiceName(namespace, mcs.metadata.name ?? '');
  const without = { [Labels.serviceImport]: null, [Labels.derivedService]: null };

  const holder = importHolder(input.all, key);
  if (holder && holder.metadata.name !== mcs.metadata.name) {
    return {
      valid: validFalse(MultiClusterServiceReasons.ServiceImportInUse, `ServiceImport ${key} is load-balanced on this cluster by MultiClusterService ${namespace}/${holder.metadata.name ?? ''} (the oldest holds it); delete that one or point this one at another import`),
      service: { action: 'delete' },
      slices: [],
      labels: without,
    };
  }
  if (isi && isi.spec.serviceImportReference.namespacedName !== key) {
    return {
      valid: validFalse(MultiClusterServiceReasons.InternalServiceImportTaken, `the hub InternalServiceImport ${isi.metadata.name ?? ''} already stands for ServiceImport ${isi.spec.serviceImportReference.namespacedName}, whose name joins to the same text; rename one of them`),
      service: { action: 'delete' },
      slices: [],
      labels: without,
    };
  }
  const imported: ServiceImportStatus = isi?.status ?? {};
  const clusters = (imported.clusters ?? []).map((c) => c.cluster);
  if (clusters.length === 0 && (imported.ports ?? []).length === 0) {
    // The import is gone (or not there yet): no endpoints, but the address stays while the MCS does.
    return {
      valid: validFalse(MultiClusterServiceReasons.UnknownServiceImport, `ServiceImport ${key} not found on the hub: no cluster exports Service ${key} (or none is alive)${input.live ? '; the address is kept until the MultiClusterService is deleted' : ''}`),
      service: input.live ? { action: 'keep' } : { action: 'delete' },
      slices: [],
      labels: { [Labels.serviceImport]: importName, [Labels.derivedService]: input.live ? serviceName : null },
    };
  }
  const derived = derivedService(mcs, imported, input.internalPools);
  if (!derived.ok) {
    // Never fall back to another address: an internal service must not get a public one.
    return { valid: validFalse(derived.reason, derived.message), service: { action: 'delete' }, slices: [], labels: { [Labels.serviceImport]: importName, [Labels.derivedService]: null } };
  }
  const slices = derivedEndpointSlices(serviceName, importName, imported, endpointSources(input.esis, key));
  const ingress = input.live?.status?.loadBalancer?.ingress ?? [];
  const failed = input.live?.status?.conditions?.find((c) => c.type === IPAllocatedCondition && c.status === 'False');
  const address = ingress.length > 0 ? '' : failed ? `; no address yet: ${failed.message ?? failed.reason}` : '; waiting for an address';
  return {
    valid: validTrue(`ServiceImport ${key} from ${clusters.length} cluster${clusters.length === 1 ? '' : 's'} (${clusters.join(', ')}), served by Service ${derived.service.metadata.namespace}/${serviceName}${address}`),
    service: { action: 'apply', desired: derived.service },
    slices,
    labels: { [Labels.serviceImport]: importName, [Labels.derivedService]: serviceName },
  };
}

/** Annotations the derived Service may carry from its MCS: one not desired any more must go. */
const PassedAnnotations = [
  Annotations.addressPool,
  Annotations.loadBalancerIPs,
  Annotations.allowSharedIP,
  DeprecatedMetalLBAnnotations.addressPool,
  DeprecatedMetalLBAnnotations.loadBalancerIPs,
  DeprecatedMetalLBAnnotations.allowSharedIP,
  Annotations.serviceAzureInternalLoadBalancer,
] as const;

interface LiveService extends ServiceObject {
  spec?: ServiceObject['spec'] & { sessionAffinity?: string; sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } }; ports?: { name?: string; protocol?: string; appProtocol?: string; port: number }[] };
}

/** True when the live Service already is what `desired` asks for (API defaults aside), so nothing is written. */
export function serviceUpToDate(desired: DerivedService, live: LiveService | undefined): boolean {
  if (!live || live.metadata.deletionTimestamp) return false;
  const labels = live.metadata.labels ?? {};
  if (Object.entries(desired.metadata.labels).some(([k, v]) => labels[k] !== v)) return false;
  const annotations = live.metadata.annotations ?? {};
  if (PassedAnnotations.some((k) => annotations[k] !== desired.metadata.annotations[k])) return false;
  const spec = live.spec ?? {};
  if (spec.type !== desired.spec.type || spec.selector || spec.externalTrafficPolicy !== desired.spec.externalTrafficPolicy) return false;
  const port = (p: { name?: string; protocol?: string; appProtocol?: string; port: number }) => [p.name ?? '', p.protocol ?? 'TCP', p.appProtocol ?? '', p.port].join('|');
  if ((spec.ports ?? []).map(port).join(',') !== desired.spec.ports.map(port).join(',')) return false;
  if ((spec.sessionAffinity ?? 'None') !== (desired.spec.sessionAffinity ?? 'None')) return false;
  const timeout = desired.spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  if (timeout !== undefined && spec.sessionAffinityConfig?.clientIP?.timeoutSeconds !== timeout) return false;
  if (desired.spec.ipFamilies && (spec.ipFamilies ?? []).join(',') !== desired.spec.ipFamilies.join(',')) return false;
  if (desired.spec.ipFamilyPolicy && spec.ipFamilyPolicy !== desired.spec.ipFamilyPolicy) return false;
  return true;
}

const normalPorts = (ports: EndpointSliceObject['ports']) => (ports ?? []).map((p) => ({ name: p.name ?? '', protocol: p.protocol ?? 'TCP', port: p.port ?? null, appProtocol: p.appProtocol ?? '' }));
const normalEndpoints = (endpoints: EndpointSliceObject['endpoints']) =>
  (endpoints ?? []).map((e) => ({ addresses: e.addresses, ready: e.conditions?.ready ?? null, serving: e.conditions?.serving ?? null, terminating: e.conditions?.terminating ?? null }));

/** True when the live slice already holds what `desired` does, owned by `ownerUid` (so nothing is written). */
export function sliceUpToDate(desired: EndpointSliceObject, live: EndpointSliceObject | undefined, ownerUid: string): boolean {
  if (!live || live.metadata.deletionTimestamp || live.addressType !== desired.addressType) return false;
  const labels = live.metadata.labels ?? {};
  if (Object.entries(desired.metadata.labels ?? {}).some(([k, v]) => labels[k] !== v)) return false;
  if (!(live.metadata.ownerReferences ?? []).some((o) => (o as { uid?: string }).uid === ownerUid)) return false;
  return JSON.stringify(normalPorts(live.ports)) === JSON.stringify(normalPorts(desired.ports)) && JSON.stringify(normalEndpoints(live.endpoints)) === JSON.stringify(normalEndpoints(desired.endpoints));
}

/** The MCS's `status.loadBalancer`: the derived Service's, once the allocator has given it an address. */
export function loadBalancerStatus(live: ServiceObject | undefined): { ingress: { ip?: string; hostname?: string }[] } | undefined {
  const ingress = live?.status?.loadBalancer?.ingress ?? [];
  return ingress.length > 0 ? { ingress: ingress.map((i) => ({ ...(i.ip ? { ip: i.ip } : {}), ...(i.hostname ? { hostname: i.hostname } : {}) })) } : undefined;
}
