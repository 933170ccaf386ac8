import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { peakRssMB, type BenchResult } from '../bench/run.js';
import { AgentTypes, InternalMemberClusterKind, MemberClusterKind, type InternalMemberCluster, type MemberCluster } from '../api/cluster.js';
import { FleetLBNamespace, Labels, memberNamespace } from '../api/labels.js';
import { ClusterResourcePlacementKind, WorkKind, type ClusterResourcePlacement, type PlacementPolicy } from '../api/placement.js';
import { readState } from '../lab/state.js';
import { Discovery } from '../runtime/discovery.js';
import { KubeClient, isNotFound } from '../runtime/kube-client.js';
import { loggerFor } from '../runtime/logger.js';
import { repoRoot } from '../runtime/repo-root.js';
import { CoreResources, type KubeObject, type ResourceRef } from '../runtime/resource.js';
import { clusterView, heartbeatBoundMs } from './member-health.js';
import { MembershipController } from './membership-controller.js';
import { PlacementController } from './placement-controller.js';
import { schedulePlacement } from './placement-scheduler.js';

/**
 * `npm run bench -- placement`: 100 simulated members × 500 ClusterResourcePlacements on the lab
 * hub's real API server. The members are MemberCluster objects whose agents this bench plays
 * (it writes their heartbeats into their InternalMemberClusters); the hub's controllers run in
 * this process with the lab admin's credentials, the deployed `fleetlb hub` being scaled to zero
 * meanwhile so that only one hub acts. Figures: scheduling decisions per second (the scheduler
 * alone, over the members as the hub sees them) and the time from creating the placements until
 * every Work is written. The lab: FLEETLB_TEST_LAB_DIR, or .lab-test in the checkout.
 */

const MEMBERS = 100;
const PLACEMENTS = 500;
const NAMESPACES = 50;
const REGIONS = ['eastus', 'westus', 'centralus', 'northeurope'];
const PREFIX = 'bench-pl';
const DEPLOYMENTS: ResourceRef = { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true };

async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await fn(items[next++] as T);
  }));
}

const member = (i: number) => `${PREFIX}-m${String(i).padStart(3, '0')}`;
const nsName = (i: number) => `${PREFIX}-ns${String(i).padStart(2, '0')}`;

/** Policies in rotation: what a fleet's placements look like, each with a known Work count. */
function policy(i: number): { policy: PlacementPolicy; clusters: number } {
  switch (i % 4) {
    case 0:
      return { policy: { placementType: 'PickN', numberOfClusters: 4, topologySpreadConstraints: [{ topologyKey: Labels.location, maxSkew: 1 }] }, clusters: 4 };
    case 1:
      return { policy: { placementType: 'PickN', numberOfClusters: 3, affinity: { clusterAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, preference: { labelSelector: { matchLabels: { [Labels.location]: REGIONS[i % REGIONS.length] as string } } } }] } } }, clusters: 3 };
    case 2:
      return { policy: { placementType: 'PickFixed', clusterNames: [member(i % MEMBERS), member((i * 7 + 1) % MEMBERS)] }, clusters: 2 };
    default:
      return { policy: { placementType: 'PickN', numberOfClusters: 2, affinity: { clusterAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { clusterSelectorTerms: [{ labelSelector: { matchLabels: { [Labels.location]: REGIONS[i % REGIONS.length] as string } } }] } } } }, clusters: 2 };
  }
}

async function heartbeat(hub: KubeClient, name: string, joined: 'True' | 'False'): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const cond = (type: string, status: 'True' | 'False') => ({ type, status, reason: 'Bench', message: 'driven by the benchmark', lastTransitionTime: now });
  await hub.mergePatch(InternalMemberClusterKind, name, memberNamespace(name), {
    status: { agentStatus: [{ type: AgentTypes.MemberAgent, lastReceivedHeartbeat: now, conditions: [cond('Joined', joined), cond('Healthy', 'True')] }], properties: { [`kubernetes-fleet.io/node-count`]: { value: '3', observationTime: now } } },
  }, 'status');
}

async function cleanUp(hub: KubeClient, log: ReturnType<typeof loggerFor>): Promise<void> {
  const crps = (await hub.list<ClusterResourcePlacement>(ClusterResourcePlacementKind)).items.filter((c) => c.metadata.name?.startsWith(PREFIX));
  await pool(crps, 16, (c) => hub.delete(ClusterResourcePlacementKind, c.metadata.name ?? ''));
  const members = (await hub.list<MemberCluster>(MemberClusterKind)).items.filter((m) => m.metadata.name?.startsWith(PREFIX));
  // The simulated agents confirm they left, so the members go without waiting for a timeout.
  await pool(members, 16, async (m) => {
    await heartbeat(hub, m.metadata.name ?? '', 'False').catch(() => undefined);
    await hub.delete(MemberClusterKind, m.metadata.name ?? '');
  });
  log.info('cleanup requested', { placements: crps.length, members: members.length });
}

export default async function placementBench(): Promise<BenchResult> {
  const dir = process.env.FLEETLB_TEST_LAB_DIR ?? join(repoRoot(), '.lab-test');
  const state = await readState(dir);
  const hubState = state?.clusters.find((c) => c.role === 'hub');
  if (!state || !hubState) throw new Error(`no lab in ${dir}: start one with 'fleetlb lab up --dir ${dir}' (or set FLEETLB_TEST_LAB_DIR)`);
  const kc = new KubeConfig();
  kc.loadFromFile(hubState.kubeconfig);
  const hub = new KubeClient(kc, { fieldManager: 'fleetlb-bench' });
  const log = loggerFor('placement-bench');

  // One hub at a time: the deployed one pauses while the bench's runs.
  const deployed = await hub.find<KubeObject & { spec?: { replicas?: number } }>(DEPLOYMENTS, 'fleetlb-hub', FleetLBNamespace);
  const replicas = deployed?.spec?.replicas ?? 0;
  if (deployed) await hub.mergePatch(DEPLOYMENTS, 'fleetlb-hub', FleetLBNamespace, { spec: { replicas: 0 } });
  const membership = new MembershipController({ client: hub, log: log.child({ controller: 'membercluster' }), missedHeartbeats: 3 });
  const synced = new Map<string, number>();
  let allWritten: (() => void) | undefined;
  const placement = new PlacementController({
    client: hub,
    discovery: new Discovery(hub),
    log: log.child({ controller: 'placement' }),
    missedHeartbeats: 3,
    resyncMs: 60_000,
    concurrency: 8,
    onSynced: (name, clusters) => {
      if (!name.startsWith(PREFIX)) return;
      synced.set(name, clusters);
      if (synced.size === PLACEMENTS) allWritten?.();
    },
  });
  let beating = true;
  const stopBeats = new AbortController();
  let beats: Promise<void> = Promise.resolve();
  try {
    await cleanUp(hub, log);
    // Members and their heartbeats.
    const regionOf = (i: number) => REGIONS[i % REGIONS.length] as string;
    await pool([...Array(MEMBERS).keys()], 16, (i) => hub.apply(MemberClusterKind, {
      apiVersion: `${MemberClusterKind.group}/${MemberClusterKind.version}`,
      kind: 'MemberCluster',
      metadata: { name: member(i), labels: { [Labels.location]: regionOf(i) } },
      spec: { identity: { kind: 'ServiceAccount', name: member(i), namespace: FleetLBNamespace }, heartbeatPeriodSeconds: 60 },
    } satisfies MemberCluster));
    await membership.start();
    const names = [...Array(MEMBERS).keys()].map(member);
    for (let round = 0; ; round++) {
      const have = (await hub.list<InternalMemberCluster>(InternalMemberClusterKind)).items.filter((i) => i.metadata.name?.startsWith(PREFIX)).length;
      if (have === MEMBERS) break;
      if (round > 600) throw new Error(`only ${have} of ${MEMBERS} members got their namespace and InternalMemberCluster`);
      await sleep(200);
    }
    await pool(names, 16, (n) => heartbeat(hub, n, 'True'));
    beats = (async () => {
      while (beating) {
        await sleep(20_000, undefined, { signal: stopBeats.signal }).catch(() => undefined);
        if (beating) await pool(names, 8, (n) => heartbeat(hub, n, 'True')).catch(() => undefined);
      }
    })();
    for (let round = 0; ; round++) {
      const healthy = (await hub.list<MemberCluster>(MemberClusterKind)).items.filter((m) => m.metadata.name?.startsWith(PREFIX) && m.status?.conditions?.some((c) => c.type === 'Healthy' && c.status === 'True'));
      if (healthy.length === MEMBERS) break;
      if (round > 600) throw new Error(`only ${healthy.length} of ${MEMBERS} members are healthy`);
      await sleep(200);
    }

    // What the placements select: namespaces with a ConfigMap each.
    await pool([...Array(NAMESPACES).keys()], 16, async (i) => {
      await hub.apply(CoreResources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: nsName(i) } });
      await hub.apply(CoreResources.configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: nsName(i) }, data: { index: String(i) } } as KubeObject);
    });

    // Scheduling decisions per second: the scheduler over the members as the hub sees them.
    const mcs = (await hub.list<MemberCluster>(MemberClusterKind)).items.filter((m) => m.metadata.name?.startsWith(PREFIX));
    const now = new Date();
    const views = mcs.map((m) => clusterView(m, heartbeatBoundMs(60, 3), now));
    const policies = [...Array(PLACEMENTS).keys()].map(policy);
    const rounds = 20;
    const s0 = process.hrtime.bigint();
    for (let r = 0; r < rounds; r++) for (const p of policies) schedulePlacement(p.policy, views);
    const schedSeconds = Number(process.hrtime.bigint() - s0) / 1e9;
    const expected = policies.reduce((n, p) => n + p.clusters, 0);

    // Placements: from the first create until every Work is written.
    await placement.start();
    const done = new Promise<void>((resolve) => (allWritten = resolve));
    const t0 = Date.now();
    await pool([...Array(PLACEMENTS).keys()], 16, (i) => hub.create(ClusterResourcePlacementKind, {
      apiVersion: `${ClusterResourcePlacementKind.group}/${ClusterResourcePlacementKind.version}`,
      kind: 'ClusterResourcePlacement',
      metadata: { name: `${PREFIX}-${String(i).padStart(3, '0')}` },
      spec: { resourceSelectors: [{ group: '', version: 'v1', kind: 'Namespace', name: nsName(i % NAMESPACES) }], policy: policies[i]?.policy },
    } satisfies ClusterResourcePlacement));
    const createdMs = Date.now() - t0;
    const timeout = sleep(600_000).then(() => 'timeout' as const);
    if ((await Promise.race([done, timeout])) === 'timeout') throw new Error(`only ${synced.size} of ${PLACEMENTS} placements had their Works written after 600 s`);
    const writtenMs = Date.now() - t0;
    const works = (await hub.list(WorkKind, { labelSelector: Labels.parentCRP })).items.filter((w) => w.metadata.namespace?.startsWith(`fleet-member-${PREFIX}`)).length;
    const placedOn = [...synced.values()].reduce((a, b) => a + b, 0);
    if (works !== expected || placedOn !== expected) throw new Error(`expected ${expected} Works, found ${works} (controller reported ${placedOn})`);

    return {
      figures: {
        'members': MEMBERS,
        'placements': PLACEMENTS,
        'works written': works,
        'scheduling decisions/s': Math.round((rounds * PLACEMENTS) / schedSeconds),
        'placements created in (s)': createdMs / 1000,
        'every Work written after (s)': writtenMs / 1000,
        'Works written/s': Math.round(works / (writtenMs / 1000)),
        'peak RSS (MB)': await peakRssMB(),
      },
      notes: [
        `scheduler alone: ${rounds} rounds of ${PLACEMENTS} placements over ${MEMBERS} members (PickN with topology spread, PickN with preferred and required affinity, PickFixed)`,
        `end to end against the lab hub API server (${hubState.server}), controllers in this process with 8 placement workers; ${availableParallelism()} CPUs, load ${loadavg()[0]?.toFixed(2)}`,
      ],
    };
  } finally {
    beating = false;
    stopBeats.abort();
    await beats;
    await cleanUp(hub, log).catch((err: Error) => log.warn('cleanup failed', { error: err.message }));
    // Let the controllers withdraw the Works and release the members before they stop.
    for (let round = 0; round < 300; round++) {
      const left = (await hub.list(MemberClusterKind)).items.filter((m) => m.metadata.name?.startsWith(PREFIX)).length + (await hub.list(ClusterResourcePlacementKind)).items.filter((c) => c.metadata.name?.startsWith(PREFIX)).length;
      if (left === 0) break;
      await sleep(500);
    }
    await placement.stop();
    await membership.stop();
    await pool([...Array(NAMESPACES).keys()], 16, (i) => hub.delete(CoreResources.namespaces, nsName(i)).catch((err: unknown) => (isNotFound(err) ? false : Promise.reject(err))));
    if (deployed) await hub.mergePatch(DEPLOYMENTS, 'fleetlb-hub', FleetLBNamespace, { spec: { replicas } });
    hub.close();
  }
}
