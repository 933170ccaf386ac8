import { describe, expect, test } from '@jest/globals';
import { Labels } from '../api/labels.js';
import type { PlacementPolicy } from '../api/placement.js';
import { schedulePlacement, type ClusterView } from './placement-scheduler.js';

const loc = Labels.location;
const fleet: ClusterView[] = [
  { name: 'member-3', labels: { [loc]: 'westus' }, state: 'eligible', properties: { 'kubernetes-fleet.io/node-count': 5 } },
  { name: 'member-1', labels: { [loc]: 'eastus' }, state: 'eligible', properties: { 'kubernetes-fleet.io/node-count': 2 } },
  { name: 'member-2', labels: { [loc]: 'eastus' }, state: 'eligible', properties: { 'kubernetes-fleet.io/node-count': 3 } },
];
const eastus: PlacementPolicy = { affinity: { clusterAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { clusterSelectorTerms: [{ labelSelector: { matchLabels: { [loc]: 'eastus' } } }] } } } };

describe('schedulePlacement', () => {
  test('PickAll (the default) takes every eligible cluster, sorted by name', () => {
    const d = schedulePlacement(undefined, fleet);
    expect(d.selected).toEqual(['member-1', 'member-2', 'member-3']);
    expect(d.satisfied).toBe(true);
  });

  test('required affinity with matchLabels keeps only the matching region', () => {
    const d = schedulePlacement(eastus, fleet);
    expect(d.selected).toEqual(['member-1', 'member-2']);
    expect(d.notPicked).toEqual([{ cluster: 'member-3', reason: 'does not match the required cluster affinity' }]);
  });

  test('matchExpressions and ORed terms; property selectors compare numbers', () => {
    const notEast: PlacementPolicy = { affinity: { clusterAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { clusterSelectorTerms: [{ labelSelector: { matchExpressions: [{ key: loc, operator: 'NotIn', values: ['eastus'] }] } }] } } } };
    expect(schedulePlacement(notEast, fleet).selected).toEqual(['member-3']);
    const bigOrWest: PlacementPolicy = {
      affinity: { clusterAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { clusterSelectorTerms: [
        { propertySelector: { matchExpressions: [{ name: 'kubernetes-fleet.io/node-count', operator: 'Ge', values: ['3'] }] } },
        { labelSelector: { matchLabels: { [loc]: 'nowhere' } } },
      ] } } },
    };
    expect(schedulePlacement(bigOrWest, fleet).selected).toEqual(['member-2', 'member-3']);
  });

  test('PickN: preferred affinity weights decide, then the name breaks ties', () => {
    const base: PlacementPolicy = { placementType: 'PickN', numberOfClusters: 1 };
    expect(schedulePlacement(base, fleet).selected).toEqual(['member-1']);
    const preferWest: PlacementPolicy = { ...base, affinity: { clusterAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 20, preference: { labelSelector: { matchLabels: { [loc]: 'westus' } } } }] } } };
    expect(schedulePlacement(preferWest, fleet).selected).toEqual(['member-3']);
    const avoidWest: PlacementPolicy = { ...base, numberOfClusters: 2, affinity: { clusterAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: -50, preference: { labelSelector: { matchLabels: { [loc]: 'eastus' } } } }] } } };
    expect(schedulePlacement(avoidWest, fleet).selected).toEqual(['member-1', 'member-3']);
  });

  test('PickN: a property sorter prefers the larger value when Descending', () => {
    const p: PlacementPolicy = { placementType: 'PickN', numberOfClusters: 1, affinity: { clusterAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { propertySorter: { name: 'kubernetes-fleet.io/node-count', sortOrder: 'Descending' } } }] } } };
    expect(schedulePlacement(p, fleet).selected).toEqual(['member-3']);
  });

  test('PickN with topology spread over the region picks one cluster per region', () => {
    const p: PlacementPolicy = { placementType: 'PickN', numberOfClusters: 2, topologySpreadConstraints: [{ topologyKey: loc, maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' }] };
    const d = schedulePlacement(p, fleet);
    expect(d.selected).toEqual(['member-1', 'member-3']);
    // Without the constraint the two first names win, both in eastus.
    expect(schedulePlacement({ placementType: 'PickN', numberOfClusters: 2 }, fleet).selected).toEqual(['member-1', 'member-2']);
  });

  test('PickN asks for more than the spread allows: fewer clusters, not satisfied, and why', () => {
    const p: PlacementPolicy = { placementType: 'PickN', numberOfClusters: 4, topologySpreadConstraints: [{ topologyKey: loc }] };
    const d = schedulePlacement(p, [...fleet, { name: 'member-4', labels: { [loc]: 'eastus' }, state: 'eligible' }]);
    expect(d.selected).toEqual(['member-1', 'member-2', 'member-3']);
    expect(d.satisfied).toBe(false);
    expect(d.message).toBe('picked 3 of 4 clusters: only 3 match the policy');
    expect(d.notPicked).toEqual([{ cluster: 'member-4', reason: 'would break a topology spread constraint' }]);
  });

  test('PickN prefers the clusters it is on already when scores tie (no reshuffle)', () => {
    const p: PlacementPolicy = { placementType: 'PickN', numberOfClusters: 1 };
    expect(schedulePlacement(p, fleet, ['member-2']).selected).toEqual(['member-2']);
  });

  test('PickFixed takes the named clusters and reports missing ones', () => {
    const d = schedulePlacement({ placementType: 'PickFixed', clusterNames: ['member-3', 'member-9'] }, fleet);
    expect(d.selected).toEqual(['member-3']);
    expect(d.satisfied).toBe(false);
    expect(d.message).toContain('member-9 (no such member cluster)');
  });

  test('taints keep untolerating placements away; Equal and Exists tolerations let them in', () => {
    const tainted = fleet.map((c) => (c.name === 'member-1' ? { ...c, taints: [{ key: 'maintenance', value: 'yes', effect: 'NoSchedule' as const }] } : c));
    expect(schedulePlacement(eastus, tainted).selected).toEqual(['member-2']);
    expect(schedulePlacement({ ...eastus, tolerations: [{ key: 'maintenance', operator: 'Equal', value: 'yes' }] }, tainted).selected).toEqual(['member-1', 'member-2']);
    expect(schedulePlacement({ ...eastus, tolerations: [{ key: 'maintenance', operator: 'Equal', value: 'no' }] }, tainted).selected).toEqual(['member-2']);
    expect(schedulePlacement({ ...eastus, tolerations: [{ operator: 'Exists' }] }, tainted).selected).toEqual(['member-1', 'member-2']);
    // A taint added after placing does not evict (NoSchedule).
    expect(schedulePlacement(eastus, tainted, ['member-1']).selected).toEqual(['member-1', 'member-2']);
  });

  test('a late cluster gets no new placement but keeps the one it has; a leaving one loses it', () => {
    const late = fleet.map((c) => (c.name === 'member-2' ? { ...c, state: 'late' as const } : c));
    expect(schedulePlacement(eastus, late).selected).toEqual(['member-1']);
    expect(schedulePlacement(eastus, late).notPicked).toContainEqual({ cluster: 'member-2', reason: 'not healthy: its heartbeat is overdue' });
    expect(schedulePlacement(eastus, late, ['member-2']).selected).toEqual(['member-1', 'member-2']);
    expect(schedulePlacement({ placementType: 'PickN', numberOfClusters: 2 }, late).selected).toEqual(['member-1', 'member-3']);
    const leaving = fleet.map((c) => (c.name === 'member-2' ? { ...c, state: 'leaving' as const } : c));
    expect(schedulePlacement(eastus, leaving, ['member-2']).selected).toEqual(['member-1']);
    expect(schedulePlacement({ placementType: 'PickFixed', clusterNames: ['member-2'] }, late).selected).toEqual([]);
  });

  test('the decision does not depend on the order clusters come in', () => {
    const p: PlacementPolicy = { placementType: 'PickN', numberOfClusters: 2, topologySpreadConstraints: [{ topologyKey: loc }] };
    expect(schedulePlacement(p, [...fleet].reverse())).toEqual(schedulePlacement(p, fleet));
  });
});
