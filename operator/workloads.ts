import type { KubeClient } from '../runtime/kube-client.js';
import type { KubeObject, ResourceRef } from '../runtime/resource.js';

/** Whether fleetlb's Deployments and DaemonSets are up: used by `fleetlb install` and `lab deploy`. */

export const DeploymentsResource: ResourceRef = { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true };
export const DaemonSetsResource: ResourceRef = { group: 'apps', version: 'v1', kind: 'DaemonSet', plural: 'daemonsets', namespaced: true };

export interface Workload extends KubeObject {
  spec?: { replicas?: number };
  status?: { availableReplicas?: number; desiredNumberScheduled?: number; numberAvailable?: number; observedGeneration?: number; updatedReplicas?: number };
}

/** `kind/name (have/want)` for one workload that is not available yet, or undefined when it is. */
export function notAvailable(kind: 'Deployment' | 'DaemonSet', w: Workload): string | undefined {
  const want = kind === 'Deployment' ? (w.spec?.replicas ?? 1) : (w.status?.desiredNumberScheduled ?? 0);
  const have = (kind === 'Deployment' ? w.status?.availableReplicas : w.status?.numberAvailable) ?? 0;
  // A status from before the last spec change says nothing about the new pods.
  const stale = (w.status?.observedGeneration ?? 0) < (w.metadata.generation ?? 0);
  return have < want || stale ? `${kind.toLowerCase()}/${w.metadata.name} (${have}/${want})` : undefined;
}

/** Workloads in `namespace` that are not available yet. */
export async function unavailableWorkloads(client: KubeClient, namespace: string): Promise<string[]> {
  const [deployments, daemonSets] = await Promise.all([
    client.list<Workload>(DeploymentsResource, { namespace }),
    client.list<Workload>(DaemonSetsResource, { namespace }),
  ]);
  return [
    ...deployments.items.map((d) => notAvailable('Deployment', d)),
    ...daemonSets.items.map((d) => notAvailable('DaemonSet', d)),
  ].filter((x): x is string => x !== undefined);
}
