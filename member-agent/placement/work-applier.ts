import { memberNamespace } from '../../api/labels.js';
import { AppliedWorkKind, WorkApplierFieldManager, WorkKind, type AppliedResourceMeta, type AppliedWork, type Manifest, type Work, type WorkResourceIdentifier } from '../../api/placement.js';
import { Controller, type ReconcileContext, type ReconcileResult } from '../../runtime/controller.js';
import { Discovery } from '../../runtime/discovery.js';
import { Informer } from '../../runtime/informer.js';
import { isNotFound, KubeClient } from '../../runtime/kube-client.js';
import type { Logger } from '../../runtime/logger.js';
import type { KubeObject, ResourceRef } from '../../runtime/resource.js';
import { isAvailable, workStatus, type ManifestOutcome } from './work-status.js';

/**
 * The work applier: every Work in this member's hub namespace is applied here with server-side
 * apply, each object owned by the Work's AppliedWork (so deleting the AppliedWork lets the
 * garbage collector remove everything placed). Objects the Work no longer carries are deleted;
 * a periodic re-apply puts back what was changed on the member (drift) unless the placement's
 * whenToApply is IfNotDrifted; per-object failures are written to the Work's status on the hub.
 */

export interface WorkApplierOptions {
  hub: KubeClient;
  member: KubeClient;
  memberName: string;
  log: Logger;
  /** How often an applied Work is applied again, putting drift back (default 15 s). */
  driftCheckMs?: number;
}

const WORK_API_VERSION = `${WorkKind.group}/${WorkKind.version}` as const;

function identifier(m: Manifest, ordinal: number, plural?: string): WorkResourceIdentifier {
  const i = m.apiVersion.indexOf('/');
  return {
    ordinal,
    group: i < 0 ? '' : m.apiVersion.slice(0, i),
    version: i < 0 ? m.apiVersion : m.apiVersion.slice(i + 1),
    kind: m.kind,
    ...(plural ? { resource: plural } : {}),
    ...(m.metadata.namespace ? { namespace: m.metadata.namespace } : {}),
    name: m.metadata.name ?? '',
  };
}

const sameObject = (a: AppliedResourceMeta, b: AppliedResourceMeta) => a.group === b.group && a.kind === b.kind && (a.namespace ?? '') === (b.namespace ?? '') && a.name === b.name;

export class WorkApplier {
  readonly works: Informer<Work>;
  readonly controller: Controller;
  private readonly discovery: Discovery;
  private readonly namespace: string;
  private readonly driftCheckMs: number;
  /** The member client with the applier's field manager, for server-side apply. */
  private readonly applier: KubeClient;
  /** uid → the generation our last apply left: a later one means the member changed the spec. */
  private readonly appliedGeneration = new Map<string, number>();

  constructor(private readonly opts: WorkApplierOptions, memberKubeConfig: ConstructorParameters<typeof KubeClient>[0]) {
    this.namespace = memberNamespace(opts.memberName);
    this.driftCheckMs = opts.driftCheckMs ?? 15_000;
    this.discovery = new Discovery(opts.member);
    this.applier = new KubeClient(memberKubeConfig, { fieldManager: WorkApplierFieldManager });
    this.works = new Informer<Work>({ client: opts.hub, resource: WorkKind, namespace: this.namespace, log: opts.log });
    this.controller = new Controller({ name: 'work-applier', reconciler: { reconcile: (req, ctx) => this.reconcile(req.name, ctx) }, concurrency: 2, log: opts.log });
    this.controller.watch(this.works, (w) => [w.metadata.name ?? '']);
  }

  async start(): Promise<void> {
    await this.works.start();
    this.controller.start();
    // Works withdrawn while the agent was away: their AppliedWorks are still here.
    for (const aw of (await this.opts.member.list<AppliedWork>(AppliedWorkKind)).items) {
      if (aw.spec.workNamespace === this.namespace) this.controller.enqueue(aw.metadata.name ?? '');
    }
  }

  async stop(): Promise<void> {
    await this.controller.stop();
    await this.works.stop();
    this.applier.close();
  }

  /**
   * Fleet's whenToApply IfNotDrifted: an object whose spec was changed on the member since we
   * applied it (say `kubectl scale`, which leaves no field manager to conflict with) is left as
   * it is and reported, instead of put back. Known only for objects this process applied: after
   * a restart the first apply sets the baseline.
   */
  private async drifted(r: ResourceRef, m: Manifest): Promise<{ uid?: string; message: string } | undefined> {
    const live = await this.opts.member.find(r, m.metadata.name ?? '', m.metadata.namespace);
    const uid = live?.metadata.uid;
    const mine = uid ? this.appliedGeneration.get(uid) : undefined;
    if (!live || mine === undefined || (live.metadata.generation ?? 0) === mine) return undefined;
    return { uid, message: `drifted: changed on the member since it was applied (generation ${mine}, now ${live.metadata.generation ?? 0}); whenToApply IfNotDrifted leaves it so` };
  }

  private async reconcile(name: string, ctx: ReconcileContext): Promise<ReconcileResult> {
    const { member, hub } = this.opts;
    const work = this.works.get(`${this.namespace}/${name}`);
    if (!work || work.metadata.deletionTimestamp) {
      const aw = await member.find<AppliedWork>(AppliedWorkKind, name);
      if (aw && aw.spec.workNamespace === this.namespace && !aw.metadata.deletionTimestamp) {
        // The garbage collector removes every object the AppliedWork owns.
        await member.delete(AppliedWorkKind, name, undefined, { propagationPolicy: 'Background' });
        ctx.log.info('work withdrawn: removing what it placed', { work: name, objects: aw.status?.appliedResources?.length ?? 0 });
      }
      return;
    }

    let aw = await member.find<AppliedWork>(AppliedWorkKind, name);
    if (aw && aw.spec.workNamespace !== this.namespace) throw new Error(`AppliedWork ${name} belongs to ${aw.spec.workNamespace}, not ${this.namespace}`);
    aw ??= await member.create<AppliedWork>(AppliedWorkKind, { apiVersion: WORK_API_VERSION, kind: 'AppliedWork', metadata: { name }, spec: { workName: name, workNamespace: this.namespace } });
    const owner = { apiVersion: WORK_API_VERSION, kind: 'AppliedWork', name, uid: aw.metadata.uid ?? '', blockOwnerDeletion: false };

    const outcomes: ManifestOutcome[] = [];
    const applied: AppliedResourceMeta[] = [];
    const manifests = work.spec.workload?.manifests ?? [];
    const ifNotDrifted = work.spec.applyStrategy?.whenToApply === 'IfNotDrifted';
    for (const [ordinal, m] of manifests.entries()) {
      const r = await this.discovery.forKind(m.apiVersion, m.kind);
      if (!r) {
        outcomes.push({ identifier: identifier(m, ordinal), error: `the member does not serve ${m.apiVersion} ${m.kind}` });
        continue;
      }
      const id = identifier(m, ordinal, r.plural);
      if (r.namespaced !== !!m.metadata.namespace) {
        outcomes.push({ identifier: id, error: r.namespaced ? `${m.kind} is namespaced but has no namespace` : `${m.kind} is cluster-scoped but has a namespace` });
        continue;
      }
      try {
        const drift = ifNotDrifted ? await this.drifted(r, m) : undefined;
        if (drift) {
          outcomes.push({ identifier: id, error: drift.message });
          applied.push({ ...id, uid: drift.uid });
          continue;
        }
        const obj = { ...m, metadata: { ...m.metadata, ownerReferences: [owner] } } as KubeObject;
        const live = await this.applier.apply<KubeObject & ManifestOutcome['live'] & object>(r, obj, { force: true });
        if (live.metadata.uid) this.appliedGeneration.set(live.metadata.uid, live.metadata.generation ?? 0);
        outcomes.push({ identifier: id, live: live as ManifestOutcome['live'] });
        applied.push({ ...id, uid: live.metadata.uid });
      } catch (err) {
        outcomes.push({ identifier: id, error: (err as Error).message });
        // Keep a failing object in the record so it is still collected when it leaves the Work.
        const before = aw.status?.appliedResources?.find((a) => sameObject(a, id));
        if (before) applied.push(before);
      }
    }

    // Garbage: applied before, not in the Work any more. Deleted by uid, so a namesake made by
    // someone else since is left alone.
    for (const old of aw.status?.appliedResources ?? []) {
      if (applied.some((a) => sameObject(a, old))) continue;
      const r = await this.discovery.forKind(old.group ? `${old.group}/${old.version ?? ''}` : (old.version ?? 'v1'), old.kind ?? '');
      if (!r) continue;
      try {
        await member.delete(r, old.name ?? '', old.namespace, { propagationPolicy: 'Background', preconditionUid: old.uid });
        ctx.log.info('removed an object no longer placed', { kind: old.kind, namespace: old.namespace, name: old.name });
      } catch (err) {
        if (!isNotFound(err) && !(err as { status?: number }).status?.toString().startsWith('409')) throw err;
      }
    }
    if (JSON.stringify(aw.status?.appliedResources ?? []) !== JSON.stringify(applied)) {
      await member.mergePatch(AppliedWorkKind, name, undefined, { status: { appliedResources: applied } }, 'status');
    }

    const status = workStatus(outcomes, work.status, work.metadata.generation, new Date());
    if (JSON.stringify(status) !== JSON.stringify(work.status ?? {})) {
      await hub.mergePatch(WorkKind, name, this.namespace, { status }, 'status');
    }
    // Not available yet: look again soon; otherwise at the drift check.
    return { requeueAfterMs: isAvailable(status) ? this.driftCheckMs : Math.min(this.driftCheckMs, 2000) };
  }
}
