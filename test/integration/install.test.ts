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
import { describeAsRoot, eventually, fleetlb, runCommand, type CommandResult } from '../support/lab.js';
import { deployment, service } from '../support/manifests.js';
import { BGPPeerKind, IPAddressPoolKind, ServiceBGPStatusKind, ServiceL2StatusKind, type BGPPeer, type ServiceBGPStatus, type ServiceL2Status } from '../../api/metallb.js';

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

const kubectlApply = (name: string, yaml: string) =>
  runCommand(join(lab.binDir, 'kubectl'), ['--kubeconfig', kubeconfig(name), 'apply', '-f', '-'], { input: yaml, timeoutMs: 60_000, env: { KUBECACHEDIR: join(dir, 'kube-cache') } });

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
  let hub: KubeClient;
  let member: KubeClient;
  let memberArgs: string[];
  let hubServer: string;

  beforeAll(() => {
    hub = client('hub');
    member = client(MEMBER);
    const hubState = lab.clusters.find((c) => c.role === 'hub')!;
    hubServer = `https://${lab.network!.plan.apiserverAddress[hubState.name]}:${hubState.ports.apiserver}`;
    memberArgs = ['install', '--kubeconfig', kubeconfig(MEMBER), '--role', 'member', '--hub-kubeconfig', kubeconfig('hub'), '--member-name', MEMBER, '--location', 'eastus', '--hub-server', hubServer, '--timeout', '200s'];
  });

  afterAll(() => {
    hub?.close();
    member?.close();
  });

  test('installs the hub', async () => {
    const hubOut = ok(await fleetlb(['install', '--kubeconfig', kubeconfig('hub'), '--role', 'hub', '--timeout', '200s']), 'install hub');
    expect(hubOut.stderr).toMatch(/fleetlb \(hub\) is ready in \d+ s\./);
  }, 240_000);

  test('installs a member that joins the hub with a credential that is only its own identity', async () => {
    const out = ok(await fleetlb(memberArgs), 'install member');
    expect(out.stderr).toMatch(/\d+ CRDs applied and established/);
    expect(out.stderr).toContain(`hub: MemberCluster ${MEMBER} (fleet.azure.com/location=eastus) with identity ServiceAccount fleetlb-system/member-agent-${MEMBER}`);
    expect(out.stderr).toMatch(/fleetlb \(member\) is ready in \d+ s\./);

    const mc = await hub.get<MemberCluster>(MemberClusterKind, MEMBER);
    expect(mc.metadata.labels?.[Labels.location]).toBe('eastus');
    expect(mc.spec.identity).toEqual({ kind: 'ServiceAccount', name: `member-agent-${MEMBER}`, namespace: FleetLBNamespace });
    const secret = await member.get<KubeObject & { data: Record<string, string> }>(CoreResources.secrets, HubCredential.secretName, FleetLBNamespace);
    const text = Buffer.from(secret.data[HubCredential.kubeconfigKey]!, 'base64').toString();
    expect((JSON.parse(text) as { clusters: { cluster: { server: string } }[] }).clusters[0]!.cluster.server).toBe(hubServer);
    const asMember = new KubeConfig();
    asMember.loadFromString(text);
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
  }, 240_000);

  test('doctor finds nothing wrong on the fresh install', async () => {
    const doctor = await fleetlb(['doctor', '--kubeconfig', kubeconfig(MEMBER)]);
    expect(doctor.stdout).toContain('No problems found.');
    expect(doctor.code).toBe(0);
  }, 60_000);

  test('explain names the node that answers ARP for an L2 Service the installed speakers announce', async () => {
    ok(await kubectlApply(MEMBER, [
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: explain}',
      deployment({ namespace: 'explain', name: 'web', image: 'ghcr.io/kuar-demo/kuard-amd64:1', replicas: 1, port: 8080 }),
      service({ namespace: 'explain', name: 'web', type: 'LoadBalancer', port: 8080 }).replace(/^\s*---\s*/, ''),
      'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: explain, namespace: fleetlb-system}\nspec: {addresses: [198.51.100.64/28]}',
      'apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: explain, namespace: fleetlb-system}\nspec: {ipAddressPools: [explain]}',
    ].join('\n---\n')), 'an L2 Service');
    const l2 = await eventually('a ServiceL2Status for explain/web', async () => {
      const items = (await member.list<ServiceL2Status>(ServiceL2StatusKind, { labelSelector: `${Labels.metallbServiceName}=web,${Labels.metallbServiceNamespace}=explain` })).items;
      return items[0]?.status?.node ? items[0] : undefined;
    }, 120_000);
    const explainL2 = ok(await fleetlb(['explain', 'service', 'explain/web', '--kubeconfig', kubeconfig(MEMBER)]), 'explain service');
    expect(explainL2.stdout).toContain(`ARP/NDP from node ${l2.status!.node}`);
    expect(explainL2.stdout).toMatch(/IP: 198\.51\.100\.(6[4-9]|7[0-9]) from pool explain/);
    expect(explainL2.stdout).toContain('Diagnosis: the IP is allocated, has ready endpoints and is announced.');
  }, 180_000);

  test('explain names the peers a BGP Service is announced to, with the session state', async () => {
    const router = lab.network!.plan.router;
    ok(await kubectlApply(MEMBER, [
      `apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: lab-router, namespace: fleetlb-system}\nspec: {myASN: 64512, peerASN: ${router.asn}, peerAddress: ${router.lan.v4}}`,
      'apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: explain, namespace: fleetlb-system}\nspec: {ipAddressPools: [explain]}',
    ].join('\n---\n')), 'a BGP peer and advertisement');
    const bgp = await eventually('a ServiceBGPStatus for explain/web with an Established session', async () => {
      const items = (await member.list<ServiceBGPStatus>(ServiceBGPStatusKind, { labelSelector: `${Labels.metallbServiceName}=web,${Labels.metallbServiceNamespace}=explain` })).items;
      const peer = await member.find<BGPPeer>(BGPPeerKind, 'lab-router', FleetLBNamespace);
      const up = peer?.status?.sessions?.some((x) => x.state === 'Established');
      return items[0]?.status?.peers?.includes('lab-router') && up ? items[0] : undefined;
    }, 120_000);
    const out = ok(await fleetlb(['explain', 'service', 'explain/web', '--kubeconfig', kubeconfig(MEMBER)]), 'explain service (BGP)');
    expect(out.stdout).toContain(`BGP from node ${bgp.status!.node} to lab-router (${router.lan.v4}:179, Established since `);
    expect(out.stdout).toContain('BGPAdvertisement explain');
  }, 180_000);

  test('installing again changes nothing, and no component was refused by RBAC', async () => {
    ok(await fleetlb(memberArgs), 'install member again');
    const logDir = join(dir, 'logs', 'pods');
    const logs = await Promise.all((await readdir(logDir)).map((f) => readFile(join(logDir, f), 'utf8').then((t) => ({ f, t }))));
    expect(logs.filter((l) => /forbidden/i.test(l.t)).map((l) => l.f)).toEqual([]);
  }, 240_000);

  test('uninstall leaves the hub and removes the components, keeping pools and CRDs', async () => {
    const un = ok(await fleetlb(['uninstall', '--kubeconfig', kubeconfig(MEMBER), '--role', 'member', '--hub-kubeconfig', kubeconfig('hub'), '--member-name', MEMBER]), 'uninstall member');
    expect(un.stderr).toContain(`hub: MemberCluster ${MEMBER} deleted; waiting for its agent to confirm it left`);
    expect(un.stderr).not.toMatch(/has not confirmed leaving/);
    expect(await hub.find(MemberClusterKind, MEMBER)).toBeUndefined();
    expect(await hub.find(CoreResources.namespaces, `fleet-member-${MEMBER}`).then((n) => n === undefined || !!n.metadata.deletionTimestamp)).toBe(true);
    await eventually('the member\'s workloads are gone', async () => {
      const left = await member.list(CoreResources.pods, { namespace: FleetLBNamespace });
      return left.items.length === 0 ? true : undefined;
    }, 60_000);
    expect(await member.find(CoreResources.namespaces, FleetLBNamespace)).toBeDefined();
    expect(await member.find(IPAddressPoolKind, 'explain', FleetLBNamespace)).toBeDefined();
  }, 120_000);
});
