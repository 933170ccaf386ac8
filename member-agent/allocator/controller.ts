import { Annotations } from '../../api/labels.js';
import { IPAddressPoolKind } from '../../api/metallb.js';
import { Controller, type ReconcileContext, type Request } from '../../runtime/controller.js';
import type { EventRecorder } from '../../runtime/events.js';
import { Informer } from '../../runtime/informer.js';
import { isNotFound, type KubeClient } from '../../runtime/kube-client.js';
import { loggerFor, type Logger } from '../../runtime/logger.js';
import { CoreResources, type KubeObject } from '../../runtime/resource.js';
import { Allocator } from './allocator.js';
import { EventReasons } from './errors.js';
import { allocatorMetrics, forgetPool, recordPool } from './metrics.js';
import { poolConfig } from './pool.js';
import { serviceView, type ServiceObject } from './service.js';
import { poolStatusPlan, servicePlan, type EventToRecord, type PoolObject } from './status.js';

/**
 * The Kubernetes shell around the decision core: informers feed it, reconcilers write what it
 * decided (Service status, the ip-allocated-from-pool annotation, pool status) and record events.
 * Nothing here chooses an address.
 */

export const ALLOCATOR_FIELD_MANAGER = 'fleetlb-allocator';

export interface AllocatorControllerOptions {
  client: KubeClient;
  /** Where the IPAddressPools live (fleetlb-system, metallb-system, kube-system, …). */
  namespace: string;
  /** Serve only Services of this class; undefined: only Services without one. */
  loadBalancerClass?: string;
  events: EventRecorder;
  log?: Logger;
  /** Service reconcile workers (writes only: decisions are made one at a time, in memory). */
  concurrency?: number;
  /** How long pool status waits to gather changes (default 250 ms). */
  poolStatusDelayMs?: number;
}

type NamespaceObject = KubeObject;

export class AllocatorController {
  private readonly core = new Allocator();
  private readonly log: Logger;
  private readonly services: Informer<ServiceObject>;
  private readonly pools: Informer<PoolObject>;
  private readonly namespaces: Informer<NamespaceObject>;
  readonly serviceController: Controller;
  private readonly poolController: Controller;
  private loaded = false;
  private stopping = false;
  /** uid/annotation pairs already warned about in this run. */
  private readonly warned = new Set<string>();
  private readonly knownPools = new Set<string>();
  /**
   * Per Service, the resourceVersion our last annotation patch produced and what the whole write
   * said. The informer may show that intermediate version (annotation set, status not yet)
   * before the status write arrives; it is not a reason to write, or to record events, again.
   */
  private readonly intermediate = new Map<string, { rv: string; plan: string }>();

  constructor(private readonly opts: AllocatorControllerOptions) {
    this.log = opts.log ?? loggerFor('allocator');
    const common = { client: opts.client, log: this.log };
    this.services = new Informer<ServiceObject>({ ...common, resource: CoreResources.services });
    this.pools = new Informer<PoolObject>({ ...common, resource: IPAddressPoolKind, namespace: opts.namespace });
    this.namespaces = new Informer<NamespaceObject>({ ...common, resource: CoreResources.namespaces });
    this.serviceController = new Controller({
      name: 'allocator-services',
      reconciler: { reconcile: (req, ctx) => this.reconcileService(req, ctx) },
      concurrency: opts.concurrency ?? 8,
      log: this.log,
    });
    this.poolController = new Controller({
      name: 'allocator-pools',
      reconciler: { reconcile: (req, ctx) => this.reconcilePool(req, ctx) },
      log: this.log,
    });
    // Until everything is listed, events only fill the caches: `start` loads them all at once.
    this.services.on({
      add: (s) => this.loaded && this.onService(s),
      update: (s) => this.loaded && this.onService(s),
      delete: (s) => this.loaded && this.onServiceDeleted(s),
    });
    const poolsChanged = () => this.loaded && this.onPools();
    this.pools.on({ add: poolsChanged, update: poolsChanged, delete: poolsChanged });
    this.namespaces.on({
      add: (n) => this.loaded && this.onNamespace(n),
      update: (n) => this.loaded && this.onNamespace(n),
      delete: (n) => {
        if (this.loaded) this.core.deleteNamespace(n.metadata.name ?? '');
      },
    });
  }

  /** True once every Service has been reloaded and the reconcilers run. */
  get ready(): boolean {
    return this.loaded;
  }

  /**
   * Lists everything, reloads every assignment from Service status, and only then starts the
   * reconcilers: nothing new is allocated before every existing address is known.
   */
  async start(): Promise<void> {
    await Promise.all([this.services.start(), this.pools.start(), this.namespaces.start()]);
    if (this.stopping) return;
    this.core.setPools(this.pools.list().map(poolConfig));
    for (const n of this.namespaces.list()) this.core.setNamespace(n.metadata.name ?? '', n.metadata.labels ?? {});
    const views = this.services.list().map((s) => this.view(s));
    this.core.load(views);
    this.loaded = true;
    const held = views.filter((v) => v.managed && v.statusIPs.length > 0).length;
    this.log.info('reloaded assignments from Service status', { services: views.filter((v) => v.managed).length, withAddresses: held, pools: this.pools.list().length, namespace: this.opts.namespace });
    this.flush();
    for (const p of this.pools.list()) this.schedulePool(p.metadata.name ?? '', 0);
    this.serviceController.start();
    this.poolController.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.loaded = false;
    await Promise.all([this.serviceController.stop(), this.poolController.stop()]);
    await Promise.all([this.services.stop(), this.pools.stop(), this.namespaces.stop()]);
  }

  // ---------------------------------------------------------------- informer events

  private view(s: ServiceObject) {
    return serviceView(s, { loadBalancerClass: this.opts.loadBalancerClass });
  }

  private onService(s: ServiceObject): void {
    this.core.upsert(this.view(s));
    this.flush();
  }

  private onServiceDeleted(s: ServiceObject): void {
    const key = `${s.metadata.namespace ?? ''}/${s.metadata.name ?? ''}`;
    this.intermediate.delete(key);
    this.core.remove(key);
    this.flush();
  }

  private onPools(): void {
    this.core.setPools(this.pools.list().map(poolConfig));
    for (const name of this.knownPools) if (!this.pools.get(`${this.opts.namespace}/${name}`)) this.schedulePool(name, 0);
    for (const p of this.pools.list()) this.schedulePool(p.metadata.name ?? '', 0);
    this.flush();
  }

  private onNamespace(n: NamespaceObject): void {
    this.core.setNamespace(n.metadata.name ?? '', n.metadata.labels ?? {});
    this.flush();
  }

  /** Hands what the core changed to the reconcilers, and records its one-off notices. */
  private flush(): void {
    const changed = this.core.takeChanged();
    for (const key of changed) this.serviceController.enqueue(key);
    if (changed.length > 0) for (const name of this.core.poolNames()) this.schedulePool(name);
    for (const n of this.core.takeNotices()) {
      const svc = this.services.get(n.key);
      if (svc) void this.opts.events.record(svc, n.type, n.reason, n.message);
      this.log.log(n.type === 'Warning' ? 'warn' : 'info', n.message, { object: n.key, reason: n.reason });
    }
  }

  private schedulePool(name: string, delayMs = this.opts.poolStatusDelayMs ?? 250): void {
    this.poolController.queue.addAfter(`${this.opts.namespace}/${name}`, delayMs);
  }

  // ---------------------------------------------------------------- reconcilers

  private async reconcileService(req: Request, ctx: ReconcileContext): Promise<void> {
    const key = `${req.namespace ?? ''}/${req.name}`;
    const outcome = this.core.resolve(key);
    this.flush();
    const svc = this.services.get(key);
    if (!svc || !outcome) return;
    const plan = servicePlan(svc, outcome);
    this.warnDeprecated(svc);
    const seen = this.intermediate.get(key);
    // Any other version than the intermediate one means it is behind us.
    if (seen && seen.rv !== svc.metadata.resourceVersion) this.intermediate.delete(key);
    if (plan.annotation === undefined && !plan.status && plan.events.length === 0) return;
    const summary = JSON.stringify([outcome, svc.metadata.generation]);
    if (seen && seen.rv === svc.metadata.resourceVersion && seen.plan === summary) return;
    if (ctx.signal.aborted) return;
    const { client } = this.opts;
    const ns = req.namespace ?? '';
    try {
      if (plan.annotation !== undefined) {
        const patched = await client.mergePatch<ServiceObject>(CoreResources.services, req.name, ns, { metadata: { annotations: { [Annotations.ipAllocatedFromPool]: plan.annotation } } });
        this.intermediate.set(key, { rv: patched.metadata.resourceVersion ?? '', plan: summary });
      }
      if (plan.status && !ctx.signal.aborted) {
        await client.apply<ServiceObject>(CoreResources.services, { apiVersion: 'v1', kind: 'Service', metadata: { name: req.name, namespace: ns }, status: plan.status }, { subresource: 'status' });
      }
    } catch (err) {
      this.intermediate.delete(key);
      if (isNotFound(err)) return;
      throw err;
    }
    if (outcome.allocated?.status === 'False') allocatorMetrics.failures.inc({ reason: outcome.allocated.reason });
    ctx.log.info(outcome.managed ? 'service updated' : 'service released', { ips: outcome.ips, pool: outcome.pool, allocated: outcome.allocated?.reason });
    this.recordAll(svc, plan.events);
  }

  private warnDeprecated(svc: ServiceObject): void {
    for (const name of this.view(svc).deprecated) {
      const id = `${svc.metadata.uid ?? ''}/${name}`;
      if (this.warned.has(id)) continue;
      this.warned.add(id);
      const current = name.replace('metallb.universe.tf/', 'metallb.io/');
      void this.opts.events.record(svc, 'Warning', EventReasons.DeprecatedAnnotation, `Service uses deprecated annotation ${name}; use ${current} instead`);
    }
  }

  private recordAll(obj: KubeObject, events: EventToRecord[]): void {
    for (const e of events) void this.opts.events.record(obj, e.type, e.reason, e.message);
  }

  private async reconcilePool(req: Request, ctx: ReconcileContext): Promise<void> {
    const pool = this.pools.get(`${req.namespace ?? ''}/${req.name}`);
    const report = this.core.poolReport(req.name);
    if (!pool || !report) {
      this.knownPools.delete(req.name);
      forgetPool(req.name);
      return;
    }
    this.knownPools.add(req.name);
    recordPool(report);
    const plan = poolStatusPlan(pool, report);
    if (plan.status && !ctx.signal.aborted) {
      try {
        await this.opts.client.apply<PoolObject>(
          IPAddressPoolKind,
          { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: req.name, namespace: req.namespace }, status: plan.status } as PoolObject,
          { subresource: 'status' },
        );
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
    }
    this.recordAll(pool, plan.events);
  }
}
