import { Categories, MetalLBBGPPeerStorageVersion, MetalLBBGPPeerVersions, MetalLBGroup, MetalLBVersion, type MetalLBBGPPeerVersion } from './groups.js';
import type { Condition, KindInfo, KubeObject, LabelSelector } from './meta.js';

/** Load-balancer addresses and announcements: metallb.io (crds/metallb.io_*.yaml), MetalLB's field names. */

export type MetalLBApiVersion = `${typeof MetalLBGroup}/${typeof MetalLBVersion}`;
export type BGPPeerApiVersion = `${typeof MetalLBGroup}/${MetalLBBGPPeerVersion}`;

const categories = [Categories.metallb, Categories.fleetlb] as const;

function metallbKind<K extends string, P extends string, S extends string>(kind: K, plural: P, singular: S) {
  return {
    group: MetalLBGroup,
    version: MetalLBVersion,
    versions: [MetalLBVersion] as const,
    kind,
    listKind: `${kind}List` as const,
    plural,
    singular,
    namespaced: true,
    shortNames: [] as const,
    categories,
  } as const satisfies KindInfo;
}

export const IPAddressPoolKind = metallbKind('IPAddressPool', 'ipaddresspools', 'ipaddresspool');
export const L2AdvertisementKind = metallbKind('L2Advertisement', 'l2advertisements', 'l2advertisement');
export const BGPAdvertisementKind = metallbKind('BGPAdvertisement', 'bgpadvertisements', 'bgpadvertisement');
export const CommunityKind = metallbKind('Community', 'communities', 'community');
export const BFDProfileKind = metallbKind('BFDProfile', 'bfdprofiles', 'bfdprofile');
export const ServiceL2StatusKind = metallbKind('ServiceL2Status', 'servicel2statuses', 'servicel2status');
export const ServiceBGPStatusKind = metallbKind('ServiceBGPStatus', 'servicebgpstatuses', 'servicebgpstatus');
export const BGPPeerKind = {
  ...metallbKind('BGPPeer', 'bgppeers', 'bgppeer'),
  version: MetalLBBGPPeerStorageVersion,
  versions: MetalLBBGPPeerVersions,
} as const satisfies KindInfo;

export const MetalLBKinds = [
  IPAddressPoolKind,
  L2AdvertisementKind,
  BGPAdvertisementKind,
  BGPPeerKind,
  CommunityKind,
  BFDProfileKind,
  ServiceL2StatusKind,
  ServiceBGPStatusKind,
] as const;

/** generateName prefixes of the status objects the speakers write. */
export const StatusNamePrefixes = { l2: 'l2-', bgp: 'bgp-' } as const;

/** Defaults the CRDs apply, for code that builds objects without a round trip to the server. */
export const MetalLBDefaults = {
  autoAssign: true,
  avoidBuggyIPs: false,
  aggregationLength: 32,
  aggregationLengthV6: 128,
  peerPort: 179,
  /** When neither holdTime nor keepaliveTime is set. */
  holdTimeSeconds: 90,
  bfdReceiveIntervalMs: 300,
  bfdTransmitIntervalMs: 300,
  bfdDetectMultiplier: 3,
  bfdEchoIntervalMs: 50,
  bfdMinimumTtl: 254,
} as const;

export interface ServiceAllocation {
  /** Lower is tried first; 0 or unset is the lowest priority. */
  priority?: number;
  namespaces?: string[];
  namespaceSelectors?: LabelSelector[];
  serviceSelectors?: LabelSelector[];
}

export interface IPAddressPoolSpec {
  /** CIDRs ("198.51.100.0/24") or inclusive ranges of one family ("198.51.100.10-198.51.100.20"). */
  addresses: string[];
  autoAssign?: boolean;
  avoidBuggyIPs?: boolean;
  serviceAllocation?: ServiceAllocation;
}

export interface IPAddressPoolStatus {
  assignedIPv4?: number;
  assignedIPv6?: number;
  availableIPv4?: number;
  availableIPv6?: number;
}

export interface IPAddressPool extends KubeObject<MetalLBApiVersion, 'IPAddressPool'> {
  spec: IPAddressPoolSpec;
  status?: IPAddressPoolStatus;
}

export interface PreferredNodeSelector {
  /** 1 to 100. */
  weight: number;
  preference: LabelSelector;
}

export interface L2AdvertisementSpec {
  ipAddressPools?: string[];
  ipAddressPoolSelectors?: LabelSelector[];
  nodeSelectors?: LabelSelector[];
  interfaces?: string[];
  serviceSelectors?: LabelSelector[];
  preferredNodeSelectors?: PreferredNodeSelector[];
}

export interface L2Advertisement extends KubeObject<MetalLBApiVersion, 'L2Advertisement'> {
  spec?: L2AdvertisementSpec;
}

export interface BGPAdvertisementSpec {
  aggregationLength?: number;
  aggregationLengthV6?: number;
  localPref?: number;
  /** "64512:100", "large:64512:1:2", or a Community alias. */
  communities?: string[];
  ipAddressPools?: string[];
  ipAddressPoolSelectors?: LabelSelector[];
  nodeSelectors?: LabelSelector[];
  peers?: string[];
  serviceSelectors?: LabelSelector[];
}

export interface BGPAdvertisement extends KubeObject<MetalLBApiVersion, 'BGPAdvertisement'> {
  spec?: BGPAdvertisementSpec;
}

export interface CommunitySpec {
  communities?: { name: string; value: string }[];
}

export interface Community extends KubeObject<MetalLBApiVersion, 'Community'> {
  spec?: CommunitySpec;
}

export interface BFDProfileSpec {
  receiveInterval?: number;
  transmitInterval?: number;
  detectMultiplier?: number;
  echoInterval?: number;
  echoMode?: boolean;
  passiveMode?: boolean;
  minimumTtl?: number;
}

export interface BFDProfile extends KubeObject<MetalLBApiVersion, 'BFDProfile'> {
  spec?: BFDProfileSpec;
}

export type DynamicASNMode = 'internal' | 'external';

export interface BGPPeerSpec {
  myASN: number;
  /** Exactly one of peerASN and dynamicASN. */
  peerASN?: number;
  dynamicASN?: DynamicASNMode;
  localASN?: number;
  /** Exactly one of peerAddress and interface. */
  peerAddress?: string;
  interface?: string;
  sourceAddress?: string;
  peerPort?: number;
  routerID?: string;
  /** Go duration ("90s"); 0 or at least 3s. */
  holdTime?: string;
  /** Go duration; at most holdTime. */
  keepaliveTime?: string;
  /** Whole seconds, 1s to 65535s. */
  connectTime?: string;
  nodeSelectors?: LabelSelector[];
  password?: string;
  passwordSecret?: { name?: string; namespace?: string };
  bfdProfile?: string;
  enableGracefulRestart?: boolean;
  ebgpMultiHop?: boolean;
  vrf?: string;
  disableMP?: boolean;
  dualStackAddressFamily?: boolean;
}

/** One node's session to the peer, written by that node's speaker (fleetlb addition; list keyed by node). */
export interface BGPPeerSessionStatus {
  node: string;
  peerAddress: string;
  /** RFC 4271 state: Idle, Connect, Active, OpenSent, OpenConfirm, Established. */
  state: string;
  /** When the session last became Established (uptime); absent while it is not. */
  establishedSince?: string;
  prefixesSent: number;
  updatesSent: number;
  lastError?: string;
}

export interface BGPPeerStatus {
  sessions?: BGPPeerSessionStatus[];
  /** Supported: False lists the fields the speaker does not honour. */
  conditions?: Condition[];
}

export interface BGPPeer extends KubeObject<BGPPeerApiVersion, 'BGPPeer'> {
  spec: BGPPeerSpec;
  status?: BGPPeerStatus;
}

export interface ServiceL2StatusStatus {
  node?: string;
  serviceName?: string;
  serviceNamespace?: string;
  interfaces?: { name: string }[];
}

export interface ServiceL2Status extends KubeObject<MetalLBApiVersion, 'ServiceL2Status'> {
  status?: ServiceL2StatusStatus;
}

export interface ServiceBGPStatusStatus {
  node?: string;
  serviceName?: string;
  serviceNamespace?: string;
  /** Names of the BGPPeers the node is configured to announce the Service to. */
  peers?: string[];
}

export interface ServiceBGPStatus extends KubeObject<MetalLBApiVersion, 'ServiceBGPStatus'> {
  status?: ServiceBGPStatusStatus;
}
