import { describe, expect, test } from '@jest/globals';
import type { Work } from '../api/placement.js';
import { placementStatus, workReport, type WorkReport } from './placement-status.js';
import type { SchedulingDecision } from './placement-scheduler.js';

const now = new Date('2026-11-23T12:00:00Z');
const cond = (type: string, status: 'True' | 'False', observedGeneration: number, message = '') => ({ type, status, reason: 'r', message, observedGeneration, lastTransitionTime: '2026-11-23T11:00:00Z' });
const work = (generation: number, hash: string, reported: number, applied: 'True' | 'False' = 'True'): Work => ({
  apiVersion: 'placement.kubernetes-fleet.io/v1',
  kind: 'Work',
  metadata: { name: 'kuard-demo-work', namespace: 'fleet-member-member-1', generation, annotations: { 'placement.fleetlb.io/resource-hash': hash } },
  spec: {},
  status: {
    conditions: [cond('Applied', applied, reported), cond('Available', applied, reported)],
    manifestConditions: [{ identifier: { ordinal: 0, group: 'example.com', version: 'v1', kind: 'Widget', namespace: 'kuard-demo', name: 'w', resource: 'widgets' }, conditions: [cond('Applied', applied, reported, 'not served')] }],
  },
});
const decision: SchedulingDecision = { selected: ['member-1', 'member-2'], notPicked: [], satisfied: true, message: 'picked all 2 clusters that match the policy' };
const cluster = (s: ReturnType<typeof placementStatus>, type: string) => s.conditions?.find((c) => c.type === type);

describe('placement status', () => {
  test('a member report counts only for the Work generation it names', () => {
    expect(workReport(work(2, 'h', 1)).applied).toBeUndefined();
    expect(workReport(work(2, 'h', 2)).applied?.status).toBe('True');
  });

  test('Applied True on every cluster: the CRP is Scheduled, Applied and Available at its generation', () => {
    const reports = new Map<string, WorkReport>([['member-1', workReport(work(1, 'h', 1))], ['member-2', workReport(work(1, 'h', 1))]]);
    const s = placementStatus({ generation: 3, decision, selectedResources: [], desiredHash: 'h', reports, waiting: [], now });
    expect(cluster(s, 'ClusterResourcePlacementScheduled')).toMatchObject({ status: 'True', observedGeneration: 3 });
    expect(cluster(s, 'ClusterResourcePlacementApplied')).toMatchObject({ status: 'True', observedGeneration: 3 });
    expect(cluster(s, 'ClusterResourcePlacementAvailable')?.status).toBe('True');
    expect(s.placementStatuses?.map((p) => p.clusterName)).toEqual(['member-1', 'member-2']);
  });

  test('a failed object is named on its cluster and the CRP says which cluster failed', () => {
    const reports = new Map<string, WorkReport>([['member-1', workReport(work(1, 'h', 1, 'False'))], ['member-2', workReport(work(1, 'h', 1))]]);
    const s = placementStatus({ generation: 1, decision, selectedResources: [], desiredHash: 'h', reports, waiting: [], now });
    expect(cluster(s, 'ClusterResourcePlacementApplied')).toMatchObject({ status: 'False', message: 'not applied on 1 of 2 clusters: member-1' });
    expect(s.placementStatuses?.[0]?.failedPlacements).toEqual([{ group: 'example.com', version: 'v1', kind: 'Widget', namespace: 'kuard-demo', name: 'w', condition: expect.objectContaining({ status: 'False', message: 'not served' }) }]);
  });

  test('an out-of-date Work is pending, not applied, and rollout holding it back is said', () => {
    const reports = new Map<string, WorkReport>([['member-1', workReport(work(1, 'old', 1))], ['member-2', workReport(work(1, 'h', 1))]]);
    const s = placementStatus({ generation: 2, decision, selectedResources: [], desiredHash: 'h', reports, waiting: ['member-1'], now });
    expect(cluster(s, 'ClusterResourcePlacementApplied')?.status).toBe('Unknown');
    expect(cluster(s, 'ClusterResourcePlacementWorkSynchronized')).toMatchObject({ status: 'False', message: 'Works not written yet: member-1' });
    expect(cluster(s, 'ClusterResourcePlacementRolloutStarted')).toMatchObject({ status: 'False', message: 'held back by maxUnavailable: member-1' });
  });

  test('an unsatisfied policy is Scheduled False with the scheduler\'s message', () => {
    const s = placementStatus({ generation: 1, decision: { selected: [], notPicked: [], satisfied: false, message: 'picked 0 of 2 clusters' }, selectedResources: [], desiredHash: 'h', reports: new Map(), waiting: [], now });
    expect(cluster(s, 'ClusterResourcePlacementScheduled')).toMatchObject({ status: 'False', reason: 'SchedulingPolicyUnfulfilled', message: 'picked 0 of 2 clusters' });
  });
});
