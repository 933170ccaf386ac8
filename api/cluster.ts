import type { RbacV1Subject } from '@kubernetes/client-node';
import { Categories, ClusterGroup, ClusterStorageVersion, ClusterVersions, type ClusterVersion } from './groups.js';
import type { Condition, KindInfo, KubeObject, Timestamp } from './meta.js';

/** Fleet membership: cluster.kubernetes-fleet.io (crds/cluster.kubernetes-fleet.io_*.yaml). */

export type ClusterApiVersion = `${typeof ClusterGroup}/${ClusterVersion}`;

const categories = [Categories.fleet, Categories.fleetCluster, Categories.fleetlb] as const;

export const MemberClusterKind = {
  group: ClusterGroup,
  version: ClusterStorageVersion,
  versions: ClusterVersions,
  kind: 'MemberCluster',
  listKind: 'MemberClusterList',
  plural: 'memberclusters',
  singular: 'membercluster',
  namespaced: false,
  shortNames: ['cluster'],
  categories,
} as const satisfies KindInfo;

export const InternalMemberClusterKind = {
  group: ClusterGroup,
  version: ClusterStorageVersion,
  versions: ClusterVersions,
  kind: 'InternalMemberCluster',
  listKind: 'InternalMemberClusterList',
  plural: 'internalmemberclusters',
  singular: 'internalmembercluster',
  namespaced: true,
  shortNames: ['imc'],
  categories,
} as const satisfies KindInfo;

export const ClusterKinds = [MemberClusterKind, InternalMemberClusterKind] as const;

/** Condition types of a MemberCluster. */
export const MemberClusterConditions = {
  /** The hub has set up the member's namespace, role and InternalMemberCluster. */
  ReadyToJoin: 'ReadyToJoin',
  /** Every agent on the member reports Joined. */
  Joined: 'Joined',
  Healthy: 'Healthy',
  ClusterPropertyProviderStarted: 'ClusterPropertyProviderStarted',
  ClusterPropertyCollectionSucceeded: 'ClusterPropertyCollectionSucceeded',
} as const;

export const MemberClusterReasons = {
  Joined: 'MemberClusterJoined',
  Left: 'MemberClusterLeft',
  JoinStateUnknown: 'MemberClusterJoinStateUnknown',
} as const;

/** Reasons of the hub's Healthy condition on a MemberCluster. */
export const MemberHealthReasons = {
  Healthy: 'MemberAgentHealthy',
  Unhealthy: 'MemberAgentUnhealthy',
  HeartbeatOverdue: 'MemberAgentHeartbeatOverdue',
  NoHeartbeat: 'MemberAgentNeverReported',
} as const;

/**
 * How a member agent finds its hub: a Secret in fleetlb-system on the member holding a kubeconfig
 * for the hub and the member's name (docs/adr/0041).
 */
export const HubCredential = {
  secretName: 'fleetlb-hub-credential',
  kubeconfigKey: 'kubeconfig',
  memberNameKey: 'memberName',
} as const;

/** The hub ServiceAccount (in fleetlb-system) a member's agent authenticates as. */
export const memberAgentServiceAccount = (member: string): string => `member-agent-${member}`;

/** Condition types an agent reports in InternalMemberCluster.status.agentStatus[].conditions. */
export const AgentConditions = {
  Joined: 'Joined',
  Healthy: 'Healthy',
} as const;

/** The agents that report on a member, one agentStatus entry each. */
export const AgentTypes = {
  MemberAgent: 'MemberAgent',
  MultiClusterServiceAgent: 'MultiClusterServiceAgent',
  ServiceExportImportAgent: 'ServiceExportImportAgent',
} as const;
export type AgentType = (typeof AgentTypes)[keyof typeof AgentTypes];

export type ClusterState = 'Join' | 'Leave';
export const ClusterStates = { Join: 'Join', Leave: 'Leave' } as const satisfies Record<ClusterState, ClusterState>;

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule';
}

export interface MemberClusterSpec {
  /** The subject the member's agents authenticate to the hub as. */
  identity: RbacV1Subject;
  /** 1 to 600, default 60. */
  heartbeatPeriodSeconds?: number;
  taints?: Taint[];
  deleteOptions?: { validationMode?: 'Strict' | 'Skip' };
}

export interface PropertyValue {
  value: string;
  observationTime: Timestamp;
}

/** Kubernetes quantities ("3500m", "16Gi") keyed by resource name (cpu, memory). */
export type ResourceList = Record<string, string | number>;

export interface ResourceUsage {
  capacity?: ResourceList;
  allocatable?: ResourceList;
  available?: ResourceList;
  observationTime?: Timestamp;
}

export interface AgentStatus {
  /** One of AgentTypes. */
  type: AgentType;
  conditions?: Condition[];
  lastReceivedHeartbeat?: Timestamp;
}

export interface MemberClusterStatus {
  conditions?: Condition[];
  agentStatus?: AgentStatus[];
  /** Keyed by property name, e.g. ClusterProperties.nodeCount. */
  properties?: Record<string, PropertyValue>;
  resourceUsage?: ResourceUsage;
}

export interface MemberCluster extends KubeObject<ClusterApiVersion, 'MemberCluster'> {
  spec: MemberClusterSpec;
  status?: MemberClusterStatus;
}

export interface InternalMemberClusterSpec {
  state: ClusterState;
  heartbeatPeriodSeconds?: number;
}

export type InternalMemberClusterStatus = MemberClusterStatus;

export interface InternalMemberCluster extends KubeObject<ClusterApiVersion, 'InternalMemberCluster'> {
  spec: InternalMemberClusterSpec;
  status?: InternalMemberClusterStatus;
}
