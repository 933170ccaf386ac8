import type { V1Condition, V1LabelSelector, V1ManagedFieldsEntry, V1ObjectMeta } from '@kubernetes/client-node';

/**
 * Shapes shared by every kind in api/. They are client-node's types, with one correction: client-node
 * types timestamps as `Date` because its typed clients deserialize them, but custom objects (ours)
 * travel as plain JSON, so their timestamps are RFC 3339 strings. Typing them as strings keeps the
 * compiler honest about what a controller actually holds.
 */

/** RFC 3339 date-time, as the API server writes metav1.Time ("2026-01-02T03:04:05Z"). */
export type Timestamp = string;

export type ManagedFieldsEntry = Omit<V1ManagedFieldsEntry, 'time'> & { time?: Timestamp };

/** metav1.ObjectMeta of a custom object, as JSON. */
export type ObjectMeta = Omit<V1ObjectMeta, 'creationTimestamp' | 'deletionTimestamp' | 'managedFields'> & {
  creationTimestamp?: Timestamp;
  deletionTimestamp?: Timestamp;
  managedFields?: ManagedFieldsEntry[];
};

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export const ConditionStatuses = { True: 'True', False: 'False', Unknown: 'Unknown' } as const satisfies Record<ConditionStatus, ConditionStatus>;

/** metav1.Condition of a custom object, as JSON. */
export type Condition = Omit<V1Condition, 'lastTransitionTime' | 'status'> & {
  status: ConditionStatus;
  lastTransitionTime: Timestamp;
};

export type LabelSelector = V1LabelSelector;

/**
 * Where a kind is served: the shape of runtime's ResourceRef, so a kind constant from api/ can be
 * handed to the runtime's client and informers as it is. `version` is the storage version.
 */
export interface ResourceRef {
  /** '' for the core group. */
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

/** Everything a CRD in crds/ declares about a kind's names and versions. */
export interface KindInfo extends ResourceRef {
  singular: string;
  listKind: string;
  /** Every served version, newest first; `version` (the storage version) is one of them. */
  versions: readonly string[];
  shortNames: readonly string[];
  categories: readonly string[];
}

/** A custom object: apiVersion, kind and metadata, as every kind in api/ has them. */
export interface KubeObject<ApiVersion extends string = string, Kind extends string = string> {
  apiVersion: ApiVersion;
  kind: Kind;
  metadata: ObjectMeta;
}

/** `group/version`, or just `version` for the core group. */
export function apiVersionOf(ref: Pick<ResourceRef, 'group' | 'version'>): string {
  return ref.group === '' ? ref.version : `${ref.group}/${ref.version}`;
}
