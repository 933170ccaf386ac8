import { ClusterStates, InternalMemberClusterKind, MemberClusterConditions, MemberClusterKind, type InternalMemberCluster, type MemberCluster, type MemberClusterStatus } from '../api/cluster.js';
import { ClusterGroup, NetworkingGroup, PlacementGroup } from '../api/groups.js';
import { Finalizers, Labels, MemberNamespacePrefix, memberNamespace } from '../api/labels.js';
import { WorkKind, type Work } from '../api/placement.js';
import { isTrue, setCondition } from '../runtime/conditions.js';
import { Controller, type ReconcileContext, type ReconcileResult } from '../runtime/controller.js';
import type { EventRecorder } from '../runtime/events.js';
import { Informer } from '../runtime/informer.js';
import { isNotFound, type KubeClient } from '../runtime/kube-client.js';
import type { Logger } from '../runtime/logger.js';
import { CoreResources, type ResourceRef } from '../runtime/resource.js';
import { heartbeatBoundMs, judgeHealth, memberAgent } from './member-health.js';
import { forgetMember, recordMemberHealth } from './metrics.js';

/**
 * Membership on the hub: a MemberCluster gets namespace fleet-member-<name>, a Role and
 * RoleBinding that let its agent's identity (spec.identity) touch only that namespace, and an
 * InternalMemberCluster there through which the agent reports. The hub copies the report into the
 * MemberCluster status and judges health from the heartbeat. Deleting the MemberCluster makes the
 * member leave: its Works are withdrawn, the agent removes what they placed, the namespace goes.
 */

const ROLES: ResourceRef = { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role', plural: 'roles', namespaced: true };
const ROLE_BINDINGS: ResourceRef = { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding', plural: 'rolebindings', namespaced: true };

/** Name of the Role and RoleBinding of a member's agent in its hub namespace. */
export const MEMBER_AGENT_ROLE = 'fleetlb-member-agent';

/** What a member's agent may do in its own hub namespace, and nowhere else. */
export const MEMBER_AGENT_RULES = [
  { apiGroups: [ClusterGroup], resources: ['internalmemberclusters'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [ClusterGroup], resources: ['internalmemberclusters/status'], verbs: ['get', 'patch', 'update'] },
  { apiGroups: [PlacementGroup], resources: ['works'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [PlacementGroup], resources: ['works/status'], verbs: ['get', 'patch', 'update'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  // Multi-cluster services (MCS-CONTRACT): the member writes its exports and imports; the hub's
  // verdicts (export status, import status, endpoint slice imports) it only reads.
  { apiGroups: [NetworkingGroup], resources: ['internalserviceexports', 'endpointsliceexports', 'internalserviceimports'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
  { apiGroups: [NetworkingGroup], resources: ['internalserviceexports/status', 'internalserviceimports/status'], verbs: ['get'] },
  { apiGroups: [NetworkingGroup], resources: ['endpointsliceimports'], verbs: ['get', 'list', 'watch'] },
];

export interface MembershipControllerOptions {
  client: KubeClient;
  events?: EventRecorder;
  log: Logger;
  missedHeartbeats: number;
  resyncMs?: number;
}

export class MembershipController {
  readonly members: Informer<MemberCluster>;
  readonly internal: Informer<InternalMemberCluster>;
  readonly controller: Controller;

  constructor(private readonly opts: MembershipControllerOptions) {
    const { client, log } = opts;
    this.members = new Informer<MemberCluster>({ client, resource: MemberClusterKind, log });
    this.internal = new Informer<InternalMemberCluster>({ client, resource: InternalMemberClusterKind, log });
    this.controller = new Controller({ name: 'membercluster', reconciler: { reconcile: (req, ctx) => this.reconcile(req.name, ctx) }, concurrency: 2, log });
    this.controller.watch(this.members);
    this.controller.watch(this.internal, (imc) => (imc.metadata.namespace?.startsWith(MemberNamespacePrefix) ? [imc.metadata.namespace.slice(MemberNamespacePrefix.length)] : []));
  }

  async start(): Promise<void> {
    await Promise.all([this.members.start(), this.internal.start()]);
    this.controller.start();
  }

  async stop(): Promise<void> {
    await this.controller.stop();
    await Promise.all([this.members.stop(), this.internal.stop()]);
  }

  private async reconcile(name: string, ctx: ReconcileContext): Promise<ReconcileResult> {
    const { client } = this.opts;
    const mc = this.members.get(name);
    if (!mc) return;
    const ns = memberNamespace(name);
    const boundMs = heartbeatBoundMs(mc.spec.heartbeatPeriodSeconds, this.opts.missedHeartbeats);
    const imc = this.internal.get(`${ns}/${name}`);

    if (mc.metadata.deletionTimestamp) return this.leave(mc, imc, boundMs, ctx);

    if (!mc.metadata.finalizers?.includes(Finalizers.memberCluster)) {
      await client.mergePatch(MemberClusterKind, name, undefined, { metadata: { finalizers: [...(mc.metadata.finalizers ?? []), Finalizers.memberCluster], resourceVersion: mc.metadata.resourceVersion } });
    }
    const labels = { [Labels.fleetMemberName]: name, [Labels.isFleetResource]: 'true' };
    const namespace = await client.find(CoreResources.namespaces, ns);
    if (namespace?.metadata.deletionTimestamp) return { requeueAfterMs: 2000 }; // a previous membership is still going
    if (!namespace) await client.create(CoreResources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels } });
    await client.apply(ROLES, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: MEMBER_AGENT_ROLE, namespace: ns, labels }, rules: MEMBER_AGENT_RULES } as never);
    await client.apply(ROLE_BINDINGS, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: MEMBER_AGENT_ROLE, namespace: ns, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: MEMBER_AGENT_ROLE },
      subjects: [{ ...mc.spec.identity, ...(mc.spec.identity.kind === 'ServiceAccount' ? {} : { apiGroup: 'rbac.authorization.k8s.io' }) }],
    } as never);
    if (imc?.spec.state !== ClusterStates.Join || imc.spec.heartbeatPeriodSeconds !== (mc.spec.heartbeatPeriodSeconds ?? 60)) {
      await client.apply(InternalMemberClusterKind, {
        apiVersion: `${InternalMemberClusterKind.group}/${InternalMemberClusterKind.version}`,
        kind: 'InternalMemberCluster',
        metadata: { name, namespace: ns, labels },
        spec: { state: ClusterStates.Join, heartbeatPeriodSeconds: mc.spec.heartbeatPeriodSeconds ?? 60 },
      } satisfies InternalMemberCluster);
    }

    const now = new Date();
    const agent = memberAgent(imc?.status?.agentStatus);
    const judged = judgeHealth(agent, boundMs, now);
    recordMemberHealth(name, judged.healthy.status === 'True', agent?.lastReceivedHeartbeat, now);
    const gen = mc.metadata.generation;
    let conditions = setCondition(mc.status?.conditions, { type: MemberClusterConditions.ReadyToJoin, status: 'True', reason: 'NamespaceAndRoleReady', message: `namespace ${ns} and its Role are ready for the member agent` }, gen, now);
    conditions = setCondition(conditions, judged.joined, gen, now);
    conditions = setCondition(conditions, judged.healthy, gen, now);
    const status: MemberClusterStatus = {
      conditions,
      ...(imc?.status?.agentStatus ? { agentStatus: imc.status.agentStatus } : {}),
      ...(imc?.status?.properties ? { properties: imc.status.properties } : {}),
      ...(imc?.status?.resourceUsage ? { resourceUsage: imc.status.resourceUsage } : {}),
    };
    if (JSON.stringify(status) !== JSON.stringify(mc.status ?? {})) {
      const wasHealthy = isTrue(mc.status?.conditions, MemberClusterConditions.Healthy);
      await client.mergePatch(MemberClusterKind, name, undefined, { status }, 'status');
      if (wasHealthy !== (judged.healthy.status === 'True')) {
        void this.opts.events?.record(mc, judged.healthy.status === 'True' ? 'Normal' : 'Warning', judged.healthy.reason, judged.healthy.message ?? '');
      }
    }
    return { requeueAfterMs: Math.min(judged.recheckInMs ?? boundMs, this.opts.resyncMs ?? 60_000) };
  }

  /**
   * Leave: the agent is told (state Leave), the Works are withdrawn so it removes what it applied,
   * and once it says it has left — or cannot say anything, its heartbeat being overdue — the
   * namespace goes and the MemberCluster with it. Waiting for a dead agent forever is how Fleet
   * members get stuck Terminating (reference/fleet.md §6, Azure/fleet#881).
   */
  private async leave(mc: MemberCluster, imc: InternalMemberCluster | undefined, boundMs: number, ctx: ReconcileContext): Promise<ReconcileResult> {
    const { client } = this.opts;
    const name = mc.metadata.name ?? '';
    const ns = memberNamespace(name);
    if (!mc.metadata.finalizers?.includes(Finalizers.memberCluster)) return;
    if (imc && imc.spec.state !== ClusterStates.Leave) {
      await client.mergePatch(InternalMemberClusterKind, name, ns, { spec: { state: ClusterStates.Leave } });
    }
    const works = await client.list<Work>(WorkKind, { namespace: ns }).catch((err: unknown) => {
      if (isNotFound(err)) return { items: [] as Work[] };
      throw err;
    });
    for (const w of works.items) if (!w.metadata.deletionTimestamp) await client.delete(WorkKind, w.metadata.name ?? '', ns);
    const agent = memberAgent(imc?.status?.agentStatus);
    const judged = judgeHealth(agent, boundMs, new Date());
    const agentLeft = !imc || (agent?.conditions?.find((c) => c.type === 'Joined')?.status === 'False' && works.items.length === 0);
    const agentGone = judged.healthy.status !== 'True';
    const deadline = Date.parse(mc.metadata.deletionTimestamp ?? '') + boundMs;
    if (!agentLeft && !agentGone && Date.now() < deadline) return { requeueAfterMs: 1000 };
    if (!agentLeft) ctx.log.warn('member agent did not confirm leaving; removing its namespace anyway', { member: name, healthy: judged.healthy.status });
    await client.delete(CoreResources.namespaces, ns);
    await client.mergePatch(MemberClusterKind, name, undefined, { metadata: { finalizers: (mc.metadata.finalizers ?? []).filter((f) => f !== Finalizers.memberCluster), resourceVersion: mc.metadata.resourceVersion } });
    forgetMember(name);
    ctx.log.info('member left the fleet', { member: name });
    return;
  }
}
