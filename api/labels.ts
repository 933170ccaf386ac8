/**
 * Well-known labels, annotations, finalizers and namespaces, written once. The names are the
 * anchors' (KubeFleet, fleet-networking, the MCS API, MetalLB) wherever fleetlb shares a behaviour
 * with them, so objects written by either side mean the same thing.
 */

/** fleetlb's own namespace, on the hub and on every member. */
export const FleetLBNamespace = 'fleetlb-system';

/** Hub namespace of a member cluster: its InternalMemberCluster, Works and exported objects. */
export const MemberNamespacePrefix = 'fleet-member-';
export function memberNamespace(clusterName: string): string {
  return `${MemberNamespacePrefix}${clusterName}`;
}
/** The member whose hub namespace this is, or undefined for any other namespace. */
export function memberOfNamespace(namespace: string | undefined): string | undefined {
  return namespace?.startsWith(MemberNamespacePrefix) && namespace.length > MemberNamespacePrefix.length ? namespace.slice(MemberNamespacePrefix.length) : undefined;
}

/** Namespaces a ClusterResourcePlacement may not select (enforced by the CRD as well). */
export const ReservedNamespaces = { exact: ['default', FleetLBNamespace], prefixes: ['kube-', 'fleet-'] } as const;
export function isReservedNamespace(name: string): boolean {
  return (ReservedNamespaces.exact as readonly string[]).includes(name) || ReservedNamespaces.prefixes.some((p) => name.startsWith(p));
}

export const Labels = {
  // --- Member cluster location, as Azure Fleet sets it and the walkthrough selects on.
  location: 'fleet.azure.com/location',
  resourceGroup: 'fleet.azure.com/resource-group',
  subscriptionId: 'fleet.azure.com/subscription-id',
  clusterName: 'fleet.azure.com/cluster-name',
  memberName: 'fleet.azure.com/member-name',
  region: 'topology.kubernetes.io/region',
  zone: 'topology.kubernetes.io/zone',

  // --- KubeFleet bookkeeping on hub objects.
  /** On a MemberCluster and its namespace: the member's name. */
  fleetMemberName: 'kubernetes-fleet.io/member-name',
  /** On namespaces the fleet created for itself ("true"). */
  isFleetResource: 'kubernetes-fleet.io/is-fleet-resource',
  /** On Works and snapshots: the ClusterResourcePlacement they come from. */
  parentCRP: 'kubernetes-fleet.io/parent-CRP',
  parentResourceBinding: 'kubernetes-fleet.io/parent-resource-binding',
  parentResourceSnapshotIndex: 'kubernetes-fleet.io/parent-resource-snapshot-index',
  isLatestSnapshot: 'kubernetes-fleet.io/is-latest-snapshot',

  // --- Multi-cluster services (MCS API and fleet-networking).
  /** On EndpointSlices of an imported service: the exported Service's name. */
  mcsServiceName: 'multicluster.kubernetes.io/service-name',
  /** On EndpointSlices of an imported service: the cluster the endpoints run in. */
  mcsSourceCluster: 'multicluster.kubernetes.io/source-cluster',
  /** On EndpointSlices: the Service they belong to (discovery.k8s.io). */
  serviceName: 'kubernetes.io/service-name',
  /** On EndpointSlices: the controller that manages them (discovery.k8s.io). */
  endpointSliceManagedBy: 'endpointslice.kubernetes.io/managed-by',
  /** On a MultiClusterService: the ServiceImport it claimed. */
  serviceImport: 'networking.fleet.azure.com/service-import',
  /** On a MultiClusterService: the LoadBalancer Service derived from it. */
  derivedService: 'networking.fleet.azure.com/derived-service',
  /** On a derived Service: the MultiClusterService it serves. */
  multiClusterServiceName: 'networking.fleet.azure.com/multi-cluster-service-name',
  multiClusterServiceNamespace: 'networking.fleet.azure.com/multi-cluster-service-namespace',

  // --- MetalLB.
  /** On ServiceL2Status / ServiceBGPStatus: the announcing node and the Service. */
  metallbNode: 'metallb.io/node',
  metallbServiceName: 'metallb.io/service-name',
  metallbServiceNamespace: 'metallb.io/service-namespace',
  /** On ConfigurationState objects: controller or speaker, and the speaker's node. */
  metallbComponentType: 'metallb.io/component-type',
  metallbNodeName: 'metallb.io/node-name',
  /** On Nodes: never announce load-balancer addresses from this node. */
  excludeFromExternalLoadBalancers: 'node.kubernetes.io/exclude-from-external-load-balancers',

  // --- Ours.
  partOf: 'app.kubernetes.io/part-of',
  /** On the pool and advertisements `fleetlb lb create` wrote: the load balancer's name. */
  loadBalancer: 'fleetlb.io/load-balancer',
  /** On BGPPeers `fleetlb bgp-peer create` wrote: the peer's name. */
  bgpPeer: 'fleetlb.io/bgp-peer',
  /** On an IPAddressPool ("true"): its addresses are internal; MultiClusterServices asking for an internal address take them. */
  internalPool: 'fleetlb.io/internal',
} as const;

/** Value of Labels.endpointSliceManagedBy on EndpointSlices fleetlb writes for imported services. */
export const EndpointSliceManager = 'endpointslice-import.fleetlb.io';

export const Annotations = {
  // --- fleet-networking.
  /** On a ServiceExport: the cluster's share of the service, 0 to 1000 (default 1); 0 withdraws the export. */
  weight: 'networking.fleet.azure.com/weight',
  /** On an exported EndpointSlice: the fleet-wide unique name of its EndpointSliceExport. */
  fleetUniqueName: 'networking.fleet.azure.com/fleet-unique-name',
  /** On a hub ServiceImport: JSON map of importing cluster namespace to cluster id. */
  serviceInUseBy: 'networking.fleet.azure.com/service-in-use-by',
  /** On a MultiClusterService: request an internal rather than a public address (Azure). */
  azureInternalLoadBalancer: 'networking.fleet.azure.com/azure-load-balancer-internal',
  /** On a Service (Azure cloud provider): use an internal load balancer. */
  serviceAzureInternalLoadBalancer: 'service.beta.kubernetes.io/azure-load-balancer-internal',

  // --- KubeFleet.
  /** On applied objects: the last configuration applied client-side by the work applier. */
  lastAppliedConfiguration: 'kubernetes-fleet.io/last-applied-configuration',

  // --- Placement (ours).
  /** On a Work: hash of its manifests, so the hub rewrites a Work only when its content changes. */
  workResourceHash: 'placement.fleetlb.io/resource-hash',

  // --- MetalLB Service annotations, current names.
  /** Allocate from this IPAddressPool (works even when the pool has autoAssign: false). */
  addressPool: 'metallb.io/address-pool',
  /** Comma-separated addresses to assign (one per family for dual-stack). */
  loadBalancerIPs: 'metallb.io/loadBalancerIPs',
  /** Services with the same key may share an address when their ports do not overlap. */
  allowSharedIP: 'metallb.io/allow-shared-ip',
  /** Written by the allocator: the pool the address came from. */
  ipAllocatedFromPool: 'metallb.io/ip-allocated-from-pool',
} as const;

/** MetalLB's older annotation names, still honoured (with a Warning event, as MetalLB does). */
export const DeprecatedMetalLBAnnotations = {
  addressPool: 'metallb.universe.tf/address-pool',
  loadBalancerIPs: 'metallb.universe.tf/loadBalancerIPs',
  allowSharedIP: 'metallb.universe.tf/allow-shared-ip',
  ipAllocatedFromPool: 'metallb.universe.tf/ip-allocated-from-pool',
} as const satisfies Record<'addressPool' | 'loadBalancerIPs' | 'allowSharedIP' | 'ipAllocatedFromPool', string>;

/** Default of Annotations.weight, and its bounds. */
export const ExportWeight = { default: 1, min: 0, max: 1000 } as const;

export const Finalizers = {
  /** On a MemberCluster: the hub cleans up the member's namespace before it goes. */
  memberCluster: 'kubernetes-fleet.io/membercluster-finalizer',
  /** On a ClusterResourcePlacement: its Works are withdrawn from every member first. */
  placementCleanup: 'kubernetes-fleet.io/crp-cleanup',
  /** On an AppliedWork: the applier removes placed objects first. */
  workCleanup: 'kubernetes-fleet.io/work-cleanup',
  /** On a member ServiceExport: the hub export is withdrawn first. */
  serviceExportCleanup: 'networking.fleet.azure.com/svc-export-cleanup',
  /** On a hub InternalServiceExport: the cluster is removed from the ServiceImport first. */
  internalServiceExportCleanup: 'networking.fleet.azure.com/internal-svc-export-cleanup',
  /** On a MultiClusterService: the derived Service and ServiceImport are removed first. */
  serviceResourcesCleanup: 'networking.fleet.azure.com/service-resources-cleanup',
  /** On a ServiceImport: the hub InternalServiceImport is removed first. */
  serviceImportCleanup: 'networking.fleet.azure.com/serviceimport-cleanup',
  /** On a hub EndpointSliceExport: its EndpointSliceImports are withdrawn first. */
  endpointSliceExportCleanup: 'networking.fleet.azure.com/endpointsliceexport-cleanup',
  /** On an EndpointSliceImport: the member EndpointSlice is removed first. */
  endpointSliceImportCleanup: 'networking.fleet.azure.com/endpointsliceimport-cleanup',
} as const;

/** Member cluster properties the member agent reports and placement can select or sort on. */
export const ClusterProperties = {
  nodeCount: 'kubernetes-fleet.io/node-count',
  kubernetesVersion: 'k8s.io/k8s-version',
  clusterEntrypoint: 'k8s.io/cluster-entrypoint',
  clusterCertificateAuthorityData: 'k8s.io/cluster-certificate-authority-data',
  totalCPU: 'resources.kubernetes-fleet.io/total-cpu',
  allocatableCPU: 'resources.kubernetes-fleet.io/allocatable-cpu',
  availableCPU: 'resources.kubernetes-fleet.io/available-cpu',
  totalMemory: 'resources.kubernetes-fleet.io/total-memory',
  allocatableMemory: 'resources.kubernetes-fleet.io/allocatable-memory',
  availableMemory: 'resources.kubernetes-fleet.io/available-memory',
} as const;

/** Speaker liveness: one Lease per node in the speaker's namespace, `<prefix><node>`, labelled for listing. */
export const SpeakerLeases = {
  namePrefix: 'fleetlb-speaker-',
  /** Label (value: the node) every speaker Lease carries; speakers list Leases by it. */
  nodeLabel: 'speaker.fleetlb.io/node',
  /** Annotation: the lease duration in milliseconds (leaseDurationSeconds is whole seconds). */
  durationMsAnnotation: 'speaker.fleetlb.io/lease-duration-ms',
} as const;
