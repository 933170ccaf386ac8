import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { FLEETLB_NAMESPACE, labDeploy } from '../../lab/deploy.js';
import { labDown, labUp } from '../../lab/lab.js';
import { isRoot } from '../../lab/netns.js';
import type { LabState } from '../../lab/state.js';
import { describeAsRoot, eventually } from '../support/lab.js';

/**
 * fleetlb deployed into a lab the way users deploy it — `kubectl apply` of crds/ and deploy/ —
 * and running there as pods, each with its own ServiceAccount's token, never as an admin. A Role
 * missing a permission makes this fail. Its own small lab, because a deployed allocator would
 * assign addresses to every other suite's Services.
 */

let dir: string;
let lab: LabState;
const MEMBER = 'd-1';

beforeAll(async () => {
  if (!isRoot()) return;
  dir = await mkdtemp(join(tmpdir(), 'fleetlb-deploy-'));
  await chmod(dir, 0o755);
  lab = await labUp({ dir, members: `${MEMBER}=eastus`, nodesPerMember: 2 });
});

afterAll(async () => {
  if (!dir) return;
  await labDown({ dir });
  await rm(dir, { recursive: true, force: true });
});

describeAsRoot('lab deploy', () => {
  test('fleetlb runs in the lab as pods with their ServiceAccounts and serves a LoadBalancer Service', async () => {
    const progress: string[] = [];
    await labDeploy({ dir, progress: (l) => progress.push(l) });
    expect(progress).toContain('every fleetlb workload is available');

    const kc = new k8s.KubeConfig();
    kc.loadFromFile(lab.clusters.find((c) => c.name === MEMBER)!.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const pods = (await core.listNamespacedPod({ namespace: FLEETLB_NAMESPACE })).items;
    expect(pods.length).toBeGreaterThan(0);
    for (const p of pods) {
      expect(p.status?.phase).toBe('Running');
      expect(p.spec?.serviceAccountName).toMatch(/^fleetlb-/);
      expect(p.spec?.containers[0]?.image).toMatch(/fleetlb/);
    }

    // The deployed allocator (with only its Role's permissions) assigns from a pool.
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    await custom.createNamespacedCustomObject({
      group: 'metallb.io',
      version: 'v1beta1',
      namespace: FLEETLB_NAMESPACE,
      plural: 'ipaddresspools',
      body: { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'lab' }, spec: { addresses: ['198.51.100.32/28', '2001:db8:100::20/124'] } },
    });
    await core.createNamespacedService({
      namespace: 'default',
      body: { metadata: { name: 'web' }, spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80 }] } },
    });
    const ip = await eventually('an external IP from the pool', async () => {
      const s = await core.readNamespacedService({ namespace: 'default', name: 'web' });
      return s.status?.loadBalancer?.ingress?.[0]?.ip;
    }, 60_000);
    expect(ip).toMatch(/^198\.51\.100\.(3[2-9]|4[0-7])$/);
  });
});
