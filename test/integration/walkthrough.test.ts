import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemberClusterKind, type MemberCluster } from '../../api/cluster.js';
import { FleetLBNamespace, Labels } from '../../api/labels.js';
import { MultiClusterServiceKind } from '../../api/networking.js';
import { DeadClusterBoundMs } from '../../hub/endpoint-liveness.js';
import { heartbeatBoundMs, memberAgent } from '../../hub/member-health.js';
import { resetWalkthrough, walkthroughLab, walkthroughMembers } from '../../lab/demo.js';
import { labDown } from '../../lab/lab.js';
import { isRoot } from '../../lab/netns.js';
import { NODE_ASN } from '../../lab/network-plan.js';
import type { LabState } from '../../lab/state.js';
import { askKuard, labShell, runSteps, type Answer, type StepRecord, type WalkthroughShell } from '../../lab/walkthrough-runner.js';
import {
  hostPort,
  inPool,
  KUARD_PORT,
  kubectlTable,
  podOrigin,
  poolSteps,
  walkthroughSteps,
  WALKTHROUGH_NAMESPACE as NS,
  type LabMember,
} from '../../lab/walkthrough-steps.js';
import { KubeClient } from '../../runtime/kube-client.js';
import { CoreResources, type KubeObject } from '../../runtime/resource.js';
import { nextHops, routerView } from '../support/bgp-router.js';
import { describeAsRoot, eventually } from '../support/lab.js';

/**
 * The Fleet Manager walkthrough end to end, on a lab fleet of its own (hub; member-1 and member-2
 * in eastus; member-3 in westus; one node each) with fleetlb deployed as users deploy it. The
 * first test plays the very step list `npm run demo` plays (lab/walkthrough-steps.ts) and checks
 * what it printed; the others go on from there: a member scaled to zero, a member whose agent
 * stops, the VIP over BGP, an IPv6 VIP. FLEETLB_WALKTHROUGH_LAB_DIR reuses a running lab
 * (left running) for quick iterations.
 */

const MISSED_HEARTBEATS = 3; // deploy/hub/deployment.yaml
const DEPLOYMENTS = { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true } as const;
const ENDPOINT_SLICES = { group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', plural: 'endpointslices', namespaced: true } as const;

let state: LabState;
let dir: string | undefined;
let sh: WalkthroughShell;
let m1: LabMember;
let m2: LabMember;
let all: LabMember[];
let ip = '';
const transcript: string[] = [];
const clients = new Map<string, KubeClient>();
const c = (name: string) => clients.get(name) as KubeClient;
const reused = process.env.FLEETLB_WALKTHROUGH_LAB_DIR;

interface Slice extends KubeObject {
  endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[];
}

beforeAll(async () => {
  if (!isRoot()) return;
  if (!reused) {
    dir = await mkdtemp(join(tmpdir(), 'fleetlb-walkthrough-'));
    await chmod(dir, 0o755);
  }
  state = await walkthroughLab({ dir: reused ?? dir, nodesPerMember: reused ? undefined : 1, progress: () => {} });
  ({ eastus: [m1, m2], all } = walkthroughMembers(state));
  for (const cl of state.clusters) {
    const kc = new KubeConfig();
    kc.loadFromFile(cl.kubeconfig);
    clients.set(cl.name, new KubeClient(kc, { fieldManager: 'walkthrough-test' }));
  }
  await resetWalkthrough(state, () => {});
  sh = labShell(state, { out: (l) => transcript.push(l), note: () => {} });
}, 900_000);

afterAll(async () => {
  for (const cl of clients.values()) cl.close();
  if (dir) {
    await labDown({ dir }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}, 180_000);

async function kubectl(cluster: string, args: string[]): Promise<string> {
  const r = await sh.kubectl(cluster, args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} on ${cluster} failed: ${r.stderr}`);
  return r.stdout;
}

/** `n` requests from the client; the clusters whose pods answered. */
async function ask(target: string, n: number): Promise<Answer[]> {
  const out: Answer[] = [];
  for (let i = 0; i < n; i++) {
    const r = await askKuard(sh, 'client', target, target.startsWith('[') ? 6 : undefined);
    if (r.answer) out.push({ ...r.answer, ...(podOrigin(state.network!.plan, r.answer.addrs[0] ?? '') ?? {}) });
  }
  return out;
}

/** Answers from the client until both eastus members have answered (bounded). */
async function bothAnswer(target: string): Promise<Answer[]> {
  const seen: Answer[] = [];
  await eventually(`answers from ${m1.name} and ${m2.name} at ${target}`, async () => {
    seen.push(...(await ask(target, 4)));
    return [m1.name, m2.name].every((m) => seen.some((a) => a.cluster === m)) ? true : undefined;
  }, 90_000, 200);
  return seen;
}

/** `n` answers in a row from `only` (after the change has reached the importer). */
async function onlyAnswers(target: string, only: string, n = 10): Promise<void> {
  await eventually(`${n} answers in a row only from ${only} at ${target}`, async () => {
    const got = await ask(target, n);
    return got.length === n && got.every((a) => a.cluster === only) ? true : undefined;
  }, 60_000, 200);
}

/** Endpoints of `source` in `importer`'s derived EndpointSlices for kuard (ready ones). */
async function derivedEndpoints(importer: string, source: string): Promise<string[]> {
  const slices = await c(importer).list<Slice>(ENDPOINT_SLICES, { namespace: FleetLBNamespace, labelSelector: `${Labels.mcsSourceCluster}=${source},${Labels.mcsServiceName}=kuard` });
  return slices.items.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).map((e) => e.addresses[0] ?? ''));
}

async function runningPodAddresses(cluster: string): Promise<string[]> {
  const pods = await c(cluster).list<KubeObject & { status?: { phase?: string; podIPs?: { ip: string }[] } }>(CoreResources.pods, { namespace: NS });
  return pods.items.filter((p) => p.status?.phase === 'Running').flatMap((p) => (p.status?.podIPs ?? []).map((x) => x.ip));
}

let records: StepRecord[] = [];
const record = (id: string) => {
  const r = records.find((x) => x.id === id);
  if (!r) throw new Error(`no step ${id} in the transcript:\n${transcript.join('\n')}`);
  return r;
};

describeAsRoot('the Fleet Manager walkthrough on the lab fleet', () => {
  test('as `npm run demo` plays it: CRP scheduled and applied, exports True False, an MCS with an IP from the pool, answers from both eastus members', async () => {
    const played = await runSteps([...poolSteps(all, 'ARP'), ...walkthroughSteps({ eastus: [m1, m2] })], sh, { state });
    records = played.records;
    ip = played.values.ip ?? '';

    const crp = kubectlTable(record('crp-status').output);
    expect(Object.keys(crp[0] ?? {})).toEqual(['NAME', 'GEN', 'SCHEDULED', 'SCHEDULEDGEN', 'APPLIED', 'APPLIEDGEN', 'AGE']);
    expect(crp.find((r) => r.NAME === NS)).toMatchObject({ GEN: '1', SCHEDULED: 'True', SCHEDULEDGEN: '1', APPLIED: 'True', APPLIEDGEN: '1' });
    for (const m of [m1, m2]) {
      const rows = kubectlTable(record(`serviceexport-${m.name}`).output);
      expect(Object.keys(rows[0] ?? {})).toEqual(['NAME', 'IS-VALID', 'IS-CONFLICTED', 'AGE']);
      expect(rows[0]).toMatchObject({ NAME: 'kuard', 'IS-VALID': 'True', 'IS-CONFLICTED': 'False' });
    }
    const mcs = kubectlTable(record('mcs-status').output);
    expect(Object.keys(mcs[0] ?? {})).toEqual(['NAME', 'SERVICE-IMPORT', 'EXTERNAL-IP', 'IS-VALID', 'AGE']);
    expect(mcs[0]).toMatchObject({ NAME: 'kuard', 'SERVICE-IMPORT': 'kuard', 'EXTERNAL-IP': ip, 'IS-VALID': 'True' });
    expect(inPool(ip, m1.index)).toBe(true);

    // Every answer came from a running kuard pod of member-1 or member-2, and both answered.
    const answers = record('curl').answers ?? [];
    const pods = new Set([...(await runningPodAddresses(m1.name)), ...(await runningPodAddresses(m2.name))]);
    expect(answers.length).toBeGreaterThanOrEqual(8);
    for (const a of answers) expect(pods.has(a.addrs[0] ?? '')).toBe(true);
    expect(new Set(answers.map((a) => a.cluster))).toEqual(new Set([m1.name, m2.name]));
    // member-3 is in westus: nothing placed there.
    expect(await c('member-3').find(CoreResources.namespaces, NS)).toBeUndefined();
  }, 600_000);

  test(`scaling member-2's kuard to 0 (kubectl scale on the member, the placement told to leave drift alone) takes its pods out of the answers`, async () => {
    expect(ip).not.toBe('');
    const target = hostPort(ip, KUARD_PORT);
    // Without this the work applier puts replicas back to the placed 2 within its drift check.
    await kubectl('hub', ['patch', 'clusterresourceplacement', NS, '--type=merge', '-p', JSON.stringify({ spec: { strategy: { applyStrategy: { whenToApply: 'IfNotDrifted' } } } })]);
    await eventually('the Works carry IfNotDrifted', async () => {
      const works = JSON.parse(await kubectl('hub', ['get', 'works', '-A', '-o', 'json'])) as { items: { metadata: { labels?: Record<string, string> }; spec: { applyStrategy?: { whenToApply?: string } } }[] };
      const mine = works.items.filter((w) => w.metadata.labels?.['kubernetes-fleet.io/parent-CRP'] === NS);
      return mine.length === 2 && mine.every((w) => w.spec.applyStrategy?.whenToApply === 'IfNotDrifted') ? true : undefined;
    }, 60_000, 500);
    await kubectl(m2.name, ['-n', NS, 'scale', 'deployment/kuard', '--replicas=0']);
    await eventually(`no ready ${m2.name} endpoints in ${m1.name}'s derived slices`, async () => ((await derivedEndpoints(m1.name, m2.name)).length === 0 ? true : undefined), 60_000, 250);
    await onlyAnswers(target, m1.name);
    // Still at zero after the applier's drift check (15 s): the scale is the user's.
    await new Promise((r) => setTimeout(r, 17_000));
    expect((await c(m2.name).get<KubeObject & { spec: { replicas: number } }>(DEPLOYMENTS, 'kuard', NS)).spec.replicas).toBe(0);
    await onlyAnswers(target, m1.name, 5);

    await kubectl(m2.name, ['-n', NS, 'scale', 'deployment/kuard', '--replicas=2']);
    await kubectl('hub', ['patch', 'clusterresourceplacement', NS, '--type=merge', '-p', JSON.stringify({ spec: { strategy: null } })]);
    await bothAnswer(target);
  }, 600_000);

  test(`stopping member-2's agent withdraws its endpoints within the heartbeat deadline + ${DeadClusterBoundMs / 1000} s`, async () => {
    const target = hostPort(ip, KUARD_PORT);
    await bothAnswer(target);
    await withdrawnWhenAgentStops(target);
  }, 600_000);

  test('the same with the VIP announced over BGP to the lab router', async () => {
    const router = state.network!.plan.router;
    const r = await runSteps(poolSteps([m1], 'BGP', { asn: router.asn, address: router.lan.v4, myAsn: NODE_ASN }), sh, { state });
    expect(r.records.map((x) => x.output).join('\n')).toMatch(/l2advertisement.metallb.io\/kuard-vips deleted/);
    const node = state.network!.plan.nodes.filter((n) => n.cluster === m1.name).map((n) => n.lan.v4).sort();
    await eventually(`${ip}/32 in the router's table via ${m1.name}'s nodes`, async () => {
      const v = await routerView({ dir: state.dir, network: state.network! }, `${ip}/32`);
      return JSON.stringify(nextHops(v.kernel)) === JSON.stringify(node) && /bird/.test(v.kernel) ? true : undefined;
    }, 60_000, 500);
    const target = hostPort(ip, KUARD_PORT);
    await bothAnswer(target);
    await withdrawnWhenAgentStops(target);
  }, 600_000);

  test('the same with an IPv6 VIP (metallb.io/loadBalancerIPs on the MultiClusterService), over NDP', async () => {
    await runSteps(poolSteps([m1], 'ARP'), sh, { state });
    // The Service dual-stack on the hub, so the placement carries it and the members export IPv6 endpoints.
    await kubectl('hub', ['-n', NS, 'patch', 'service', 'kuard', '--type=merge', '-p', JSON.stringify({ spec: { ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv4', 'IPv6'] } })]);
    // One MultiClusterService per import on a member, and a Service's primary family is fixed:
    // the IPv4 one goes, and the walkthrough's MCS comes back asking for an IPv6 address.
    const v6 = '2001:db8:100::1:6';
    await kubectl(m1.name, ['delete', 'multiclusterservice', 'kuard', '--namespace', NS, '--timeout=120s']);
    await c(m1.name).apply(MultiClusterServiceKind, {
      apiVersion: `${MultiClusterServiceKind.group}/${MultiClusterServiceKind.version}`,
      kind: 'MultiClusterService',
      metadata: { name: 'kuard', namespace: NS, annotations: { 'metallb.io/loadBalancerIPs': v6 } },
      spec: { serviceImport: { name: 'kuard' } },
    } as KubeObject);
    const row = await eventually('kuard with its IPv6 EXTERNAL-IP and IS-VALID True', async () => {
      const r = kubectlTable(await kubectl(m1.name, ['get', 'multiclusterservice', 'kuard', '--namespace', NS])).find((x) => x.NAME === 'kuard');
      return r?.['EXTERNAL-IP'] === v6 && r['IS-VALID'] === 'True' ? r : undefined;
    }, 120_000, 1000);
    expect(row['SERVICE-IMPORT']).toBe('kuard');
    const target = hostPort(v6, KUARD_PORT);
    const answers = await bothAnswer(target);
    expect(answers.every((a) => a.addrs.some((x) => x.includes(':')))).toBe(true);
    await withdrawnWhenAgentStops(target);
  }, 600_000);
});

/**
 * member-2's agent stopped (its Deployment in fleetlb-system scaled to 0 on member-2): its
 * endpoints leave member-1's derived slices at most the documented bound after the heartbeat
 * deadline, and the answers come from member-1 only; then the agent comes back and so do they.
 */
async function withdrawnWhenAgentStops(target: string): Promise<void> {
  const before = await c(m2.name).get<KubeObject & { spec: { replicas: number } }>(DEPLOYMENTS, 'fleetlb-member-agent', FleetLBNamespace);
  expect((await derivedEndpoints(m1.name, m2.name)).length).toBeGreaterThan(0);
  await kubectl(m2.name, ['-n', FleetLBNamespace, 'scale', 'deployment/fleetlb-member-agent', '--replicas=0']);
  try {
    await eventually(`${m2.name}'s agent pods gone`, async () => ((await c(m2.name).list(CoreResources.pods, { namespace: FleetLBNamespace, labelSelector: 'app.kubernetes.io/component=member-agent' })).items.length === 0 ? true : undefined), 60_000, 250);
    const mc = await c('hub').get<MemberCluster>(MemberClusterKind, m2.name);
    const lastBeat = Date.parse(memberAgent(mc.status?.agentStatus)?.lastReceivedHeartbeat ?? '');
    const deadline = lastBeat + heartbeatBoundMs(mc.spec.heartbeatPeriodSeconds, MISSED_HEARTBEATS);
    await eventually(`${m2.name}'s endpoints withdrawn from ${m1.name}`, async () => ((await derivedEndpoints(m1.name, m2.name)).length === 0 ? true : undefined), heartbeatBoundMs(mc.spec.heartbeatPeriodSeconds, MISSED_HEARTBEATS) + DeadClusterBoundMs + 30_000, 250);
    const withdrawn = Date.now();
    // The heartbeat time has second resolution: the deadline is up to 1 s later than computed.
    expect(withdrawn - deadline).toBeLessThanOrEqual(DeadClusterBoundMs + 1000 + 500);
    await onlyAnswers(target, m1.name);
  } finally {
    await kubectl(m2.name, ['-n', FleetLBNamespace, 'scale', 'deployment/fleetlb-member-agent', `--replicas=${before.spec.replicas}`]);
  }
  await bothAnswer(target);
}
