import { describe, expect, test } from '@jest/globals';
import { containerKind, fleetlbArgs, podStatus, probePort, resolveEnv, type Pod } from './pod-plan.js';

const pod: Pod = {
  metadata: { name: 'speaker-x', namespace: 'fleetlb-system', uid: 'u1', labels: { app: 'speaker' } },
  spec: { nodeName: 'member-1-node-1', serviceAccountName: 'speaker', containers: [] },
};
const facts = { nodeName: 'member-1-node-1', podIPs: ['198.18.16.2', '2001:db8:1000:10::2'], hostIPs: ['192.0.2.20', '2001:db8:0:1::14'] };

describe('pod planning', () => {
  test('images decide what a container runs', () => {
    expect(containerKind('ghcr.io/fleetlb/fleetlb:0.1.0')).toBe('fleetlb');
    expect(containerKind('fleetlb@sha256:abc')).toBe('fleetlb');
    expect(containerKind('ghcr.io/kuar-demo/kuard-amd64:1')).toBe('kuard');
    expect(containerKind('nginx')).toBe('plain');
    expect(containerKind('example.com/fleetlb-docs:1')).toBe('plain');
  });

  test('a fleetlb container runs its command without the binary, then its args', () => {
    expect(fleetlbArgs({ name: 'c', image: 'fleetlb', command: ['/fleetlb'], args: ['speaker', '--node=$(NODE)'] })).toEqual(['speaker', '--node=$(NODE)']);
    expect(fleetlbArgs({ name: 'c', image: 'fleetlb', args: ['member-agent'] })).toEqual(['member-agent']);
  });

  test('environment resolves fieldRefs and reports what the lab cannot provide', () => {
    const { env, unsupported } = resolveEnv(
      {
        name: 'c',
        image: 'fleetlb',
        env: [
          { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          { name: 'PLAIN', value: 'x' },
          { name: 'SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } as never },
        ],
      },
      pod,
      facts,
    );
    expect(env).toEqual({ NODE_NAME: 'member-1-node-1', POD_IP: '198.18.16.2', APP: 'speaker', PLAIN: 'x' });
    expect(unsupported).toEqual(['SECRET (secretKeyRef)']);
  });

  test('probe ports may be named', () => {
    expect(probePort('metrics', { name: 'c', image: 'x', ports: [{ name: 'metrics', containerPort: 7472 }] })).toBe(7472);
    expect(probePort(8080, { name: 'c', image: 'x' })).toBe(8080);
    expect(probePort('nope', { name: 'c', image: 'x' })).toBeUndefined();
  });

  test('status: Running and Ready when every container runs ready; restarts are counted', () => {
    const now = new Date('2026-01-01T00:00:10Z');
    const s = podStatus(pod, [{ name: 'c', image: 'fleetlb', running: true, ready: true, pid: 42, startedAt: '2026-01-01T00:00:05Z', restartCount: 1, lastExit: { exitCode: 1, finishedAt: '2026-01-01T00:00:04Z' } }], facts, '2026-01-01T00:00:00Z', now);
    expect(s.phase).toBe('Running');
    expect(s.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(s.podIPs).toEqual([{ ip: '198.18.16.2' }, { ip: '2001:db8:1000:10::2' }]);
    expect(s.containerStatuses[0]).toMatchObject({ ready: true, restartCount: 1, containerID: 'fleetlb-lab://42', lastState: { terminated: { exitCode: 1 } } });
  });

  test('status: a container that exited under restartPolicy Never ends the pod', () => {
    const done = podStatus({ ...pod, spec: { ...pod.spec!, restartPolicy: 'Never' } }, [{ name: 'c', image: 'x', running: false, ready: false, restartCount: 1, lastExit: { exitCode: 0, finishedAt: 't' } }], facts, 't', new Date());
    expect(done.phase).toBe('Succeeded');
    const crash = podStatus(pod, [{ name: 'c', image: 'x', running: false, ready: false, restartCount: 2, waitingReason: 'CrashLoopBackOff', lastExit: { exitCode: 1, finishedAt: 't' } }], facts, 't', new Date());
    expect(crash.phase).toBe('Running');
    expect(crash.containerStatuses[0]?.state.waiting?.reason).toBe('CrashLoopBackOff');
  });
});
