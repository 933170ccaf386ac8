import { describe, expect, test } from '@jest/globals';
import { availability, workStatus } from './work-status.js';

const now = new Date('2026-11-23T12:00:00Z');

describe('work status', () => {
  test('a Deployment is available when every replica of the current generation is', () => {
    expect(availability('Deployment', { metadata: { generation: 2 }, spec: { replicas: 2 }, status: { observedGeneration: 1, availableReplicas: 2, updatedReplicas: 2 } }).available).toBe(false);
    expect(availability('Deployment', { metadata: { generation: 2 }, spec: { replicas: 2 }, status: { observedGeneration: 2, availableReplicas: 1, updatedReplicas: 2 } })).toEqual({ available: false, message: '1 of 2 replicas available' });
    expect(availability('Deployment', { metadata: { generation: 2 }, spec: { replicas: 2 }, status: { observedGeneration: 2, availableReplicas: 2, updatedReplicas: 2 } }).available).toBe(true);
    expect(availability('ConfigMap', {}).available).toBe(true);
  });

  test('a failed manifest is named, with its reason, on the Work; the others stay applied', () => {
    const s = workStatus(
      [
        { identifier: { ordinal: 0, version: 'v1', kind: 'Namespace', name: 'kuard-demo' } },
        { identifier: { ordinal: 1, group: 'example.com', version: 'v1', kind: 'Widget', namespace: 'kuard-demo', name: 'w' }, error: 'the member does not serve example.com/v1 Widget' },
      ],
      undefined,
      3,
      now,
    );
    expect(s.conditions?.find((c) => c.type === 'Applied')).toMatchObject({ status: 'False', observedGeneration: 3, message: '1 of 2 manifests failed to apply: Widget w: the member does not serve example.com/v1 Widget' });
    expect(s.manifestConditions?.[0]?.conditions?.find((c) => c.type === 'Applied')?.status).toBe('True');
    expect(s.manifestConditions?.[1]?.conditions?.find((c) => c.type === 'Applied')).toMatchObject({ status: 'False', reason: 'ManifestApplyFailed' });
  });

  test('unchanged conditions keep their transition time', () => {
    const first = workStatus([{ identifier: { ordinal: 0, version: 'v1', kind: 'ConfigMap', name: 'c' } }], undefined, 1, now);
    const later = workStatus([{ identifier: { ordinal: 0, version: 'v1', kind: 'ConfigMap', name: 'c' } }], first, 1, new Date('2026-11-23T13:00:00Z'));
    expect(later).toEqual(first);
  });
});
