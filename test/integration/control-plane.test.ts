import { describe, expect, test } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { get } from '../../lab/health.js';
import { eventually, testLab, uniqueName } from '../support/lab.js';
import { deployment } from '../support/manifests.js';

const web = (ns: string) => deployment({ namespace: ns, name: 'web', image: 'nginx', replicas: 2, port: 80 });

describe('lab control planes', () => {
  test('every cluster of the default fleet answers with the lab Kubernetes version', async () => {
    const lab = await testLab();
    expect(lab.state.clusters.map((c) => c.name)).toEqual(['hub', 'member-1', 'member-2', 'member-3']);
    expect(lab.members.map((m) => m.location)).toEqual(['eastus', 'eastus', 'westus']);
    for (const c of lab.state.clusters) {
      const v = await lab.api(c.name, k8s.VersionApi).getCode();
      expect(v.gitVersion).toBe(lab.state.kubernetesVersion);
    }
  });

  test('a Deployment applied with kubectl gets its ReplicaSet and Pods from the controller-manager', async () => {
    const lab = await testLab();
    const ns = uniqueName('deploy');
    expect((await lab.kubectl('member-1', ['create', 'namespace', ns])).code).toBe(0);
    const applied = await lab.apply('member-1', web(ns));
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toContain('deployment.apps/web created');
    const apps = lab.api('member-1', k8s.AppsV1Api);
    const core = lab.api('member-1', k8s.CoreV1Api);
    const rs = await eventually('a ReplicaSet owned by the Deployment', async () => {
      const list = await apps.listNamespacedReplicaSet({ namespace: ns });
      return list.items.find((r) => r.metadata?.ownerReferences?.some((o) => o.kind === 'Deployment' && o.name === 'web'));
    });
    expect(rs.spec?.replicas).toBe(2);
    const pods = await eventually('two Pods of the ReplicaSet', async () => {
      const list = await core.listNamespacedPod({ namespace: ns });
      return list.items.length === 2 ? list.items : undefined;
    });
    for (const p of pods) expect(p.metadata?.ownerReferences?.[0]?.name).toBe(rs.metadata?.name);
    await lab.kubectl('member-1', ['delete', 'namespace', ns, '--wait=false']);
  });

  test('an anonymous request is refused, and a client certificate from another cluster is too', async () => {
    const lab = await testLab();
    const server = lab.cluster('member-2').server;
    const anonymous = await get(`${server}/api/v1/namespaces`, { ca: await caOf(lab.kubeConfig('member-2')) });
    expect(anonymous.status).toBe(401);
    // Each cluster has its own CA: member-1's admin certificate means nothing to member-2.
    const m1 = lab.kubeConfig('member-1').getCurrentUser();
    const foreign = await get(`${server}/api/v1/namespaces`, {
      ca: await caOf(lab.kubeConfig('member-2')),
      cert: Buffer.from(m1?.certData ?? '', 'base64').toString(),
      key: Buffer.from(m1?.keyData ?? '', 'base64').toString(),
    }).catch((err: Error) => ({ status: 0, body: err.message }));
    expect(foreign.status === 401 || foreign.status === 0).toBe(true);
  });

  test('deleting a namespace with objects in it completes', async () => {
    const lab = await testLab();
    const ns = uniqueName('gone');
    const core = lab.api('member-3', k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'data' }, data: { a: 'b' } } });
    await core.deleteNamespace({ name: ns });
    await eventually(`namespace ${ns} to disappear`, async () => {
      try {
        await core.readNamespace({ name: ns });
        return undefined;
      } catch (err) {
        return (err as { code?: number }).code === 404 ? true : undefined;
      }
    }, 60_000);
  });

  test("kube-system shows the controller-manager's and scheduler's controllers at work", async () => {
    const lab = await testLab();
    for (const c of lab.state.clusters) {
      const coord = lab.api(c.name, k8s.CoordinationV1Api);
      const core = lab.api(c.name, k8s.CoreV1Api);
      for (const name of ['kube-controller-manager', 'kube-scheduler']) {
        const lease = await eventually(`${c.name} ${name} leader lease`, async () => {
          const l = await coord.readNamespacedLease({ namespace: 'kube-system', name });
          return l.spec?.holderIdentity ? l : undefined;
        });
        const renewed = new Date(lease.spec?.renewTime ?? 0).getTime();
        expect(Date.now() - renewed).toBeLessThan(60_000);
      }
      // Service-account, root-CA publisher and token controllers populate every namespace.
      await eventually(`${c.name} kube-system default ServiceAccount`, async () =>
        (await core.readNamespacedServiceAccount({ namespace: 'kube-system', name: 'default' })).metadata?.name);
      const rootCA = await eventually(`${c.name} kube-root-ca.crt`, async () =>
        (await core.readNamespacedConfigMap({ namespace: 'kube-system', name: 'kube-root-ca.crt' })).data?.['ca.crt']);
      expect(rootCA).toContain('BEGIN CERTIFICATE');
    }
  });
});

async function caOf(kc: k8s.KubeConfig): Promise<string> {
  return Buffer.from(kc.getCurrentCluster()?.caData ?? '', 'base64').toString();
}
