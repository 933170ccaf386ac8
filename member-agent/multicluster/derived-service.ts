import { createHash } from 'node:crypto';
import { Annotations, DeprecatedMetalLBAnnotations, EndpointSliceManager, FleetLBNamespace, Labels } from '../../api/labels.js';
import { MultiClusterServiceReasons, type EndpointPort, type EndpointSliceExportSpec, type IPFamily, type MultiClusterService, type ServiceImportStatus, type ServicePort } from '../../api/networking.js';
import { parseIP } from '../../runtime/ip.js';
import type { EndpointSliceObject } from './service-export.js';

/**
 * What a MultiClusterService becomes on its member: a selector-less LoadBalancer Service in
 * fleetlb-system (the allocator gives it an address, the speakers announce it) and EndpointSlices
 * holding the endpoints of every exporting cluster, for kube-proxy. Pure.
 */

const MaxServiceName = 63;

function shortHash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/**
 * `<namespace>-<name>` cut to fit, then `-<8 hex of sha256(namespace/name)>`: stable, at most 63
 * characters, a DNS-1035 label (starts with a letter), and distinct for `a-b/c` and `a/b-c`,
 * which fleet-networking's plain `<namespace>-<name>` confuses (and lets exceed 63).
 */
export function derivedServiceName(namespace: string, name: string): string {
  const suffix = `-${shortHash(`${namespace}/${name}`, 8)}`;
  let prefix = `${namespace}-${name}`;
  if (!/^[a-z]/.test(prefix)) prefix = `mcs-${prefix}`;
  prefix = prefix.slice(0, MaxServiceName - suffix.length).replace(/-+$/, '');
  return `${prefix}${suffix}`;
}

/** A core/v1 Service as JSON: what a derived Service holds. */
export interface DerivedService {
  apiVersion: 'v1';
  kind: 'Service';
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: {
    type: 'LoadBalancer';
    ports: { name?: string; protocol: string; appProtocol?: string; port: number }[];
    sessionAffinity?: string;
    sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
    ipFamilyPolicy?: 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
    ipFamilies?: IPFamily[];
    /** kube-proxy keeps the client's address only with Local; Cluster lets any node forward to any cluster's pods. */
    externalTrafficPolicy: 'Cluster';
  };
}

export type DerivedServiceResult = { ok: true; service: DerivedService } | { ok: false; reason: string; message: string };

export const DerivedServiceReasons = {
  NoInternalPool: MultiClusterServiceReasons.NoInternalPool,
  NoPorts: MultiClusterServiceReasons.NoPorts,
} as const;

/** The MCS asks for an internal address (Azure's annotation, on the MCS or as on a Service). */
export function wantsInternal(mcs: Pick<MultiClusterService, 'metadata'>): boolean {
  const a = mcs.metadata.annotations ?? {};
  return a[Annotations.azureInternalLoadBalancer] === 'true' || a[Annotations.serviceAzureInternalLoadBalancer] === 'true';
}

/** Names of derived Service ports: the import's, or `<protocol>-<port>` when several are unnamed (a multi-port Service needs names). */
export function derivedPorts(ports: readonly ServicePort[]): DerivedService['spec']['ports'] {
  return ports.map((p) => {
    const protocol = p.protocol ?? 'TCP';
    const name = p.name ?? (ports.length > 1 ? `${protocol.toLowerCase()}-${p.port}` : undefined);
    return { ...(name ? { name } : {}), protocol, ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}), port: p.port };
  });
}

/**
 * The derived Service. Pool and address annotations on the MCS pass through (MetalLB's names, old
 * and new), so the allocator honours them as on any Service; an internal MCS without an explicit
 * pool gets the first of `internalPools` (pools labelled internal), and is refused when there is
 * none rather than silently given a public address.
 */
export function derivedService(mcs: MultiClusterService, imported: ServiceImportStatus, internalPools: readonly string[]): DerivedServiceResult {
  const namespace = mcs.metadata.namespace ?? '';
  const name = mcs.metadata.name ?? '';
  const ports = derivedPorts(imported.ports ?? []);
  if (ports.length === 0) return { ok: false, reason: DerivedServiceReasons.NoPorts, message: `ServiceImport ${namespace}/${mcs.spec.serviceImport.name} has no ports yet` };
  const from = mcs.metadata.annotations ?? {};
  const annotations: Record<string, string> = {};
  for (const key of [Annotations.addressPool, Annotations.loadBalancerIPs, Annotations.allowSharedIP, DeprecatedMetalLBAnnotations.addressPool, DeprecatedMetalLBAnnotations.loadBalancerIPs, DeprecatedMetalLBAnnotations.allowSharedIP]) {
    const v = from[key];
    if (v !== undefined) annotations[key] = v;
  }
  const explicit = annotations[Annotations.addressPool] ?? annotations[DeprecatedMetalLBAnnotations.addressPool] ?? annotations[Annotations.loadBalancerIPs] ?? annotations[DeprecatedMetalLBAnnotations.loadBalancerIPs];
  if (wantsInternal(mcs)) {
    annotations[Annotations.serviceAzureInternalLoadBalancer] = 'true';
    if (explicit === undefined) {
      const pool = [...internalPools].sort()[0];
      if (!pool) return { ok: false, reason: DerivedServiceReasons.NoInternalPool, message: `an internal address was asked for, but no IPAddressPool is labelled ${Labels.internalPool}=true` };
      annotations[Annotations.addressPool] = pool;
    }
  }
  // Requested addresses decide the families (an IPv6 address makes an IPv6 Service); otherwise the cluster's default.
  const requested = (annotations[Annotations.loadBalancerIPs] ?? annotations[DeprecatedMetalLBAnnotations.loadBalancerIPs] ?? '')
    .split(',')
    .map((s) => parseIP(s)?.family)
    .filter((f): f is IPFamily => f !== undefined);
  const families = [...new Set(requested)];
  const affinity = imported.sessionAffinity === 'ClientIP' ? 'ClientIP' : undefined;
  return {
    ok: true,
    service: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: derivedServiceName(namespace, name),
        namespace: FleetLBNamespace,
        labels: { [Labels.multiClusterServiceName]: name, [Labels.multiClusterServiceNamespace]: namespace },
        annotations,
      },
      spec: {
        type: 'LoadBalancer',
        ports,
        ...(affinity ? { sessionAffinity: affinity, ...(imported.sessionAffinityConfig ? { sessionAffinityConfig: imported.sessionAffinityConfig } : {}) } : {}),
        ...(families.length > 0 ? { ipFamilies: families, ipFamilyPolicy: families.length > 1 ? 'RequireDualStack' : 'SingleStack' } : {}),
        externalTrafficPolicy: 'Cluster',
      },
    },
  };
}

/** One cluster's imported slices, as the hub fanned them out. */
export interface ClusterEndpoints {
  cluster: string;
  slices: readonly EndpointSliceExportSpec[];
}

/** Endpoints per derived slice; kube's own default, so each slice stays a cheap write. */
export const MaxEndpointsPerSlice = 100;

type DerivedEndpoint = NonNullable<EndpointSliceObject['endpoints']>[number];

const readyRank = (e: DerivedEndpoint) => (e.conditions?.ready !== false ? 2 : e.conditions.serving ? 1 : 0);

/**
 * Slice ports renamed to the derived Service's port names: kube-proxy pairs Service and slice
 * ports by name. A source port without a name is the source Service's only port, so it takes the
 * derived name of the unnamed import port of its protocol.
 */
function mapPorts(ports: readonly EndpointPort[] | undefined, imported: readonly ServicePort[]): EndpointPort[] {
  const derived = derivedPorts(imported);
  return (ports ?? []).map((p) => {
    const protocol = p.protocol ?? 'TCP';
    const i = imported.findIndex((q) => (p.name ? q.name === p.name : !q.name && (q.protocol ?? 'TCP') === protocol));
    const name = i >= 0 ? derived[i]?.name : p.name;
    return { ...(name ? { name } : {}), protocol, ...(p.port !== undefined ? { port: p.port } : {}), ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) };
  });
}

/**
 * The derived EndpointSlices, for the clusters in the import only (a conflicted or dead cluster
 * has none). Grouped by cluster, family and ports (clusters may use other target ports), an
 * address kept once (its readiest copy: slices overlap while a pod moves), in address order, cut
 * into slices of at most 100. Names are stable hashes of the group, so a resync rewrites in place.
 */
export function derivedEndpointSlices(serviceName: string, importName: string, imported: ServiceImportStatus, sources: readonly ClusterEndpoints[]): EndpointSliceObject[] {
  const included = new Set((imported.clusters ?? []).map((c) => c.cluster));
  const groups = new Map<string, { cluster: string; family: IPFamily; ports: EndpointPort[]; endpoints: Map<string, DerivedEndpoint> }>();
  for (const source of [...sources].sort((a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0))) {
    if (!included.has(source.cluster)) continue;
    for (const slice of source.slices) {
      const ports = mapPorts(slice.ports, imported.ports ?? []);
      const key = `${source.cluster}|${slice.addressType}|${JSON.stringify(ports)}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { cluster: source.cluster, family: slice.addressType, ports, endpoints: new Map() }));
      for (const e of slice.endpoints) {
        const address = e.addresses[0];
        if (address === undefined) continue;
        const copy: DerivedEndpoint = { addresses: [...e.addresses], ...(e.conditions ? { conditions: { ...e.conditions } } : {}) };
        const prev = g.endpoints.get(address);
        if (!prev || readyRank(copy) > readyRank(prev)) g.endpoints.set(address, copy);
      }
    }
  }
  const out: EndpointSliceObject[] = [];
  for (const [key, g] of [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const endpoints = [...g.endpoints.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
    const base = `${serviceName}-${shortHash(key, 10)}`;
    const chunks = Math.max(1, Math.ceil(endpoints.length / MaxEndpointsPerSlice));
    for (let i = 0; i < chunks; i++) {
      out.push({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: `${base}-${i}`,
          namespace: FleetLBNamespace,
          labels: {
            [Labels.serviceName]: serviceName,
            [Labels.mcsServiceName]: importName,
            [Labels.mcsSourceCluster]: g.cluster,
            [Labels.endpointSliceManagedBy]: EndpointSliceManager,
          },
        },
        addressType: g.family,
        endpoints: endpoints.slice(i * MaxEndpointsPerSlice, (i + 1) * MaxEndpointsPerSlice),
        ports: g.ports,
      });
    }
  }
  return out;
}
