/**
 * The API groups fleetlb serves and their versions. The groups are the anchors' own, so their
 * manifests apply unchanged; see docs/adr/0010 for why each group's versions share one schema.
 */

/** Fleet membership (MemberCluster), as KubeFleet serves it. */
export const ClusterGroup = 'cluster.kubernetes-fleet.io';
/** Workload placement (ClusterResourcePlacement, Work), as KubeFleet serves it. */
export const PlacementGroup = 'placement.kubernetes-fleet.io';
/** Multi-cluster services (ServiceExport, MultiClusterService), as Azure fleet-networking serves it. */
export const NetworkingGroup = 'networking.fleet.azure.com';
/** Load-balancer addresses and announcements (IPAddressPool, BGPPeer), as MetalLB serves it. */
export const MetalLBGroup = 'metallb.io';

export const Groups = [ClusterGroup, PlacementGroup, NetworkingGroup, MetalLBGroup] as const;
export type Group = (typeof Groups)[number];

/** Served versions of each group, newest first, and the one objects are stored in. */
export const ClusterVersions = ['v1', 'v1beta1'] as const;
export const ClusterStorageVersion = 'v1';
export type ClusterVersion = (typeof ClusterVersions)[number];

export const PlacementVersions = ['v1', 'v1beta1'] as const;
export const PlacementStorageVersion = 'v1';
export type PlacementVersion = (typeof PlacementVersions)[number];

export const NetworkingVersions = ['v1beta1', 'v1alpha1'] as const;
export const NetworkingStorageVersion = 'v1beta1';
export type NetworkingVersion = (typeof NetworkingVersions)[number];

/** Every metallb.io kind is v1beta1 only, except BGPPeer (v1beta2 stored, v1beta1 still served). */
export const MetalLBVersion = 'v1beta1';
export const MetalLBBGPPeerVersions = ['v1beta2', 'v1beta1'] as const;
export const MetalLBBGPPeerStorageVersion = 'v1beta2';
export type MetalLBBGPPeerVersion = (typeof MetalLBBGPPeerVersions)[number];

/** Categories, so `kubectl get fleetlb` (or `fleet-networking`, `metallb`, ...) lists a family of kinds. */
export const Categories = {
  fleetlb: 'fleetlb',
  fleet: 'fleet',
  fleetCluster: 'fleet-cluster',
  fleetPlacement: 'fleet-placement',
  fleetNetworking: 'fleet-networking',
  metallb: 'metallb',
} as const;
