import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { MemberClusterKind, type MemberCluster } from '../api/cluster.js';
import { ClusterResourcePlacementKind } from '../api/placement.js';
import { MultiClusterServiceKind } from '../api/networking.js';
import { findCondition } from '../runtime/conditions.js';
import { ErrorCodes, FleetlbError } from '../runtime/errors.js';
import { KubeClient } from '../runtime/kube-client.js';
import { CoreResources } from '../runtime/resource.js';
import { labDeploy } from './deploy.js';
import { labUp, type Progress } from './lab.js';
import { isRoot } from './netns.js';
import type { ClusterState, LabState } from './state.js';
import { labShell, runSteps, shownPath, type StepRecord } from './walkthrough-runner.js';
import { hostPort, KUARD_PORT, poolSteps, walkthroughSteps, WALKTHROUGH_NAMESPACE, WALKTHROUGH_SERVICE, type LabMember } from './walkthrough-steps.js';

/**
 * `npm run demo`: the lab fleet up (built when needed), fleetlb deployed as users deploy it, an
 * address pool on every member, then the Fleet Manager walkthrough played step by step with its
 * real output, and how to go on exploring. The lab keeps running afterwards.
 */

const JOIN_TIMEOUT_MS = 120_000;
const CLEAN_TIMEOUT_MS = 120_000;

function client(c: ClusterState): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromFile(c.kubeconfig);
  return new KubeClient(kc, { fieldManager: 'fleetlb-demo', timeoutMs: 10_000 });
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() >= deadline) throw new FleetlbError(ErrorCodes.WALKTHROUGH_NOT_READY, `Waited ${Math.round(timeoutMs / 1000)} s for ${what}, in vain.`);
    await sleep(1000);
  }
}

/** Every member Joined and Healthy on the hub: placement picks only those. */
export async function waitMembersJoined(state: LabState, progress: Progress): Promise<void> {
  const hub = client(state.clusters.find((c) => c.role === 'hub')!);
  try {
    for (const m of state.clusters.filter((c) => c.role === 'member')) {
      await waitFor(`${m.name} to join the hub and be healthy (see the member agent's log in ${state.dir}/logs/pods)`, JOIN_TIMEOUT_MS, async () => {
        const mc = await hub.find<MemberCluster>(MemberClusterKind, m.name);
        return findCondition(mc?.status?.conditions, 'Joined')?.status === 'True' && findCondition(mc?.status?.conditions, 'Healthy')?.status === 'True';
      });
    }
    progress('every member has joined the hub');
  } finally {
    hub.close();
  }
}

/**
 * What an earlier run of the walkthrough left (its MultiClusterServices, placement and namespace)
 * is removed first, so `kubectl create namespace kuard-demo` works as on a fresh fleet.
 */
export async function resetWalkthrough(state: LabState, progress: Progress): Promise<void> {
  const clients = new Map(state.clusters.map((c) => [c.name, client(c)] as const));
  const hub = clients.get(state.clusters.find((c) => c.role === 'hub')!.name)!;
  const members = state.clusters.filter((c) => c.role === 'member');
  const ns = WALKTHROUGH_NAMESPACE;
  try {
    const left = [];
    for (const [name, c] of clients) if (await c.find(CoreResources.namespaces, ns)) left.push(name);
    if (left.length === 0) return;
    progress(`removing the walkthrough of an earlier run (namespace ${ns} on ${left.join(', ')})`);
    for (const m of members) {
      const mc = clients.get(m.name)!;
      await mc.delete(MultiClusterServiceKind, WALKTHROUGH_SERVICE, ns).catch(() => false);
      await waitFor(`MultiClusterService ${ns}/${WALKTHROUGH_SERVICE} on ${m.name} to be deleted (its finalizer removes the derived Service)`, CLEAN_TIMEOUT_MS, async () => !(await mc.find(MultiClusterServiceKind, WALKTHROUGH_SERVICE, ns)));
    }
    await hub.delete(ClusterResourcePlacementKind, ns).catch(() => false);
    for (const m of members) {
      const mc = clients.get(m.name)!;
      await waitFor(`namespace ${ns} to leave ${m.name}`, CLEAN_TIMEOUT_MS, async () => {
        if (!(await hub.find(ClusterResourcePlacementKind, ns))) await mc.delete(CoreResources.namespaces, ns).catch(() => false);
        return !(await mc.find(CoreResources.namespaces, ns));
      });
    }
    await hub.delete(CoreResources.namespaces, ns).catch(() => false);
    await waitFor(`namespace ${ns} to be deleted on the hub`, CLEAN_TIMEOUT_MS, async () => !(await hub.find(CoreResources.namespaces, ns)));
  } finally {
    for (const c of clients.values()) c.close();
  }
}

/** The two eastus members the walkthrough places on, and the rest. */
export function walkthroughMembers(state: LabState): { eastus: [LabMember, LabMember]; all: LabMember[] } {
  const members = state.clusters.filter((c) => c.role === 'member').map((c) => ({ name: c.name, index: c.index, location: c.location }));
  const eastus = members.filter((m) => m.location === 'eastus');
  if (eastus.length < 2) {
    throw new FleetlbError(ErrorCodes.LAB_CONFIG_CHANGED, `The walkthrough places kuard on the members in eastus and needs two; the lab in ${state.dir} has ${members.map((m) => `${m.name}=${m.location ?? '?'}`).join(', ')}: run 'fleetlb lab down --dir ${state.dir}' and the demo again for the default fleet.`);
  }
  const pick = (m: (typeof members)[number]): LabMember => ({ name: m.name, index: m.index });
  return { eastus: [pick(eastus[0]!), pick(eastus[1]!)], all: members.map(pick) };
}

/** The lab up and fleetlb deployed, every member joined: what the demo and the walkthrough test start from. */
export async function walkthroughLab(opts: { dir?: string; members?: string; nodesPerMember?: number; progress: Progress }): Promise<LabState> {
  if (!isRoot()) throw new FleetlbError(ErrorCodes.LAB_NEEDS_ROOT, 'The demo builds a lab network (namespaces, nodes, a router) and needs root: run it as root (sudo npm run demo).');
  opts.progress('bringing up the lab (the first run builds Kubernetes, about 6 minutes on 2 cores; later runs take seconds)');
  const state = await labUp({ dir: opts.dir, members: opts.members, nodesPerMember: opts.nodesPerMember, progress: opts.progress });
  opts.progress('deploying fleetlb: the hub, the member agents and the speakers, each with its own ServiceAccount and RBAC (fleetlb lab deploy)');
  await labDeploy({ dir: state.dir, progress: opts.progress });
  await waitMembersJoined(state, opts.progress);
  return state;
}

/** How to go on: kubectl against the lab, curl from the client, explain, and taking it down. */
export function exploreLines(state: LabState, member: string, ip: string | undefined): string[] {
  const dir = shownPath(state.dir);
  const kc = (name: string) => shownPath(state.clusters.find((c) => c.name === name)?.kubeconfig ?? '');
  const target = ip ? hostPort(ip, KUARD_PORT) : `<EXTERNAL-IP>:${KUARD_PORT}`;
  return [
    '',
    'The lab keeps running. Explore it:',
    `  eval "$(npx fleetlb lab env --dir ${dir})"     # the lab's kubectl on PATH; KUBECONFIG with contexts ${state.clusters.map((c) => c.name).join(', ')}`,
    `  KUBECONFIG=${kc(member)} kubectl get multiclusterservice,service -n ${WALKTHROUGH_NAMESPACE}`,
    `  kubectl --context ${member} get service,endpointslices -n fleetlb-system      # the derived Service and the endpoints of both clusters`,
    `  kubectl get serviceimports -n ${WALKTHROUGH_NAMESPACE}                         # on the hub`,
    `  npx fleetlb lab exec client -- curl -s ${target}`,
    `  npx fleetlb explain mcs ${WALKTHROUGH_NAMESPACE}/${WALKTHROUGH_SERVICE} --kubeconfig ${kc(member)}`,
    `  npx fleetlb lab status --dir ${dir}`,
    'Take it down (stops every process by PID, removes its namespaces and the directory):',
    `  npx fleetlb lab down --dir ${dir}`,
  ];
}

export async function runDemo(opts: { dir?: string; out: (l: string) => void; note: Progress }): Promise<StepRecord[]> {
  const state = await walkthroughLab({ dir: opts.dir, progress: opts.note });
  const { eastus, all } = walkthroughMembers(state);
  await resetWalkthrough(state, opts.note);
  const sh = labShell(state, { out: opts.out, note: opts.note });
  opts.out('');
  opts.out(`The Azure Kubernetes Fleet Manager walkthrough, on the lab fleet in ${shownPath(state.dir)}: hub, ${all.map((m) => m.name).join(', ')}.`);
  const steps = [...poolSteps(all, 'ARP'), ...walkthroughSteps({ eastus })];
  const { records, values } = await runSteps(steps, sh, { state });
  for (const l of exploreLines(state, eastus[0].name, values.ip)) opts.out(l);
  return records;
}
