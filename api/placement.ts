import { Categories, PlacementGroup, PlacementStorageVersion, PlacementVersions, type PlacementVersion } from './groups.js';
import type { Condition, KindInfo, KubeObject, LabelSelector, Timestamp } from './meta.js';

/** Workload placement: placement.kubernetes-fleet.io (crds/placement.kubernetes-fleet.io_*.yaml). */

export type PlacementApiVersion = `${typeof PlacementGroup}/${PlacementVersion}`;

const categories = [Categories.fleet, Categories.fleetPlacement, Categories.fleetlb] as const;

export const ClusterResourcePlacementKind = {
  group: PlacementGroup,
  version: PlacementStorageVersion,
  versions: PlacementVersions,
  kind: 'ClusterResourcePlacement',
  listKind: 'ClusterResourcePlacementList',
  plural: 'clusterresourceplacements',
  singular: 'clusterresourceplacement',
  namespaced: false,
  shortNames: ['crp'],
  categories,
} as const satisfies KindInfo;

export const WorkKind = {
  group: PlacementGroup,
  version: PlacementStorageVersion,
  versions: PlacementVersions,
  kind: 'Work',
  listKind: 'WorkList',
  plural: 'works',
  singular: 'work',
  namespaced: true,
  shortNames: [],
  categories,
} as const satisfies KindInfo;

export const AppliedWorkKind = {
  group: PlacementGroup,
  version: PlacementStorageVersion,
  versions: PlacementVersions,
  kind: 'AppliedWork',
  listKind: 'AppliedWorkList',
  plural: 'appliedworks',
  singular: 'appliedwork',
  namespaced: false,
  shortNames: [],
  categories,
} as const satisfies KindInfo;

export const PlacementKinds = [ClusterResourcePlacementKind, WorkKind, AppliedWorkKind] as const;

/** Condition types on a ClusterResourcePlacement (the SCHEDULED and APPLIED columns read the first and the fifth). */
export const ClusterResourcePlacementConditions = {
  Scheduled: 'ClusterResourcePlacementScheduled',
  RolloutStarted: 'ClusterResourcePlacementRolloutStarted',
  Overridden: 'ClusterResourcePlacementOverridden',
  WorkSynchronized: 'ClusterResourcePlacementWorkSynchronized',
  Applied: 'ClusterResourcePlacementApplied',
  Available: 'ClusterResourcePlacementAvailable',
  DiffReported: 'ClusterResourcePlacementDiffReported',
  StatusSynced: 'ClusterResourcePlacementStatusSynced',
} as const;

/** Condition types in ClusterResourcePlacement.status.placementStatuses[].conditions (one cluster each). */
export const PerClusterPlacementConditions = {
  Scheduled: 'Scheduled',
  RolloutStarted: 'RolloutStarted',
  Overridden: 'Overridden',
  WorkSynchronized: 'WorkSynchronized',
  Applied: 'Applied',
  Available: 'Available',
  DiffReported: 'DiffReported',
} as const;

/** Condition types on a Work, and on each of its manifests. */
export const WorkConditions = {
  Applied: 'Applied',
  Available: 'Available',
  DiffReported: 'DiffReported',
  /** On a manifest: its back-reported status was too large and was trimmed. */
  StatusTrimmed: 'StatusTrimmed',
} as const;

/** Reasons on Work manifest conditions that describe drift and diff results. */
export const WorkReasons = {
  FoundDrifts: 'FoundDrifts',
  FoundDiff: 'FoundDiff',
} as const;

/** Reasons on ClusterResourcePlacement conditions. */
export const PlacementReasons = {
  SchedulingPolicyFulfilled: 'SchedulingPolicyFulfilled',
  SchedulingPolicyUnfulfilled: 'SchedulingPolicyUnfulfilled',
  InvalidResourceSelectors: 'InvalidResourceSelectors',
  WorkSynchronized: 'AllWorkSynced',
  WorkNotSynchronized: 'SyncWorkPending',
  RolloutStarted: 'RolloutStarted',
  RolloutPending: 'RolloutStartedUnknown',
  Applied: 'ApplySucceeded',
  ApplyFailed: 'ApplyFailed',
  ApplyPending: 'ApplyPending',
  Available: 'ResourceAvailable',
  NotAvailable: 'ResourceNotAvailableYet',
  NoClusters: 'NoTargetCluster',
} as const;

/** Reasons on Work and manifest conditions. */
export const WorkApplyReasons = {
  Applied: 'ManifestApplied',
  ApplyFailed: 'ManifestApplyFailed',
  Available: 'ManifestAvailable',
  NotAvailable: 'ManifestNotAvailableYet',
  AllApplied: 'WorkAllManifestsApplied',
  SomeFailed: 'WorkNotAllManifestsApplied',
  AllAvailable: 'WorkAllManifestsAvailable',
  SomeNotAvailable: 'WorkNotAllManifestsAvailable',
} as const;

/** Field manager of server-side applies made by the work applier. */
export const WorkApplierFieldManager = 'work-api-agent';

/** Name of the Work a placement writes into a member's namespace. */
export function workName(placementName: string): string {
  return `${placementName}-work`;
}

export type PlacementType = 'PickAll' | 'PickN' | 'PickFixed';
export type SelectionScope = 'NamespaceOnly' | 'NamespaceWithResources' | 'NamespaceWithResourceSelectors';
export type PropertySelectorOperator = 'Gt' | 'Ge' | 'Eq' | 'Ne' | 'Lt' | 'Le';

export interface ClusterResourceSelector {
  /** '' for the core group. */
  group: string;
  version: string;
  kind: string;
  /** Mutually exclusive with labelSelector. */
  name?: string;
  labelSelector?: LabelSelector;
  /** Namespaces only; default NamespaceWithResources. */
  selectionScope?: SelectionScope;
}

export interface PropertySelectorRequirement {
  name: string;
  operator: PropertySelectorOperator;
  /** Exactly one value. */
  values: [string];
}

export interface ClusterSelectorTerm {
  labelSelector?: LabelSelector;
  propertySelector?: { matchExpressions: PropertySelectorRequirement[] };
}

export interface PreferredClusterSelector {
  /** -100 to 100. */
  weight: number;
  preference: ClusterSelectorTerm & { propertySorter?: { name: string; sortOrder: 'Ascending' | 'Descending' } };
}

export interface ClusterAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: { clusterSelectorTerms: ClusterSelectorTerm[] };
  preferredDuringSchedulingIgnoredDuringExecution?: PreferredClusterSelector[];
}

export interface TopologySpreadConstraint {
  maxSkew?: number;
  topologyKey: string;
  whenUnsatisfiable?: 'DoNotSchedule' | 'ScheduleAnyway';
}

export interface Toleration {
  key?: string;
  operator?: 'Equal' | 'Exists';
  value?: string;
  effect?: 'NoSchedule';
}

export interface PlacementPolicy {
  /** Immutable; default PickAll. */
  placementType?: PlacementType;
  /** PickFixed only. */
  clusterNames?: string[];
  /** PickN only. */
  numberOfClusters?: number;
  affinity?: { clusterAffinity?: ClusterAffinity };
  /** PickN only. */
  topologySpreadConstraints?: TopologySpreadConstraint[];
  /** Can be added to, never changed or removed. */
  tolerations?: Toleration[];
}

export interface ApplyStrategy {
  comparisonOption?: 'PartialComparison' | 'FullComparison';
  whenToApply?: 'Always' | 'IfNotDrifted';
  type?: 'ClientSideApply' | 'ServerSideApply' | 'ReportDiff';
  allowCoOwnership?: boolean;
  serverSideApplyConfig?: { force?: boolean };
  whenToTakeOver?: 'Always' | 'IfNoDiff' | 'Never';
}

export interface ReportBackStrategy {
  type?: 'Disabled' | 'Mirror';
  destination?: 'OriginalResource' | 'WorkAPI';
}

export interface RolloutStrategy {
  type?: 'RollingUpdate' | 'External';
  rollingUpdate?: {
    /** A number of clusters or a percentage ("25%"). */
    maxUnavailable?: number | string;
    maxSurge?: number | string;
    unavailablePeriodSeconds?: number;
  };
  applyStrategy?: ApplyStrategy;
  deleteStrategy?: { propagationPolicy?: 'Delete' | 'Abandon' };
  reportBackStrategy?: ReportBackStrategy;
}

export interface ClusterResourcePlacementSpec {
  resourceSelectors: ClusterResourceSelector[];
  policy?: PlacementPolicy;
  strategy?: RolloutStrategy;
  revisionHistoryLimit?: number;
  statusReportingScope?: 'ClusterScopeOnly' | 'NamespaceAccessible';
}

export interface ResourceIdentifier {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  envelope?: { name?: string; namespace?: string; type?: string };
}

/** One difference between hub and member, as a JSON pointer. */
export interface PatchDetail {
  path: string;
  valueInMember?: string;
  valueInHub?: string;
}

export interface FailedResourcePlacement extends ResourceIdentifier {
  kind: string;
  condition: Condition;
}

export interface DriftedResourcePlacement extends ResourceIdentifier {
  kind: string;
  observationTime: Timestamp;
  firstDriftedObservedTime: Timestamp;
  targetClusterObservedGeneration: number;
  observedDrifts?: PatchDetail[];
}

export interface DiffedResourcePlacement extends ResourceIdentifier {
  kind: string;
  observationTime: Timestamp;
  firstDiffedObservedTime: Timestamp;
  targetClusterObservedGeneration?: number;
  observedDiffs?: PatchDetail[];
}

export interface ResourcePlacementStatus {
  clusterName?: string;
  observedResourceIndex?: string;
  applicableResourceOverrides?: { name: string; namespace?: string }[];
  applicableClusterResourceOverrides?: string[];
  failedPlacements?: FailedResourcePlacement[];
  driftedPlacements?: DriftedResourcePlacement[];
  diffedPlacements?: DiffedResourcePlacement[];
  conditions?: Condition[];
}

export interface ClusterResourcePlacementStatus {
  selectedResources?: (ResourceIdentifier & { kind: string; name: string })[];
  observedResourceIndex?: string;
  placementStatuses?: ResourcePlacementStatus[];
  conditions?: Condition[];
}

export interface ClusterResourcePlacement extends KubeObject<PlacementApiVersion, 'ClusterResourcePlacement'> {
  spec: ClusterResourcePlacementSpec;
  status?: ClusterResourcePlacementStatus;
}

/** A complete Kubernetes object carried in a Work. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; [field: string]: unknown };
  [field: string]: unknown;
}

export interface WorkSpec {
  workload?: { manifests?: Manifest[] };
  applyStrategy?: ApplyStrategy;
  reportBackStrategy?: ReportBackStrategy;
}

export interface WorkResourceIdentifier {
  /** Index of the manifest in spec.workload.manifests. */
  ordinal: number;
  group?: string;
  version?: string;
  kind?: string;
  resource?: string;
  namespace?: string;
  name?: string;
}

export interface ManifestCondition {
  identifier: WorkResourceIdentifier;
  conditions?: Condition[];
  driftDetails?: { observationTime: Timestamp; firstDriftedObservedTime: Timestamp; observedInMemberClusterGeneration: number; observedDrifts?: PatchDetail[] };
  diffDetails?: { observationTime: Timestamp; firstDiffedObservedTime: Timestamp; observedInMemberClusterGeneration?: number; observedDiffs?: PatchDetail[] };
  backReportedStatus?: { observedStatus?: Record<string, unknown>; observationTime?: Timestamp };
}

export interface WorkStatus {
  conditions?: Condition[];
  manifestConditions?: ManifestCondition[];
}

export interface Work extends KubeObject<PlacementApiVersion, 'Work'> {
  spec: WorkSpec;
  status?: WorkStatus;
}

export interface AppliedResourceMeta extends Omit<WorkResourceIdentifier, 'ordinal'> {
  ordinal?: number;
  uid?: string;
}

export interface AppliedWork extends KubeObject<PlacementApiVersion, 'AppliedWork'> {
  spec: { workName: string; workNamespace: string };
  status?: { appliedResources?: AppliedResourceMeta[] };
}
