import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubCredential, MemberClusterKind, type MemberCluster } from '../../api/cluster.js';
import { FleetLBNamespace, Labels } from '../../api/labels.js';
import { labDown, labUp } from '../../lab/lab.js';
import { isRoot } from '../../lab/netns.js';
import type { LabState } from '../../lab/state.js';
import { unavailableWorkloads } from '../../operator/workloads.js';
import { KubeClient } from '../../runtime/kube-client.js';
import { CoreResources, type KubeObject } from '../../runtime/resource.js';
import { KubeConfig } from '@kubernetes/client-node';
import { describeAsRoot, eventually, fleetlb, type CommandResult } from '../support/lab.js';

/**
 * `fleetlb install` and `uninstall` on a fleet of their own (a hub and one member, so nothing
 * they apply or remove touches another suite): the components come up as pods with their
 * ServiceAccounts and no RBAC refusal in their logs, the member joins the hub, `doctor` finds
 * nothing wrong on the fresh install, a second install changes nothing, uninstall leaves.
 */

let dir: string;
let lab: LabState;
const MEMBER = 'i-1';

function ok(r: CommandResult, what: string): CommandResult {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.stderr}${r.stdout}`);
  return r;
}

const kubeconfig = (name: string) => lab.clusters.find((c) => c.name === name)!.kubeconfig;

function client(name: string): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig(name));
  return new KubeClient(kc, { fieldManager: 'install-test' });
}

beforeAll(async () => {
  if (!isRoot()) return;
  dir = await mkdtemp(join(tmpdir(), 'fleetlb-install-'));
  await chmod(dir, 0o755);
  lab = await labUp({ dir, members: `${MEMBER}=eastus`, nodesPerMember: 1 });
});

afterAll(async () => {
  if (!dir) return;
  await labDown({ dir });
  await rm(dir, { recursive: true, force: true });
});

describeAsRoot('fleetlb install', () => {
  test('installs a hub and a member that joins it; doctor is clean; a second run changes nothing; uninstall leaves', async () => {
    const hubState = lab.clusters.find((c) => c.role === 'hub')!;
    const hubServer = `https://${lab.network!.plan.apiserverAddress[hubState.name]}:${hubState.ports.apiserver}`;
    const hubOut = ok(await fleetlb(['install', '--kubeconfig', kubeconfig('hub'), '--role', 'hub', '--timeout', '180s']), 'install hub');
    expect(hubOut.stderr).toMatch(/fleetlb \(hub\) is ready in \d+ s\./);

    const memberArgs = ['install', '--kubeconfig', kubeconfig(MEMBER), '--role', 'member', '--hub-kubeconfig', kubeconfig('hub'), '--member-name', MEMBER, '--location', 'eastus', '--hub-server', hubServer, '--timeout', '180s'];
    const out = ok(await fleetlb(memberArgs), 'install member');
    expect(out.stderr).toMatch(/\d+ CRDs applied and established/);
    expect(out.stderr).toContain(`hub: MemberCluster ${MEMBER} (fleet.azure.com/location=eastus) with identity ServiceAccount fleetlb-system/member-agent-${MEMBER}`);
    expect(out.stderr).toMatch(/fleetlb \(member\) is ready in \d+ s\./);

    const hub = client('hub');
    const member = client(MEMBER);
    try {
      const mc = await hub.get<MemberCluster>(MemberClusterKind, MEMBER);
      expect(mc.metadata.labels?.[Labels.location]).toBe('eastus');
      expect(mc.spec.identity).toEqual({ kind: 'ServiceAccount', name: `member-agent-${MEMBER}`, namespace: FleetLBNamespace });
      const secret = await member.get<KubeObject & { data: Record<string, string> }>(CoreResources.secrets, HubCredential.secretName, FleetLBNamespace);
      const hubKubeconfig = JSON.parse(Buffer.from(secret.data[HubCredential.kubeconfigKey]!, 'base64').toString()) as { clusters: { cluster: { server: string } }[]; users: { user: { token: string } }[] };
      expect(hubKubeconfig.clusters[0]!.cluster.server).toBe(hubServer);
      // The credential works, and only as the member's identity: it may not list MemberClusters.
      const asMember = new KubeConfig();
      asMember.loadFromString(Buffer.from(secret.data[HubCredential.kubeconfigKey]!, 'base64').toString());
      asMember.clusters[0] = { ...asMember.clusters[0]!, server: hub.server.origin };
      const memberOnHub = new KubeClient(asMember, { fieldManager: 'install-test' });
      try {
        const review = await memberOnHub.request<{ status?: { userInfo?: { username?: string } } }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
        expect(review.status?.userInfo?.username).toBe(`system:serviceaccount:${FleetLBNamespace}:member-agent-${MEMBER}`);
      } finally {
        memberOnHub.close();
      }

      // Every component is a pod running as its own ServiceAccount.
      const pods = (await member.list<KubeObject & { spec?: { serviceAccountName?: string }; status?: { phase?: string } }>(CoreResources.pods, { namespace: FleetLBNamespace })).items;
      expect(pods.length).toBeGreaterThan(0);
      for (const p of pods) expect({ pod: p.metadata.name, phase: p.status?.phase, sa: p.spec?.serviceAccountName?.startsWith('fleetlb-') }).toEqual({ pod: p.metadata.name, phase: 'Running', sa: true });
      expect(await unavailableWorkloads(member, FleetLBNamespace)).toEqual([]);

      // A fresh install has nothing wrong.
      const doctor = await fleetlb(['doctor', '--kubeconfig', kubeconfig(MEMBER)]);
      expect(doctor.stdout).toContain('No problems found.');
      expect(doctor.code).toBe(0);

      // Installing again is an upgrade with nothing to change.
      ok(await fleetlb(memberArgs), 'install member again');

      // No component was refused by RBAC.
      const logDir = join(dir, 'logs', 'pods');
      const logs = await Promise.all((await readdir(logDir)).map((f) => readFile(join(logDir, f), 'utf8').then((t) => ({ f, t }))));
      expect(logs.filter((l) => /forbidden/i.test(l.t)).map((l) => l.f)).toEqual([]);

      const un = ok(await fleetlb(['uninstall', '--kubeconfig', kubeconfig(MEMBER), '--role', 'member', '--hub-kubeconfig', kubeconfig('hub'), '--member-name', MEMBER]), 'uninstall member');
      expect(un.stderr).toContain(`hub: MemberCluster ${MEMBER} deleted`);
      await eventually('the MemberCluster is gone', async () => ((await hub.find(MemberClusterKind, MEMBER)) ? undefined : true), 60_000);
      await eventually('the member\'s workloads are gone', async () => {
        const left = await member.list(CoreResources.pods, { namespace: FleetLBNamespace });
        return left.items.length === 0 ? true : undefined;
      }, 60_000);
      // Pools and the CRDs stay unless --purge.
      expect(await member.find(CoreResources.namespaces, FleetLBNamespace)).toBeDefined();
    } finally {
      hub.close();
      member.close();
    }
  });
});
