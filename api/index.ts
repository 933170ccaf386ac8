/**
 * fleetlb's API: the kinds it serves (types and names), and the labels, annotations, finalizers and
 * condition types they carry. Everything here matches crds/; api/crds.test.ts checks that.
 */
import { ClusterKinds } from './cluster.js';
import type { KindInfo } from './meta.js';
import { MetalLBKinds } from './metallb.js';
import { NetworkingKinds } from './networking.js';
import { PlacementKinds } from './placement.js';

export * from './meta.js';
export * from './groups.js';
export * from './labels.js';
export * from './cluster.js';
export * from './placement.js';
export * from './networking.js';
export * from './metallb.js';

/** Every kind fleetlb serves, one CRD each. */
export const AllKinds: readonly KindInfo[] = [...ClusterKinds, ...PlacementKinds, ...NetworkingKinds, ...MetalLBKinds];
