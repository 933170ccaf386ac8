import { isDeepStrictEqual } from 'node:util';
import { Finalizers, Labels, memberNamespace } from '../../api/labels.js';
import {
  EndpointSliceExportKind,
  InternalServiceExportKind,
  ServiceExportConditions,
  ServiceExportEvents,
  ServiceExportKind,
  internalObjectName,
  type EndpointSliceExport,
  type InternalServiceExport,
  type ServiceExport,
} from '../../api/networking.js';
import { findCondition, setCondition, type ConditionInput } from '../../runtime/conditions.js';
import { Controller, type ReconcileContext, type ReconcileResult } from '../../runtime/controller.js';
import type { EventRecorder } from '../../runtime/events.js';
import { Informer } from '../../runtime/informer.js';
import { isForbidden, type KubeClient } from '../../runtime/kube-client.js';
import type { Logger } from '../../runtime/logger.js';
import { CoreResources, type KubeObject } from '../../runtime/resource.js';
import { decideExport, endpointSliceExports, exportConflict, type EndpointSliceObject, type ExportedService } from './service-export.js';

/**
 * The member's serviceexport controller: each ServiceExport's Service, with its EndpointSlices,
 * goes to the hub as an InternalServiceExport and EndpointSliceExports in this member's namespace
 * there (service-export.ts decides; this file reads and writes). The ServiceExport shows Valid
 * (decided here) and Conflict (the hub's verdict, copied back). A finalizer makes deletion take
 * the hub objects away first; hub objects whose ServiceExport is gone are removed whenever seen,
 * so deleting in any order leaves nothing behind.
 */

export interface ServiceExportControllerOptions {
  hub: KubeClient;
  member: KubeClient;
  memberName: string;
  log: Logger;
  events?: EventRecorder;
}

type Service = ExportedService & KubeObject;
type Slice = EndpointSliceObject & KubeObject;

const API_VERSION = `${InternalServiceExportKind.group}/${InternalServiceExportKind.version}` as const;

export class ServiceExportController {
  readonly serviceExports: Informer<ServiceExport>;
  readonly services: Informer<Service>;
  readonly slices: Informer<Slice>;
  readonly hubExports: Informer<InternalServiceExport>;
  readonly hubSlices: Informer<EndpointSliceExport>;
  readonly controller: Controller;
  private readonly hubNamespace: string;

  constructor(private readonly opts: ServiceExportControllerOptions) {
    const { hub, member, log } = opts;
    this.hubNamespace = memberNamespace(opts.memberName);
    this.serviceExports = new Informer<ServiceExport>({ client: member, resource: ServiceExportKind, log });
    this.services = new Informer<Service>({ client: member, resource: CoreResources.services, log });
    this.slices = new Informer<Slice>({ client: member, resource: CoreResources.endpointSlices, labelSelector: Labels.serviceName, log });
    this.hubExports = new Informer<InternalServiceExport>({ client: hub, resource: InternalServiceExportKind, namespace: this.hubNamespace, log });
    this.hubSlices = new Informer<EndpointSliceExport>({ client: hub, resource: EndpointSliceExportKind, namespace: this.hubNamespace, log });
    this.controller = new Controller({ name: 'serviceexport', reconciler: { reconcile: (req, ctx) => this.reconcile(req.namespace ?? '', req.name, ctx) }, concurrency: 2, log });
    this.controller.watch(this.serviceExports);
    this.controller.watch(this.services);
    this.controller.watch(this.slices, (s) => {
      const service = s.metadata.labels?.[Labels.serviceName];
      return service && s.metadata.namespace ? [`${s.metadata.namespace}/${service}`] : [];
    });
    this.controller.watch(this.hubExports, (i) => [i.spec.serviceReference.namespacedName]);
    this.controller.watch(this.hubSlices, (e) => [e.spec.ownerServiceReference.namespacedName]);
  }

  private informers() {
    return [this.serviceExports, this.services, this.slices, this.hubExports, this.hubSlices];
  }

  /** Resolves once every cache is filled; the hub ones retry until the hub has made this member's namespace and Role. */
  async start(): Promise<void> {
    await Promise.all(this.informers().map((i) => i.start()));
    this.controller.start();
  }

  async stop(): Promise<void> {
    await this.controller.stop();
    await Promise.all(this.informers().map((i) => i.stop()));
  }

  private async reconcile(namespace: string, name: string, ctx: ReconcileContext): Promise<ReconcileResult> {
    const { hub, member, memberName } = this.opts;
    const key = `${namespace}/${name}`;
    const se = this.serviceExports.get(key);
    const ise = this.hubExports.list().find((i) => i.spec.serviceReference.namespacedName === key);
    const eses = this.hubSlices.list().filter((e) => e.spec.ownerServiceReference.namespacedName === key);

    if (!se || se.metadata.deletionTimestamp) {
      await this.withdraw(ise, eses).catch((err: unknown) => {
        // A member that left the fleet has lost its hub namespace, its Role and what it exported
        // with them: the hub refusing is no reason to hold the ServiceExport forever.
        if (!se || !isForbidden(err)) throw err;
        ctx.log.warn('the hub refuses this member (it left the fleet?): nothing left to withdraw there, releasing the ServiceExport', { service: key, error: (err as Error).message });
      });
      if (se?.metadata.finalizers?.includes(Finalizers.serviceExportCleanup)) {
        await member.mergePatch(ServiceExportKind, name, namespace, { metadata: { finalizers: se.metadata.finalizers.filter((f) => f !== Finalizers.serviceExportCleanup), resourceVersion: se.metadata.resourceVersion } });
        ctx.log.info('service export removed from the hub', { service: key });
      }
      return;
    }
    if (!se.metadata.finalizers?.includes(Finalizers.serviceExportCleanup)) {
      await member.mergePatch(ServiceExportKind, name, namespace, { metadata: { finalizers: [...(se.metadata.finalizers ?? []), Finalizers.serviceExportCleanup], resourceVersion: se.metadata.resourceVersion } });
    }

    const decision = decideExport(memberName, { namespace, name, creationTimestamp: se.metadata.creationTimestamp, annotations: se.metadata.annotations }, this.services.get(key));
    let hubVerdict = undefined;
    if (decision.kind === 'export') {
      if (ise?.metadata.deletionTimestamp) {
        // The previous export is still leaving (the hub's finalizer); it is written anew once gone.
        ctx.log.debug('previous hub export still being removed', { service: key });
      } else {
        if (!ise || !isDeepStrictEqual(ise.spec, decision.spec)) {
          await hub.apply(InternalServiceExportKind, { apiVersion: API_VERSION, kind: 'InternalServiceExport', metadata: { name: ise?.metadata.name ?? internalObjectName(namespace, name), namespace: this.hubNamespace }, spec: decision.spec } satisfies InternalServiceExport);
        }
        hubVerdict = findCondition(ise?.status?.conditions, ServiceExportConditions.Conflict);
      }
      const slices = this.slices.list().filter((s) => s.metadata.namespace === namespace && s.metadata.labels?.[Labels.serviceName] === name);
      const wanted = endpointSliceExports(memberName, this.hubNamespace, { namespace, name }, slices);
      for (const w of wanted) {
        const have = eses.find((e) => e.metadata.name === w.metadata.name);
        if (!have || !isDeepStrictEqual(have.spec, w.spec) || have.metadata.labels?.[Labels.mcsServiceName] !== name) await hub.apply(EndpointSliceExportKind, w);
      }
      for (const e of eses) if (!wanted.some((w) => w.metadata.name === e.metadata.name)) await hub.delete(EndpointSliceExportKind, e.metadata.name ?? '', this.hubNamespace);
    } else {
      await this.withdraw(ise, eses);
    }
    await this.writeStatus(se, decision.valid, exportConflict(decision, hubVerdict));
    return undefined;
  }

  /** Endpoints first: once they are gone nothing is served from here, whatever the import says. */
  private async withdraw(ise: InternalServiceExport | undefined, eses: readonly EndpointSliceExport[]): Promise<void> {
    for (const e of eses) await this.opts.hub.delete(EndpointSliceExportKind, e.metadata.name ?? '', this.hubNamespace);
    if (ise && !ise.metadata.deletionTimestamp) await this.opts.hub.delete(InternalServiceExportKind, ise.metadata.name ?? '', this.hubNamespace);
  }

  private async writeStatus(se: ServiceExport, valid: ConditionInput, conflict: ConditionInput | undefined): Promise<void> {
    const now = new Date();
    const gen = se.metadata.generation;
    const before = se.status?.conditions;
    let conditions = setCondition(before, valid, gen, now);
    conditions = conflict ? setCondition(conditions, conflict, gen, now) : conditions.filter((c) => c.type !== ServiceExportConditions.Conflict);
    if (isDeepStrictEqual(conditions, before ?? [])) return;
    await this.opts.member.mergePatch(ServiceExportKind, se.metadata.name ?? '', se.metadata.namespace, { status: { conditions } }, 'status');
    const wasValid = findCondition(before, ServiceExportConditions.Valid)?.status;
    if (wasValid !== valid.status) void this.opts.events?.record(se, valid.status === 'True' ? 'Normal' : 'Warning', valid.reason ?? '', valid.message ?? '');
    const wasConflicted = findCondition(before, ServiceExportConditions.Conflict)?.status;
    if (conflict && wasConflicted !== conflict.status) {
      if (conflict.status === 'True') void this.opts.events?.record(se, 'Warning', ServiceExportEvents.ConflictFound, conflict.message ?? '');
      else if (conflict.status === 'False' && wasConflicted === 'True') void this.opts.events?.record(se, 'Normal', ServiceExportEvents.NoConflictFound, conflict.message ?? '');
    }
  }
}
