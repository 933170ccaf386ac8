import { Annotations, ExportWeight, Labels } from '../../api/labels.js';
import {
  EndpointSliceExportKind,
  ServiceExportConditions,
  ServiceExportReasons,
  type EndpointSliceExportSpec,
  type InternalServiceExportSpec,
  type IPFamily,
  type ServicePort,
  type ServiceProtocol,
  type SessionAffinity,
} from '../../api/networking.js';
import type { Condition, ConditionInput } from '../../runtime/conditions.js';
import type { Timestamp } from '../../api/meta.js';

/**
 * What a member does with one ServiceExport: the Valid condition, and either the hub export to
 * write or a withdrawal. Pure. Beyond fleet-networking, a headless Service is exported (as
 * Headless, per the MCS API) rather than refused; ExternalName has no endpoints and stays refused.
 */

/** A core/v1 Service as JSON, the fields an export reads. */
export interface ExportedService {
  metadata: { name?: string; namespace?: string; uid?: string; resourceVersion?: string; generation?: number; deletionTimestamp?: Timestamp; annotations?: Record<string, string> };
  spec?: {
    type?: string;
    clusterIP?: string;
    ports?: { name?: string; protocol?: string; appProtocol?: string; port: number; targetPort?: number | string }[];
    sessionAffinity?: string;
    sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
    ipFamilies?: string[];
  };
}

export type WeightParse = { ok: true; weight: number } | { ok: false; message: string };

/** The weight annotation: an integer in [0, 1000], default 1. */
export function parseWeight(annotations: Readonly<Record<string, string>> | undefined): WeightParse {
  const raw = annotations?.[Annotations.weight];
  if (raw === undefined) return { ok: true, weight: ExportWeight.default };
  const trimmed = raw.trim();
  if (!/^\d+$/.test(trimmed)) return { ok: false, message: `annotation ${Annotations.weight} is "${raw}", not an integer from ${ExportWeight.min} to ${ExportWeight.max}` };
  const weight = Number(trimmed);
  if (weight < ExportWeight.min || weight > ExportWeight.max) return { ok: false, message: `annotation ${Annotations.weight} is ${weight}, outside ${ExportWeight.min} to ${ExportWeight.max}` };
  return { ok: true, weight };
}

export type ExportDecision =
  /** Not exportable: withdraw whatever was exported. */
  | { kind: 'invalid'; valid: ConditionInput }
  /** Valid, but weight 0: the cluster's endpoints are out, so withdraw the export. */
  | { kind: 'withdraw'; valid: ConditionInput; conflict: ConditionInput }
  | { kind: 'export'; valid: ConditionInput; spec: InternalServiceExportSpec };

const isProtocol = (p: string | undefined): p is ServiceProtocol => p === 'TCP' || p === 'UDP' || p === 'SCTP';
const isFamily = (f: string): f is IPFamily => f === 'IPv4' || f === 'IPv6';

/**
 * `exportedSince` is the ServiceExport's creation time (the MCS API's age for "oldest wins"),
 * fixed once: a re-created Service keeps its export's age.
 */
export function decideExport(
  clusterId: string,
  exportMeta: { namespace: string; name: string; creationTimestamp?: Timestamp; annotations?: Record<string, string> },
  service: ExportedService | undefined,
): ExportDecision {
  const invalid = (reason: string, message: string): ExportDecision => ({ kind: 'invalid', valid: { type: ServiceExportConditions.Valid, status: 'False', reason, message } });
  if (!service || service.metadata.deletionTimestamp) return invalid(ServiceExportReasons.ServiceNotFound, `Service ${exportMeta.namespace}/${exportMeta.name} not found`);
  if (service.spec?.type === 'ExternalName') return invalid(ServiceExportReasons.ServiceIneligible, `Service ${exportMeta.namespace}/${exportMeta.name} is of type ExternalName, which has no endpoints to export`);
  const weight = parseWeight(exportMeta.annotations);
  if (!weight.ok) return invalid(ServiceExportReasons.InvalidWeightAnnotation, weight.message);
  const headless = service.spec?.clusterIP === 'None';
  const what = headless ? 'headless Service, exported as Headless' : 'Service exported';
  if (weight.weight === 0) {
    return {
      kind: 'withdraw',
      valid: { type: ServiceExportConditions.Valid, status: 'True', reason: ServiceExportReasons.ServiceIsValid, message: `${what}; weight 0 takes this cluster's endpoints out` },
      conflict: { type: ServiceExportConditions.Conflict, status: 'False', reason: ServiceExportReasons.NoConflictFound, message: 'weight 0: not exported, so in conflict with nothing' },
    };
  }
  const ports: ServicePort[] = (service.spec?.ports ?? []).map((p) => ({
    ...(p.name ? { name: p.name } : {}),
    protocol: isProtocol(p.protocol) ? p.protocol : 'TCP',
    ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
    port: p.port,
    ...(p.targetPort !== undefined ? { targetPort: p.targetPort } : {}),
  }));
  const type = service.spec?.type === 'NodePort' || service.spec?.type === 'LoadBalancer' ? service.spec.type : 'ClusterIP';
  const affinity: SessionAffinity = service.spec?.sessionAffinity === 'ClientIP' ? 'ClientIP' : 'None';
  const timeout = service.spec?.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  const families = (service.spec?.ipFamilies ?? []).filter(isFamily);
  const spec: InternalServiceExportSpec = {
    ports,
    serviceReference: {
      clusterId,
      apiVersion: 'v1',
      kind: 'Service',
      namespace: exportMeta.namespace,
      name: exportMeta.name,
      namespacedName: `${exportMeta.namespace}/${exportMeta.name}`,
      ...(service.metadata.uid ? { uid: service.metadata.uid } : {}),
      ...(service.metadata.resourceVersion ? { resourceVersion: service.metadata.resourceVersion } : {}),
      ...(exportMeta.creationTimestamp ? { exportedSince: exportMeta.creationTimestamp } : {}),
    },
    type,
    ...(headless ? { headless: true } : {}),
    isInternalLoadBalancer: service.metadata.annotations?.[Annotations.serviceAzureInternalLoadBalancer] === 'true',
    weight: weight.weight,
    sessionAffinity: affinity,
    ...(affinity === 'ClientIP' && timeout !== undefined ? { sessionAffinityConfig: { clientIP: { timeoutSeconds: timeout } } } : {}),
    ...(families.length > 0 ? { ipFamilies: families } : {}),
  };
  return { kind: 'export', valid: { type: ServiceExportConditions.Valid, status: 'True', reason: ServiceExportReasons.ServiceIsValid, message: what }, spec };
}

/** A discovery/v1 EndpointSlice as JSON, the fields an export reads and a derived slice carries. */
export interface EndpointSliceObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string; uid?: string; resourceVersion?: string; generation?: number; labels?: Record<string, string>; annotations?: Record<string, string>; deletionTimestamp?: Timestamp; ownerReferences?: unknown[] };
  addressType: string;
  endpoints?: { addresses: string[]; conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean } }[] | null;
  ports?: { name?: string; protocol?: string; port?: number; appProtocol?: string }[] | null;
}

/**
 * The hub copy of one of the exported Service's EndpointSlices, or undefined when the slice has
 * nothing to export (an FQDN slice). Every endpoint goes, whatever its state: ready, serving and
 * terminating travel with it, so the importing side keeps kube-proxy's semantics (terminating but
 * serving endpoints still take traffic when nothing is ready).
 */
export function endpointSliceExportSpec(clusterId: string, slice: EndpointSliceObject, service: { namespace: string; name: string }): EndpointSliceExportSpec | undefined {
  if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') return undefined;
  const endpoints = (slice.endpoints ?? [])
    .filter((e) => e.addresses.length > 0)
    .map((e) => {
      const c = e.conditions ?? {};
      const conditions = {
        ...(c.ready !== undefined ? { ready: c.ready } : {}),
        ...(c.serving !== undefined ? { serving: c.serving } : {}),
        ...(c.terminating !== undefined ? { terminating: c.terminating } : {}),
      };
      return { addresses: e.addresses.slice(0, 100), ...(Object.keys(conditions).length > 0 ? { conditions } : {}) };
    });
  return {
    addressType: slice.addressType,
    endpoints,
    ports: (slice.ports ?? []).map((p) => ({
      ...(p.name ? { name: p.name } : {}),
      ...(isProtocol(p.protocol) ? { protocol: p.protocol } : {}),
      ...(p.port !== undefined ? { port: p.port } : {}),
      ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
    })),
    endpointSliceReference: {
      clusterId,
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      namespace: slice.metadata.namespace ?? service.namespace,
      name: slice.metadata.name ?? '',
      namespacedName: `${slice.metadata.namespace ?? service.namespace}/${slice.metadata.name ?? ''}`,
      ...(slice.metadata.uid ? { uid: slice.metadata.uid } : {}),
    },
    ownerServiceReference: { namespace: service.namespace, name: service.name, namespacedName: `${service.namespace}/${service.name}` },
  };
}

/**
 * Hub name of an exported slice: unique across the fleet and stable, so re-exports overwrite
 * rather than duplicate. `<cluster>-<namespace>-<slice>` cut to 253 characters.
 */
export function endpointSliceExportName(clusterId: string, namespace: string, sliceName: string): string {
  return `${clusterId}-${namespace}-${sliceName}`.slice(0, 253);
}

/**
 * The ServiceExport's Conflict condition. The hub decides conflicts (hub/service-import.ts) and
 * writes its verdict on the InternalServiceExport; the member copies it. Until the hub has spoken
 * the verdict is Unknown (pending); an invalid export is in conflict with nothing, so it has none.
 */
export function exportConflict(decision: ExportDecision, hubVerdict: Pick<Condition, 'status' | 'reason' | 'message'> | undefined): ConditionInput | undefined {
  if (decision.kind === 'invalid') return undefined;
  if (decision.kind === 'withdraw') return decision.conflict;
  if (!hubVerdict) return { type: ServiceExportConditions.Conflict, status: 'Unknown', reason: ServiceExportReasons.PendingConflictResolution, message: 'exported; waiting for the hub to resolve conflicts with other clusters\' exports' };
  return { type: ServiceExportConditions.Conflict, status: hubVerdict.status, reason: hubVerdict.reason ?? ServiceExportReasons.ConflictFound, message: hubVerdict.message ?? '' };
}

/** An EndpointSliceExport as the member writes it into its hub namespace. */
export interface EndpointSliceExportObject {
  apiVersion: string;
  kind: 'EndpointSliceExport';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: EndpointSliceExportSpec;
}

/**
 * The EndpointSliceExports of one exported Service: one per IP slice of the Service (label
 * kubernetes.io/service-name), named to be unique across the fleet, labelled with the service and
 * source cluster as the MCS API labels imported slices.
 */
export function endpointSliceExports(clusterId: string, hubNamespace: string, service: { namespace: string; name: string }, slices: readonly EndpointSliceObject[]): EndpointSliceExportObject[] {
  const out: EndpointSliceExportObject[] = [];
  for (const slice of slices) {
    if (slice.metadata.deletionTimestamp || slice.metadata.labels?.[Labels.serviceName] !== service.name || (slice.metadata.namespace ?? service.namespace) !== service.namespace) continue;
    const spec = endpointSliceExportSpec(clusterId, slice, service);
    if (!spec) continue;
    out.push({
      apiVersion: `${EndpointSliceExportKind.group}/${EndpointSliceExportKind.version}`,
      kind: 'EndpointSliceExport',
      metadata: { name: endpointSliceExportName(clusterId, service.namespace, slice.metadata.name ?? ''), namespace: hubNamespace, labels: { [Labels.mcsServiceName]: service.name, [Labels.mcsSourceCluster]: clusterId } },
      spec,
    });
  }
  return out;
}
