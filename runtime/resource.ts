/**
 * Which REST collection an object lives in (api/meta.ts ResourceRef). Controllers name resources
 * by these refs rather than by generated client classes, so one client serves core kinds and our
 * CRDs alike.
 */
import type { ObjectMeta, ResourceRef } from '../api/meta.js';

export type { ObjectMeta, ResourceRef };

/** Any object as the runtime handles it; list items may arrive without apiVersion and kind. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

export { apiVersionOf as apiVersion } from '../api/meta.js';

function base(ref: ResourceRef): string {
  return ref.group === '' ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`;
}

const seg = (s: string) => encodeURIComponent(s);

/** `/api/v1/namespaces/x/pods`, or all namespaces when `namespace` is undefined. */
export function collectionPath(ref: ResourceRef, namespace?: string): string {
  if (ref.namespaced && namespace !== undefined) return `${base(ref)}/namespaces/${seg(namespace)}/${ref.plural}`;
  return `${base(ref)}/${ref.plural}`;
}

export function objectPath(ref: ResourceRef, name: string, namespace?: string, subresource?: string): string {
  if (ref.namespaced && namespace === undefined) throw new Error(`${ref.kind} ${name} is namespaced: a namespace is required`);
  return `${collectionPath(ref, ref.namespaced ? namespace : undefined)}/${seg(name)}${subresource ? `/${subresource}` : ''}`;
}

/** Cache key of an object: `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(obj: { metadata: Pick<ObjectMeta, 'name' | 'namespace'> }): string {
  const { namespace, name } = obj.metadata;
  return namespace ? `${namespace}/${name ?? ''}` : (name ?? '');
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** Built-in resources the components use. Our CRDs' refs live in api/. */
export const CoreResources = {
  namespaces: { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false },
  configMaps: { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true },
  secrets: { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  serviceAccounts: { group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true },
  services: { group: '', version: 'v1', kind: 'Service', plural: 'services', namespaced: true },
  nodes: { group: '', version: 'v1', kind: 'Node', plural: 'nodes', namespaced: false },
  pods: { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true },
  events: { group: '', version: 'v1', kind: 'Event', plural: 'events', namespaced: true },
  endpointSlices: { group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', plural: 'endpointslices', namespaced: true },
  leases: { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', namespaced: true },
} as const satisfies Record<string, ResourceRef>;
