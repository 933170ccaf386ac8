import type { KubeConfig } from '@kubernetes/client-node';
import { IPAddressPoolKind } from '../../api/metallb.js';
import { EndpointSliceManager, Finalizers, FleetLBNamespace, Labels, memberNamespace } from '../../api/labels.js';
import {
  EndpointSliceImportKind,
  InternalServiceImportKind,
  internalObjectName,
  MultiClusterServiceConditions,
  MultiClusterServiceEvents,
  MultiClusterServiceKind,
  type EndpointSliceImport,
  type InternalServiceImport,
  type MultiClusterService,
} from '../../api/networking.js';
import { conditionUnchanged, findCondition, setCondition } from '../../runtime/conditions.js';
import { Controller, type ReconcileContext, type ReconcileResult } from '../../runtime/controller.js';
import type { EventRecorder } from '../../runtime/events.js';
import { Informer } from '../../runtime/informer.js';
import { isConflict, KubeClient } from '../../runtime/kube-client.js';
import type { Logger } from '../../runtime/logger.js';
import { CoreResources, objectKey, type KubeObject } from '../../runtime/resource.js';
import type { ServiceObject } from '../allocator/service.js';
import { derivedServiceName, wantsInternal } from './derived-service.js';
import { importKeyOf, internalServiceImport, loadBalancerStatus, planMultiClusterService, serviceUpToDate, sliceUpToDate } from './multicluster-service.js';
import type { EndpointSliceObject } from './service-export.js';

/**
 * The member's `multiclusterservice` controller: for each MultiClusterService it asks the hub for
 * the import (an InternalServiceImport in this member's hub namespace), and turns what the hub
 * sends back (the ISI's status, the EndpointSliceImports) into the derived LoadBalancer Service
 * and its EndpointSlices in fleetlb-system; the allocator gives that Service its address, which
 * goes back into the MCS status. Every change of an EndpointSliceImport reconciles the MCSs of its
 * service at once (no polling), and only slices whose content changed are written. Decisions are
 * in multicluster-service.ts.
 */

export const MultiClusterServiceFieldManager = 'fleetlb-multiclusterservice';

export interface MultiClusterServiceControllerOptions {
  hub: KubeClient;
  memberKubeConfig: KubeConfig;
  memberName: string;
  /** Where the IPAddressPools live (the agent's --namespace). */
  poolNamespace: string;
  events: EventRecorder;
  log: Logger;
}

const importKeyOfIsi = (isi: InternalServiceImport) => isi.spec.serviceImportReference.namespacedName;

export class MultiClusterServiceController {
  readonly mcss: Informer<MultiClusterService>;
  readonly services: Informer<ServiceObject>;
  readonly slices: Informer<EndpointSliceObject & KubeObject>;
  readonly pools: Informer<KubeObject>;
  readonly isis: Informer<InternalServiceImport>;
  readonly esis: Informer<EndpointSliceImport>;
  readonly controller: Controller;
  private readonly member: KubeClient;
  private readonly hubNamespace: string;

  constructor(private readonly opts: MultiClusterServiceControllerOptions) {
    const { hub, log } = opts;
    this.hubNamespace = memberNamespace(opts.memberName);
    this.member = new KubeClient(opts.memberKubeConfig, { fieldManager: MultiClusterServiceFieldManager });
    const member = this.member;
    this.mcss = new Informer<MultiClusterService>({ client: member, resource: MultiClusterServiceKind, log });
    this.services = new Informer<ServiceObject>({ client: member, resource: CoreResources.services, namespace: FleetLBNamespace, labelSelector: Labels.multiClusterServiceName, log });
    this.slices = new Informer<EndpointSliceObject & KubeObject>({ client: member, resource: CoreResources.endpointSlices, namespace: FleetLBNamespace, labelSelector: `${Labels.endpointSliceManagedBy}=${EndpointSliceManager}`, log });
    this.pools = new Informer<KubeObject>({ client: member, resource: IPAddressPoolKind, namespace: opts.poolNamespace, labelSelector: `${Labels.internalPool}=true`, log });
    this.isis = new Informer<InternalServiceImport>({ client: hub, resource: InternalServiceImportKind, namespace: this.hubNamespace, log });
    this.esis = new Informer<EndpointSliceImport>({ client: hub, resource: EndpointSliceImportKind, namespace: this.hubNamespace, log });

    // Keys: `namespace/name` of an MCS; a bare name is an InternalServiceImport to check for orphanhood.
    this.controller = new Controller({ name: 'multiclusterservice', reconciler: { reconcile: (req, ctx) => (req.namespace === undefined ? this.reconcileImport(req.name, ctx) : this.reconcile(`${req.namespace}/${req.name}`, ctx)) }, concurrency: 4, log });
    // An MCS, the others on the same import (the oldest holds it) and the hub request it may leave behind.
    this.controller.watch(this.mcss, (m) => [...this.mcsKeysFor(importKeyOf(m)), objectKey(m), internalObjectName(m.metadata.namespace ?? '', m.spec.serviceImport.name)]);
    this.controller.watch(this.isis, (isi) => [...this.mcsKeysFor(importKeyOfIsi(isi)), isi.metadata.name ?? '']);
    // The fast path: an imported slice changed, so the derived slices of its service follow now.
    this.controller.watch(this.esis, (esi) => this.mcsKeysFor(esi.spec.ownerServiceReference.namespacedName));
    this.controller.watch(this.services, (s) => {
      const l = s.metadata.labels ?? {};
      const ns = l[Labels.multiClusterServiceNamespace];
      const name = l[Labels.multiClusterServiceName];
      return ns && name ? [`${ns}/${name}`] : [];
    });
    this.controller.watch(this.slices, (s) => this.mcsKeysOfService(s.metadata.labels?.[Labels.serviceName] ?? ''));
    this.controller.watch(this.pools, () => this.mcss.list().filter(wantsInternal).map((m) => objectKey(m)));
  }

  async start(): Promise<void> {
    const informers = [this.mcss, this.services, this.slices, this.pools, this.isis, this.esis];
    await Promise.all(informers.map((i) => i.start()));
    this.controller.start();
  }

  async stop(): Promise<void> {
    await this.controller.stop();
    await Promise.all([this.mcss, this.services, this.slices, this.pools, this.isis, this.esis].map((i) => i.stop()));
    this.member.close();
  }

  private mcsKeysFor(importKey: string): string[] {
    return this.mcss
      .list()
      .filter((m) => importKeyOf(m) === importKey)
      .map((m) => objectKey(m));
  }

  private mcsKeysOfService(serviceName: string): string[] {
    const l = this.services.get(`${FleetLBNamespace}/${serviceName}`)?.metadata.labels ?? {};
    const ns = l[Labels.multiClusterServiceNamespace];
    const name = l[Labels.multiClusterServiceName];
    if (ns && name) return [`${ns}/${name}`];
    return this.mcss
      .list()
      .filter((m) => derivedServiceName(m.metadata.namespace ?? '', m.metadata.name ?? '') === serviceName)
      .map((m) => objectKey(m));
  }

  /** An InternalServiceImport no live MCS on this member asks for any more is withdrawn. */
  private async reconcileImport(name: string, ctx: ReconcileContext): Promise<ReconcileResult> {
    const isi = this.isis.get(`${this.hubNamespace}/${name}`);
    if (!isi || isi.metadata.deletionTimestamp) return;
    const wanted = this.mcss.list().some((m) => !m.metadata.deletionTimestamp && importKeyOf(m) === importKeyOfIsi(isi));
    if (wanted) return;
    await this.opts.hub.delete(InternalServiceImportKind, name, this.hubNamespace, { preconditionUid: isi.metadata.uid }).catch((err: unknown) => {
      if (!isConflict(err)) throw err;
    });
    ctx.log.info('no MultiClusterService asks for this import any more: hub request withdrawn', { internalServiceImport: name, serviceImport: importKeyOfIsi(isi) });
  }

  /** The derived Service and all its slices go (the slices first: they name the Service). */
  private async removeDerived(serviceName: string, ctx: ReconcileContext): Promise<void> {
    for (const s of this.slices.list()) {
      if (s.metadata.labels?.[Labels.serviceName] === serviceName) await this.member.delete(CoreResources.endpointSlices, s.metadata.name ?? '', FleetLBNamespace);
    }
    if (await this.member.delete(CoreResources.services, serviceName, FleetLBNamespace)) ctx.log.info('derived Service removed', { service: `${FleetLBNamespace}/${serviceName}` });
  }

  private async reconcile(key: string, ctx: ReconcileContext): Promise<ReconcileResult> {
    const [namespace = '', name = ''] = key.split('/');
    const serviceName = derivedServiceName(namespace, name);
    const mcs = this.mcss.get(key);
    if (!mcs) {
      // Gone without our finalizer running (removed by hand, or before we ever saw it).
      if (this.services.get(`${FleetLBNamespace}/${serviceName}`)) await this.removeDerived(serviceName, ctx);
      return;
    }
    const { hub } = this.opts;
    if (mcs.metadata.deletionTimestamp) {
      if (!mcs.metadata.finalizers?.includes(Finalizers.serviceResourcesCleanup)) return;
      await this.removeDerived(serviceName, ctx);
      const others = this.mcss.list().some((m) => m !== mcs && !m.metadata.deletionTimestamp && importKeyOf(m) === importKeyOf(mcs));
      if (!others) await hub.delete(InternalServiceImportKind, internalObjectName(namespace, mcs.spec.serviceImport.name), this.hubNamespace);
      await this.member.mergePatch(MultiClusterServiceKind, name, namespace, { metadata: { finalizers: mcs.metadata.finalizers.filter((f) => f !== Finalizers.serviceResourcesCleanup), resourceVersion: mcs.metadata.resourceVersion } });
      ctx.log.info('MultiClusterService deleted: derived Service, its slices and the hub request removed', { derivedService: serviceName });
      return;
    }

    // The hub request first: without it the hub sends nothing. A hub that cannot be reached does
    // not stop the member side, which keeps serving from what it last received.
    const isiName = internalObjectName(namespace, mcs.spec.serviceImport.name);
    const isi = this.isis.get(`${this.hubNamespace}/${isiName}`);
    let hubError: unknown;
    if (!isi) {
      await hub.create(InternalServiceImportKind, internalServiceImport(this.opts.memberName, this.hubNamespace, namespace, mcs.spec.serviceImport.name)).catch((err: unknown) => {
        if (!isConflict(err)) hubError = err;
      });
    }

    let live = this.services.get(`${FleetLBNamespace}/${serviceName}`);
    const plan = planMultiClusterService({ mcs, all: this.mcss.list(), isi, esis: this.esis.list(), internalPools: this.pools.list().map((p) => p.metadata.name ?? ''), live });

    // Labels and finalizer in one write, only when something is missing. The finalizer list is
    // replaced whole, so only that write is fenced by the resourceVersion.
    const labels = mcs.metadata.labels ?? {};
    const labelPatch = Object.fromEntries(Object.entries(plan.labels).filter(([k, v]) => (labels[k] ?? null) !== v));
    const needsFinalizer = !mcs.metadata.finalizers?.includes(Finalizers.serviceResourcesCleanup);
    if (needsFinalizer || Object.keys(labelPatch).length > 0) {
      await this.member.mergePatch(MultiClusterServiceKind, name, namespace, {
        metadata: {
          ...(needsFinalizer ? { resourceVersion: mcs.metadata.resourceVersion, finalizers: [...(mcs.metadata.finalizers ?? []), Finalizers.serviceResourcesCleanup] } : {}),
          ...(Object.keys(labelPatch).length > 0 ? { labels: labelPatch } : {}),
        },
      });
    }

    if (plan.service.action === 'delete') {
      if (live) await this.removeDerived(serviceName, ctx);
      live = undefined;
    } else if (plan.service.action === 'apply' && !serviceUpToDate(plan.service.desired, live)) {
      live = await this.member.apply<ServiceObject>(CoreResources.services, plan.service.desired, { force: true });
      ctx.log.info('derived Service written', { service: `${FleetLBNamespace}/${serviceName}`, ports: plan.service.desired.spec.ports.length });
    }

    if (live?.metadata.uid) {
      const uid = live.metadata.uid;
      const owner = { apiVersion: 'v1', kind: 'Service', name: serviceName, uid };
      let written = 0;
      for (const slice of plan.slices) {
        if (sliceUpToDate(slice, this.slices.get(`${FleetLBNamespace}/${slice.metadata.name ?? ''}`), uid)) continue;
        await this.member.apply<EndpointSliceObject & KubeObject>(CoreResources.endpointSlices, { ...slice, metadata: { ...slice.metadata, ownerReferences: [owner] } }, { force: true });
        written++;
      }
      const keep = new Set(plan.slices.map((s) => s.metadata.name));
      let pruned = 0;
      for (const s of this.slices.list()) {
        if (s.metadata.labels?.[Labels.serviceName] !== serviceName || keep.has(s.metadata.name)) continue;
        await this.member.delete(CoreResources.endpointSlices, s.metadata.name ?? '', FleetLBNamespace);
        pruned++;
      }
      if (written + pruned > 0) ctx.log.debug('derived EndpointSlices written', { service: serviceName, written, pruned, slices: plan.slices.length });
    }

    // Status: the address once the allocator has given one, and Valid.
    const lb = loadBalancerStatus(plan.service.action === 'delete' ? undefined : live);
    const generation = mcs.metadata.generation;
    const validChanged = !conditionUnchanged(mcs.status?.conditions, plan.valid, generation);
    const lbChanged = JSON.stringify(mcs.status?.loadBalancer?.ingress ?? []) !== JSON.stringify(lb?.ingress ?? []);
    if (validChanged || lbChanged) {
      const conditions = setCondition(mcs.status?.conditions, plan.valid, generation);
      await this.member.mergePatch(MultiClusterServiceKind, name, namespace, { status: { conditions, loadBalancer: lb ?? null } }, 'status');
      const before = findCondition(mcs.status?.conditions, MultiClusterServiceConditions.Valid);
      if (before?.status !== plan.valid.status || before.reason !== plan.valid.reason) {
        void this.opts.events.record(mcs, plan.valid.status === 'True' ? 'Normal' : 'Warning', plan.valid.reason, plan.valid.message ?? '');
      }
      if (lbChanged && lb) void this.opts.events.record(mcs, 'Normal', MultiClusterServiceEvents.ExternalIPAssigned, `${lb.ingress.map((i) => i.ip ?? i.hostname).join(', ')} from Service ${FleetLBNamespace}/${serviceName}`);
    }
    if (hubError) throw hubError;
  }
}
