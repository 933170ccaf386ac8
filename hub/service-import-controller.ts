import { isDeepStrictEqual } from 'node:util';
import { MemberClusterKind, type MemberCluster } from '../api/cluster.js';
import { Finalizers, memberOfNamespace } from '../api/labels.js';
import { InternalServiceExportKind, ServiceImportKind, type InternalServiceExport, type ServiceImport } from '../api/networking.js';
import { conditionUnchanged, setCondition } from '../runtime/conditions.js';
import { Controller, type ReconcileContext, type ReconcileResult } from '../runtime/controller.js';
import type { EventRecorder } from '../runtime/events.js';
import { Informer } from '../runtime/informer.js';
import type { KubeClient } from '../runtime/kube-client.js';
import type { Logger } from '../runtime/logger.js';
import { CoreResources } from '../runtime/resource.js';
import { DeadClusterBoundMs, endpointLiveness, type LivenessPolicy } from './endpoint-liveness.js';
import { resolveImport, type ExportView } from './service-import.js';

/**
 * Hub side of multi-cluster services: the InternalServiceExports members write into their
 * `fleet-member-<name>` namespaces become one ServiceImport per Service (`<namespace>/<name>`),
 * with each export's Conflict verdict written back (hub/service-import.ts decides; this file only
 * reads and writes). Exports of members that left or went silent drop out (hub/endpoint-liveness.ts).
 * The cluster is taken from the namespace an export lives in, never from what it says about
 * itself: a member can write only its own namespace.
 */

export interface ServiceImportControllerOptions {
  client: KubeClient;
  events?: EventRecorder;
  log: Logger;
  liveness: LivenessPolicy;
}

const serviceKey = (ise: InternalServiceExport) => ise.spec.serviceReference.namespacedName;
const clusterOf = (ise: InternalServiceExport) => memberOfNamespace(ise.metadata.namespace);

export class ServiceImportController {
  readonly exports: Informer<InternalServiceExport>;
  readonly members: Informer<MemberCluster>;
  readonly controller: Controller;

  constructor(private readonly opts: ServiceImportControllerOptions) {
    const { client, log } = opts;
    this.exports = new Informer<InternalServiceExport>({ client, resource: InternalServiceExportKind, log });
    this.members = new Informer<MemberCluster>({ client, resource: MemberClusterKind, log });
    this.controller = new Controller({ name: 'serviceimport', reconciler: { reconcile: (req, ctx) => this.reconcile(`${req.namespace ?? ''}/${req.name}`, ctx) }, concurrency: 2, log });
    this.controller.watch(this.exports, (ise) => (clusterOf(ise) ? [serviceKey(ise)] : []));
    // A member's liveness changes every import it exports to.
    this.controller.watch(this.members, (mc) => this.exports.list().filter((e) => clusterOf(e) === mc.metadata.name).map(serviceKey));
  }

  async start(): Promise<void> {
    await Promise.all([this.exports.start(), this.members.start()]);
    this.controller.start();
  }

  async stop(): Promise<void> {
    await this.controller.stop();
    await Promise.all([this.exports.stop(), this.members.stop()]);
  }

  private async reconcile(key: string, ctx: ReconcileContext): Promise<ReconcileResult> {
    const { client } = this.opts;
    const [namespace = '', name = ''] = key.split('/');
    const now = new Date();
    const all = this.exports.list().filter((e) => serviceKey(e) === key && clusterOf(e) !== undefined);
    const live: { ise: InternalServiceExport; view: ExportView }[] = [];
    let recheckInMs: number | undefined;
    for (const ise of all) {
      const cluster = clusterOf(ise) ?? '';
      if (ise.metadata.deletionTimestamp) continue;
      if (!ise.metadata.finalizers?.includes(Finalizers.internalServiceExportCleanup)) {
        await client.mergePatch(InternalServiceExportKind, ise.metadata.name ?? '', ise.metadata.namespace, { metadata: { finalizers: [...(ise.metadata.finalizers ?? []), Finalizers.internalServiceExportCleanup], resourceVersion: ise.metadata.resourceVersion } });
      }
      const liveness = endpointLiveness(this.members.get(cluster), this.opts.liveness, now);
      if (!liveness.serve) {
        ctx.log.debug('export of a member that is not served', { service: key, cluster, reason: liveness.reason });
        continue;
      }
      if (liveness.recheckInMs !== undefined) recheckInMs = Math.min(recheckInMs ?? Infinity, liveness.recheckInMs);
      live.push({ ise, view: { cluster, spec: ise.spec } });
    }
    const verdict = resolveImport(live.map((l) => l.view));
    const existing = await client.find<ServiceImport>(ServiceImportKind, name, namespace);
    if (!verdict.status) {
      if (existing) await client.delete(ServiceImportKind, name, namespace);
    } else if (!(await client.find(CoreResources.namespaces, namespace))) {
      // The import lives in the Service's namespace; the hub is where that namespace is placed from.
      for (const l of live) void this.opts.events?.record(l.ise, 'Warning', 'NamespaceNotFound', `namespace ${namespace} does not exist on the hub, so ServiceImport ${key} cannot be written`);
    } else {
      if (!existing) {
        await client.apply(ServiceImportKind, { apiVersion: `${ServiceImportKind.group}/${ServiceImportKind.version}`, kind: 'ServiceImport', metadata: { name, namespace } } as ServiceImport);
      }
      // Deep, not textual: the API server hands back the keys in its own order.
      if (!isDeepStrictEqual(existing?.status ?? {}, verdict.status)) {
        await client.replace(ServiceImportKind, { ...(existing ?? (await client.find<ServiceImport>(ServiceImportKind, name, namespace)) ?? { apiVersion: `${ServiceImportKind.group}/${ServiceImportKind.version}`, kind: 'ServiceImport', metadata: { name, namespace } }), status: verdict.status } as ServiceImport, 'status');
      }
    }
    for (const v of verdict.exports) {
      const l = live.find((x) => x.view.cluster === v.cluster);
      if (!l || conditionUnchanged(l.ise.status?.conditions, v.conflict, l.ise.metadata.generation)) continue;
      const conditions = setCondition(l.ise.status?.conditions, v.conflict, l.ise.metadata.generation, now);
      await client.mergePatch(InternalServiceExportKind, l.ise.metadata.name ?? '', l.ise.metadata.namespace, { status: { conditions } }, 'status');
      if (v.conflict.status === 'True') void this.opts.events?.record(l.ise, 'Warning', 'ServiceExportConflictFound', v.conflict.message ?? '');
    }
    // Only now, with the import rewritten without them, may deleted exports go.
    for (const ise of all) {
      if (!ise.metadata.deletionTimestamp || !ise.metadata.finalizers?.includes(Finalizers.internalServiceExportCleanup)) continue;
      await client.mergePatch(InternalServiceExportKind, ise.metadata.name ?? '', ise.metadata.namespace, { metadata: { finalizers: ise.metadata.finalizers.filter((f) => f !== Finalizers.internalServiceExportCleanup), resourceVersion: ise.metadata.resourceVersion } });
    }
    // Look again when a member's heartbeat deadline passes; the resync bounds how late that can be.
    return recheckInMs === undefined ? undefined : { requeueAfterMs: Math.min(recheckInMs + 50, DeadClusterBoundMs) };
  }
}
