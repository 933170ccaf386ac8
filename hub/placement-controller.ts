import { createHash } from 'node:crypto';
import { MemberClusterKind, type MemberCluster } from '../api/cluster.js';
import { Annotations, Finalizers, Labels, MemberNamespacePrefix, memberNamespace } from '../api/labels.js';
import { ClusterResourcePlacementKind, PlacementReasons, WorkKind, workName, type ClusterResourcePlacement, type Work } from '../api/placement.js';
import { Controller, type ReconcileContext, type ReconcileResult } from '../runtime/controller.js';
import type { Discovery } from '../runtime/discovery.js';
import type { EventRecorder } from '../runtime/events.js';
import { Informer } from '../runtime/informer.js';
import { isNotFound, type KubeClient } from '../runtime/kube-client.js';
import type { Logger } from '../runtime/logger.js';
import { clusterView, heartbeatBoundMs } from './member-health.js';
import { schedulePlacement } from './placement-scheduler.js';
import { placementStatus, sameStatus, workReport, type WorkReport } from './placement-status.js';
import { ResourceReader } from './resource-reader.js';
import { planRollout } from './rollout.js';

/**
 * The placement controller: for each ClusterResourcePlacement, select the objects, schedule,
 * roll the Works out to the members' namespaces, and report. Selected objects are re-read every
 * `resyncMs` (the hub does not watch every kind), so an edit on the hub reaches members within it.
 */

export const HUB_FIELD_MANAGER = 'fleetlb-hub';

export interface PlacementControllerOptions {
  client: KubeClient;
  discovery: Discovery;
  events?: EventRecorder;
  log: Logger;
  /** Heartbeats a member may miss before it gets no new placements. */
  missedHeartbeats: number;
  resyncMs?: number;
  concurrency?: number;
  /** Called after a placement's Works are all written (for the benchmark). */
  onSynced?: (placement: string, clusters: number) => void;
}

export class PlacementController {
  readonly placements: Informer<ClusterResourcePlacement>;
  readonly members: Informer<MemberCluster>;
  readonly works: Informer<Work>;
  readonly controller: Controller;
  private readonly reader: ResourceReader;
  private readonly resyncMs: number;
  private lastDecision = new Map<string, string>();

  constructor(private readonly opts: PlacementControllerOptions) {
    const { client, log } = opts;
    this.resyncMs = opts.resyncMs ?? 15_000;
    this.reader = new ResourceReader(client, opts.discovery);
    this.placements = new Informer<ClusterResourcePlacement>({ client, resource: ClusterResourcePlacementKind, log });
    this.members = new Informer<MemberCluster>({ client, resource: MemberClusterKind, log });
    this.works = new Informer<Work>({ client, resource: WorkKind, labelSelector: Labels.parentCRP, log });
    this.controller = new Controller({ name: 'placement', reconciler: { reconcile: (req, ctx) => this.reconcile(req.name, ctx) }, concurrency: opts.concurrency ?? 4, log });
    this.controller.watch(this.placements);
    // Any member change may change any decision.
    this.controller.watch(this.members, () => this.placements.keys());
    this.controller.watch(this.works, (w) => [w.metadata.labels?.[Labels.parentCRP] ?? ''].filter(Boolean));
  }

  async start(): Promise<void> {
    await Promise.all([this.placements.start(), this.members.start(), this.works.start()]);
    this.controller.start();
  }

  async stop(): Promise<void> {
    await this.controller.stop();
    await Promise.all([this.placements.stop(), this.members.stop(), this.works.stop()]);
  }

  /** The Works of a placement, by member cluster name. */
  private worksOf(name: string): Map<string, Work> {
    const out = new Map<string, Work>();
    for (const w of this.works.list()) {
      if (w.metadata.labels?.[Labels.parentCRP] !== name || !w.metadata.namespace?.startsWith(MemberNamespacePrefix)) continue;
      out.set(w.metadata.namespace.slice(MemberNamespacePrefix.length), w);
    }
    return out;
  }

  private async reconcile(name: string, ctx: ReconcileContext): Promise<ReconcileResult> {
    const { client } = this.opts;
    const crp = this.placements.get(name);
    if (!crp) return;
    const works = this.worksOf(name);
    if (crp.metadata.deletionTimestamp) {
      // Withdraw every Work; the members remove what they applied from them.
      for (const [cluster, w] of works) if (!w.metadata.deletionTimestamp) await client.delete(WorkKind, w.metadata.name ?? '', memberNamespace(cluster));
      if (works.size > 0) return { requeueAfterMs: 1000 };
      if (crp.metadata.finalizers?.includes(Finalizers.placementCleanup)) {
        await client.mergePatch(ClusterResourcePlacementKind, name, undefined, { metadata: { finalizers: crp.metadata.finalizers.filter((f) => f !== Finalizers.placementCleanup), resourceVersion: crp.metadata.resourceVersion } });
      }
      this.lastDecision.delete(name);
      return;
    }
    if (!crp.metadata.finalizers?.includes(Finalizers.placementCleanup)) {
      await client.mergePatch(ClusterResourcePlacementKind, name, undefined, { metadata: { finalizers: [...(crp.metadata.finalizers ?? []), Finalizers.placementCleanup], resourceVersion: crp.metadata.resourceVersion } });
      return; // the update comes back through the informer
    }

    const selection = await this.reader.select(crp.spec.resourceSelectors);
    const hash = createHash('sha256').update(JSON.stringify(selection.manifests)).update(JSON.stringify(crp.spec.strategy?.applyStrategy ?? {})).digest('hex').slice(0, 16);
    const now = new Date();
    const views = this.members.list().map((m) => clusterView(m, heartbeatBoundMs(m.spec.heartbeatPeriodSeconds, this.opts.missedHeartbeats), now));
    const decision = schedulePlacement(crp.spec.policy, views, [...works.keys()]);
    const reports = new Map<string, WorkReport>([...works].map(([c, w]) => [c, workReport(w)]));
    const plan = planRollout(decision.selected, reports, hash, crp.spec.strategy?.rollingUpdate?.maxUnavailable);

    for (const cluster of plan.write) {
      const work: Work = {
        apiVersion: `${WorkKind.group}/${WorkKind.version}`,
        kind: 'Work',
        metadata: {
          name: workName(name),
          namespace: memberNamespace(cluster),
          labels: { [Labels.parentCRP]: name },
          annotations: { [Annotations.workResourceHash]: hash },
        },
        spec: { workload: { manifests: selection.manifests }, ...(crp.spec.strategy?.applyStrategy ? { applyStrategy: crp.spec.strategy.applyStrategy } : {}) },
      };
      try {
        const written = await client.apply(WorkKind, work, { force: true });
        reports.set(cluster, workReport(written));
      } catch (err) {
        // The member's namespace may not exist yet (it just joined) or be going (it leaves).
        ctx.log.warn('cannot write Work', { cluster, error: (err as Error).message });
      }
    }
    for (const cluster of plan.remove) {
      const w = works.get(cluster);
      if (w && !w.metadata.deletionTimestamp) await client.delete(WorkKind, w.metadata.name ?? '', memberNamespace(cluster)).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
      reports.delete(cluster);
    }

    const status = placementStatus({ generation: crp.metadata.generation ?? 0, decision, selectedResources: selection.selected, desiredHash: hash, reports, waiting: plan.waiting, previous: crp.status, now });
    if (selection.problems.length > 0) {
      status.conditions = status.conditions?.map((c) =>
        c.type === 'ClusterResourcePlacementScheduled' && c.status === 'True' ? { ...c, reason: PlacementReasons.InvalidResourceSelectors, message: `${c.message}; some selector terms select nothing: ${selection.problems.join('; ')}` } : c,
      );
    }
    if (!sameStatus(crp.status, status)) {
      await client.mergePatch(ClusterResourcePlacementKind, name, undefined, { status: { ...status, placementStatuses: status.placementStatuses ?? [] } }, 'status');
    }
    const summary = decision.selected.join(',');
    if (this.lastDecision.get(name) !== summary) {
      this.lastDecision.set(name, summary);
      void this.opts.events?.record(crp, decision.satisfied ? 'Normal' : 'Warning', decision.satisfied ? 'Scheduled' : 'SchedulingPolicyUnfulfilled', `${decision.message}: ${summary || '(none)'}`);
    }
    if (plan.write.length === 0 && plan.remove.length === 0 && plan.waiting.length === 0) this.opts.onSynced?.(name, decision.selected.length);
    // Pending rollouts and unreported members are looked at again soon; otherwise at the resync.
    const settled = plan.waiting.length === 0 && decision.selected.every((c) => reports.get(c)?.available);
    return { requeueAfterMs: settled ? this.resyncMs : Math.min(this.resyncMs, 2000) };
  }
}
