import { ClusterGroup, NetworkingGroup, PlacementGroup } from '../api/groups.js';
import { isReservedNamespace, Labels } from '../api/labels.js';
import type { ClusterResourceSelector, Manifest, ResourceIdentifier } from '../api/placement.js';
import { selectorMatches } from '../runtime/label-selector.js';
import type { DiscoveredResource } from '../runtime/discovery.js';
import type { KubeObject } from '../runtime/resource.js';

/**
 * What a placement carries: the objects its selectors pick on the hub, cleaned of everything that
 * belongs to the hub's copy (identity, status, allocated addresses), as Fleet's resource selector
 * does (reference/fleet.md §2 steps 2–3). Pure; the placement controller does the listing.
 */

/** Networking kinds the fleet derives itself; placing them would fight the controllers that own them. */
const DERIVED_NETWORKING_KINDS = new Set(['ServiceImport', 'InternalServiceExport', 'InternalServiceImport', 'EndpointSliceExport', 'EndpointSliceImport', 'MultiClusterService', 'TrafficManagerProfile', 'TrafficManagerBackend']);
/** Kinds that only make sense on the cluster that made them. */
const NEVER_PLACED = new Set(['/Pod', '/Event', 'events.k8s.io/Event', '/Endpoints', '/Binding', '/Node', 'apps/ControllerRevision', 'coordination.k8s.io/Lease', 'authorization.k8s.io/LocalSubjectAccessReview']);

/** Whether objects of this kind may be carried to members at all. */
export function isPlaceableKind(r: Pick<DiscoveredResource, 'group' | 'kind' | 'verbs'>): boolean {
  if (!r.verbs.includes('list')) return false;
  if (r.group === ClusterGroup || r.group === PlacementGroup) return false;
  if (r.group === NetworkingGroup && DERIVED_NETWORKING_KINDS.has(r.kind)) return false;
  return !NEVER_PLACED.has(`${r.group}/${r.kind}`);
}

interface Obj extends KubeObject {
  type?: string;
  spec?: Record<string, unknown>;
  [field: string]: unknown;
}

/** Objects inside a placed namespace that are left where they are (made by the cluster itself). */
export function shouldPropagate(obj: Obj): boolean {
  const m = obj.metadata;
  if (m.deletionTimestamp) return false;
  // Controller-owned children (ReplicaSets, Jobs of CronJobs, ...): the member's controllers make their own.
  if (m.ownerReferences?.some((o) => o.controller)) return false;
  if (obj.kind === 'ConfigMap' && m.name === 'kube-root-ca.crt') return false;
  if (obj.kind === 'ServiceAccount' && m.name === 'default') return false;
  if (obj.kind === 'Secret' && obj.type === 'kubernetes.io/service-account-token') return false;
  if (obj.kind === 'EndpointSlice' && m.labels?.[Labels.endpointSliceManagedBy]) return false;
  return true;
}

const DROPPED_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration', 'deployment.kubernetes.io/revision'];
const JOB_LABELS = ['controller-uid', 'batch.kubernetes.io/controller-uid', 'job-name', 'batch.kubernetes.io/job-name'];

function withoutKeys(rec: Record<string, string> | undefined, keys: string[]): Record<string, string> | undefined {
  if (!rec) return undefined;
  const out = Object.fromEntries(Object.entries(rec).filter(([k]) => !keys.includes(k)));
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The object as a member should receive it. */
export function sanitize(obj: Obj): Manifest {
  const { metadata, status: _status, ...rest } = obj;
  const meta: Manifest['metadata'] = { name: metadata.name };
  if (metadata.namespace) meta.namespace = metadata.namespace;
  if (metadata.labels && Object.keys(metadata.labels).length > 0) meta.labels = { ...metadata.labels };
  const annotations = withoutKeys(metadata.annotations, DROPPED_ANNOTATIONS);
  if (annotations) meta.annotations = annotations;
  const out: Manifest = { ...(structuredClone(rest) as Omit<Manifest, 'metadata'>), apiVersion: obj.apiVersion ?? '', kind: obj.kind ?? '', metadata: meta };
  const spec = out.spec as Record<string, unknown> | undefined;
  if (obj.kind === 'Service' && spec) {
    // Addresses and node ports are the member's to allocate; None (headless) is a choice, kept.
    if (spec.clusterIP !== 'None') {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    delete spec.healthCheckNodePort;
    if (Array.isArray(spec.ports)) spec.ports = (spec.ports as Record<string, unknown>[]).map(({ nodePort: _n, ...p }) => p);
  }
  if (obj.kind === 'Job' && spec) {
    // The Job controller generates its selector and labels from the Job's uid, which differs on the member.
    const sel = spec.selector as { matchLabels?: Record<string, string> } | undefined;
    if (spec.manualSelector !== true && sel) delete spec.selector;
    const tmeta = (spec.template as { metadata?: { labels?: Record<string, string> } } | undefined)?.metadata;
    if (tmeta?.labels) {
      const labels = withoutKeys(tmeta.labels, JOB_LABELS);
      if (labels) tmeta.labels = labels;
      else delete tmeta.labels;
    }
  }
  return out;
}

export function identify(m: Manifest): ResourceIdentifier & { kind: string; name: string } {
  const i = m.apiVersion.indexOf('/');
  return {
    group: i < 0 ? '' : m.apiVersion.slice(0, i),
    version: i < 0 ? m.apiVersion : m.apiVersion.slice(i + 1),
    kind: m.kind,
    name: m.metadata.name ?? '',
    ...(m.metadata.namespace ? { namespace: m.metadata.namespace } : {}),
  };
}

/** Whether a cluster-scoped object is picked by a selector term (name or label selector). */
export function selectorPicks(sel: ClusterResourceSelector, obj: KubeObject): boolean {
  if (sel.name !== undefined) return obj.metadata.name === sel.name;
  if (sel.labelSelector) return selectorMatches(sel.labelSelector, obj.metadata.labels ?? {});
  return true;
}

/** A namespace a placement may not take (default, kube-*, fleet-*, fleetlb-system). */
export { isReservedNamespace };

/** Manifests in apply order: namespaces and CRDs first, so what lives in them finds them. */
export function applyOrder(a: Manifest, b: Manifest): number {
  const rank = (m: Manifest) => (m.kind === 'Namespace' ? 0 : m.kind === 'CustomResourceDefinition' ? 1 : m.metadata.namespace ? 3 : 2);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  const ka = `${a.apiVersion}/${a.kind}/${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`;
  const kb = `${b.apiVersion}/${b.kind}/${b.metadata.namespace ?? ''}/${b.metadata.name ?? ''}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
