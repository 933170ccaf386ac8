import type { V1LoadBalancerStatus } from '@kubernetes/client-node';
import { Categories, NetworkingGroup, NetworkingStorageVersion, NetworkingVersions, type NetworkingVersion } from './groups.js';
import type { Condition, KindInfo, KubeObject, Timestamp } from './meta.js';

/** Multi-cluster services: networking.fleet.azure.com (crds/networking.fleet.azure.com_*.yaml). */

export type NetworkingApiVersion = `${typeof NetworkingGroup}/${NetworkingVersion}`;

const categories = [Categories.fleetNetworking, Categories.fleetlb] as const;

function networkingKind<K extends string, P extends string, S extends string, N extends readonly string[]>(kind: K, plural: P, singular: S, shortNames: N) {
  return {
    group: NetworkingGroup,
    version: NetworkingStorageVersion,
    versions: NetworkingVersions,
    kind,
    listKind: `${kind}List` as const,
    plural,
    singular,
    namespaced: true,
    shortNames,
    categories,
  } as const satisfies KindInfo;
}

export const ServiceExportKind = networkingKind('ServiceExport', 'serviceexports', 'serviceexport', ['svcexport'] as const);
export const ServiceImportKind = networkingKind('ServiceImport', 'serviceimports', 'serviceimport', ['svcimport'] as const);
export const MultiClusterServiceKind = networkingKind('MultiClusterService', 'multiclusterservices', 'multiclusterservice', ['mcs'] as const);
export const InternalServiceExportKind = networkingKind('InternalServiceExport', 'internalserviceexports', 'internalserviceexport', ['internalsvcexport'] as const);
export const InternalServiceImportKind = networkingKind('InternalServiceImport', 'internalserviceimports', 'internalserviceimport', ['internalsvcimport'] as const);
export const EndpointSliceExportKind = networkingKind('EndpointSliceExport', 'endpointsliceexports', 'endpointsliceexport', [] as const);
export const EndpointSliceImportKind = networkingKind('EndpointSliceImport', 'endpointsliceimports', 'endpointsliceimport', [] as const);

export const NetworkingKinds = [
  ServiceExportKind,
  ServiceImportKind,
  MultiClusterServiceKind,
  InternalServiceExportKind,
  InternalServiceImportKind,
  EndpointSliceExportKind,
  EndpointSliceImportKind,
] as const;

/** Condition types on a ServiceExport (IS-VALID and IS-CONFLICTED columns) and InternalServiceExport. */
export const ServiceExportConditions = {
  Valid: 'Valid',
  Conflict: 'Conflict',
} as const;

export const ServiceExportReasons = {
  // Valid
  ServiceIsValid: 'ServiceIsValid',
  ServiceNotFound: 'ServiceNotFound',
  /** Headless and ExternalName Services cannot be exported. */
  ServiceIneligible: 'ServiceIneligible',
  InvalidWeightAnnotation: 'ServiceExportInvalidWeightAnnotation',
  // Conflict
  PendingConflictResolution: 'ServicePendingConflictResolution',
  NoConflictFound: 'NoConflictFound',
  ConflictFound: 'ConflictFound',
} as const;

/**
 * Reasons of Conflict=True on an export, the MCS API's (KEP-1645); several are joined by commas.
 * Type and port conflicts leave the export out of the import; the others only flag it.
 */
export const ServiceExportConflictReasons = {
  TypeConflict: 'TypeConflict',
  PortConflict: 'PortConflict',
  SessionAffinityConflict: 'SessionAffinityConflict',
  SessionAffinityConfigConflict: 'SessionAffinityConfigConflict',
  IPFamilyConflict: 'IPFamilyConflict',
} as const;

/** Condition types on a MultiClusterService (IS-VALID column). */
export const MultiClusterServiceConditions = {
  Valid: 'Valid',
} as const;

export const MultiClusterServiceReasons = {
  /** True: the import exists with ports; the derived Service serves it. */
  FoundServiceImport: 'FoundServiceImport',
  /** False: no cluster exports the Service (or none is alive), so the hub has no ServiceImport. */
  UnknownServiceImport: 'UnknownServiceImport',
  /** False: an older MCS on the same member already load-balances this import. */
  ServiceImportInUse: 'ServiceImportInUse',
  /** False: the hub InternalServiceImport `<namespace>-<name>` already stands for another import. */
  InternalServiceImportTaken: 'InternalServiceImportTaken',
  /** False: the import has no ports (member-agent/multicluster/derived-service.ts). */
  NoPorts: 'NoPorts',
  /** False: an internal address was asked for and no pool is labelled internal. */
  NoInternalPool: 'NoInternalPool',
} as const;

/** Event reasons on a MultiClusterService besides its Valid reasons (recorded when Valid changes). */
export const MultiClusterServiceEvents = {
  ExternalIPAssigned: 'ExternalIPAssigned',
} as const;

/** Event reasons on a member ServiceExport when the hub's verdict on conflicts arrives. */
export const ServiceExportEvents = {
  ConflictFound: 'ServiceExportConflictFound',
  NoConflictFound: 'NoServiceExportConflictFound',
} as const;

/** Hub name of a member's export or import of `namespace/name`: `<namespace>-<name>`. */
export function internalObjectName(namespace: string, name: string): string {
  return `${namespace}-${name}`;
}

export type ServiceProtocol = 'TCP' | 'UDP' | 'SCTP';
export type IPFamily = 'IPv4' | 'IPv6';
export type ServiceImportType = 'ClusterSetIP' | 'Headless';
export type SessionAffinity = 'None' | 'ClientIP';

export interface ServicePort {
  name?: string;
  /** Default TCP. */
  protocol?: ServiceProtocol;
  appProtocol?: string;
  port: number;
  targetPort?: number | string;
}

export interface SessionAffinityConfig {
  clientIP?: { timeoutSeconds?: number };
}

/** An object on a member cluster, and when it was first exported (the oldest export wins a conflict). */
export interface ExportedObjectReference {
  clusterId: string;
  apiVersion?: string;
  kind: string;
  namespace: string;
  name: string;
  resourceVersion?: string;
  generation?: number;
  uid?: string;
  /** `namespace/name`. */
  namespacedName: string;
  exportedSince?: Timestamp;
}

export interface ServiceExportStatus {
  conditions?: Condition[];
}

/** Spec-less: the Service of the same namespace and name is what is exported. */
export interface ServiceExport extends KubeObject<NetworkingApiVersion, 'ServiceExport'> {
  status?: ServiceExportStatus;
}

export interface ClusterStatus {
  cluster: string;
}

export interface ServiceImportStatus {
  /** At most one address per IP family. */
  ips?: string[];
  type?: ServiceImportType;
  sessionAffinity?: SessionAffinity;
  sessionAffinityConfig?: SessionAffinityConfig;
  ports?: ServicePort[];
  clusters?: ClusterStatus[];
}

export interface ServiceImport extends KubeObject<NetworkingApiVersion, 'ServiceImport'> {
  status?: ServiceImportStatus;
}

export interface MultiClusterServiceSpec {
  serviceImport: { name: string };
}

export interface MultiClusterServiceStatus {
  loadBalancer?: V1LoadBalancerStatus;
  conditions?: Condition[];
}

export interface MultiClusterService extends KubeObject<NetworkingApiVersion, 'MultiClusterService'> {
  spec: MultiClusterServiceSpec;
  status?: MultiClusterServiceStatus;
}

export interface InternalServiceExportSpec {
  ports: ServicePort[];
  serviceReference: ExportedObjectReference;
  type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  /** fleetlb: the Service has clusterIP None, so it imports as Headless. */
  headless?: boolean;
  isDNSLabelConfigured?: boolean;
  isInternalLoadBalancer?: boolean;
  publicIPResourceID?: string;
  /** 0 to 1000. */
  weight?: number;
  sessionAffinity?: SessionAffinity;
  sessionAffinityConfig?: SessionAffinityConfig;
  ipFamilies?: IPFamily[];
}

export interface InternalServiceExport extends KubeObject<NetworkingApiVersion, 'InternalServiceExport'> {
  spec: InternalServiceExportSpec;
  status?: { conditions?: Condition[] };
}

export interface InternalServiceImport extends KubeObject<NetworkingApiVersion, 'InternalServiceImport'> {
  spec: { serviceImportReference: ExportedObjectReference };
  status?: ServiceImportStatus;
}

/** An endpoint's state on its own cluster; an unset `ready` counts as ready. */
export interface EndpointConditions {
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export interface Endpoint {
  /** 1 to 100 addresses, all of the slice's addressType. */
  addresses: string[];
  conditions?: EndpointConditions;
}

export interface EndpointPort {
  name?: string;
  protocol?: ServiceProtocol;
  port?: number;
  appProtocol?: string;
}

export interface EndpointSliceExportSpec {
  /** Immutable. */
  addressType: IPFamily;
  endpoints: Endpoint[];
  ports?: EndpointPort[];
  endpointSliceReference: ExportedObjectReference;
  ownerServiceReference: { namespace: string; name: string; namespacedName: string };
}

export interface EndpointSliceExport extends KubeObject<NetworkingApiVersion, 'EndpointSliceExport'> {
  spec: EndpointSliceExportSpec;
}

export interface EndpointSliceImport extends KubeObject<NetworkingApiVersion, 'EndpointSliceImport'> {
  spec: EndpointSliceExportSpec;
}
