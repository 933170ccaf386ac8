import { isDeepStrictEqual } from 'node:util';
import type { MemberCluster } from '../api/cluster.js';
import { memberOfNamespace } from '../api/labels.js';
import {
  EndpointSliceExportKind,
  EndpointSliceImportKind,
  InternalServiceImportKind,
  ServiceImportKind,
  type EndpointSliceExport,
  type EndpointSliceImport,
  type InternalServiceImport,
  type ServiceImport,
} from '../api/networking.js';
import { Controller, type ReconcileContext, type ReconcileResult } from '../runtime/controller.js';
import { Informer } from '../runtime/informer.js';
import type { KubeClient } from '../runtime/kube-client.js';
import type { Logger } from '../runtime/logger.js';
import { objectKey } from '../runtime/resource.js';
import { desiredEndpointSliceImports, importStatus, inUseByPatch, planFanOut, serviceKeyOfImport, serviceKeyOfSlice } from './endpoint-fanout.js';
import { endpointLiveness, type LivenessPolicy } from './endpoint-liveness.js';
import { recordWithdrawal } from './metrics.js';

/**
 * The hub's import side of multi-cluster services, per Service `namespace/name`: the
 * InternalServiceImports members write get the ServiceImport's status, the ServiceImport is
 * annotated with its importers, and each importer's namespace holds exactly the
 * EndpointSliceImports hub/endpoint-fanout.ts decides (level-based: whatever else is there goes).
 * ServiceImport status.clusters already leaves out members that left, went silent or conflict,
 * so watching ServiceImports is how a dead cluster's endpoints leave every importer.
 */

export interface EndpointFanOutControllerOptions {
  client: KubeClient;
  log: Logger;
  /** The hub's MemberClusters (shared with the ServiceImport controller), to time withdrawals. */
  members: Informer<MemberCluster>;
  liveness: LivenessPolicy;
}

export class EndpointFanOutController {
  readonly imports: Informer<InternalServiceImport>;
  readonly sliceExports: Informer<EndpointSliceExport>;
  readonly sliceImports: Informer<EndpointSliceImport>;
  readonly serviceImports: Informer<ServiceImport>;
  readonly controller: Controller;

  constructor(private readonly opts: EndpointFanOutControllerOptions) {
    const { client, log } = opts;
    this.imports = new Informer<InternalServiceImport>({ client, resource: InternalServiceImportKind, log });
    this.sliceExports = new Informer<EndpointSliceExport>({ client, resource: EndpointSliceExportKind, log });
    this.sliceImports = new Informer<EndpointSliceImport>({ client, resource: EndpointSliceImportKind, log });
    this.serviceImports = new Informer<ServiceImport>({ client, resource: ServiceImportKind, log });
    this.controller = new Controller({ name: 'endpointsliceimport', reconciler: { reconcile: (req, ctx) => this.reconcile(req.namespace ?? '', req.name, ctx) }, concurrency: 2, log });
    this.controller.watch(this.imports, (i) => (memberOfNamespace(i.metadata.namespace) ? [serviceKeyOfImport(i)] : []));
    this.controller.watch(this.sliceExports, (e) => (memberOfNamespace(e.metadata.namespace) ? [serviceKeyOfSlice(e)] : []));
    this.controller.watch(this.sliceImports, (e) => (memberOfNamespace(e.metadata.namespace) ? [serviceKeyOfSlice(e)] : []));
    this.controller.watch(this.serviceImports, (s) => [objectKey(s)]);
  }

  private informers() {
    return [this.imports, this.sliceExports, this.sliceImports, this.serviceImports];
  }

  /** The members informer is started by its owner; this waits for it too. */
  async start(): Promise<void> {
    await Promise.all(this.informers().map((i) => i.start()));
    await this.opts.members.waitForSync();
    this.controller.start();
  }

  async stop(): Promise<void> {
    await this.controller.stop();
    await Promise.all(this.informers().map((i) => i.stop()));
  }

  private async reconcile(namespace: string, name: string, ctx: ReconcileContext): Promise<ReconcileResult> {
    const { client } = this.opts;
    const key = `${namespace}/${name}`;
    const si = this.serviceImports.get(key);
    const isis = this.imports.list().filter((i) => serviceKeyOfImport(i) === key && memberOfNamespace(i.metadata.namespace));
    const eses = this.sliceExports.list().filter((e) => serviceKeyOfSlice(e) === key);
    const esis = this.sliceImports.list().filter((e) => serviceKeyOfSlice(e) === key && memberOfNamespace(e.metadata.namespace));

    // Endpoints first: they are what traffic follows, the rest is reporting.
    const plan = planFanOut(desiredEndpointSliceImports({ namespace, name }, isis, eses, si), esis);
    for (const esi of plan.apply) await client.apply(EndpointSliceImportKind, esi);
    const withdrawn = new Set<string>();
    for (const r of plan.remove) {
      await client.delete(EndpointSliceImportKind, r.name, r.namespace);
      if (r.sourceCluster) withdrawn.add(r.sourceCluster);
    }
    const now = new Date();
    for (const cluster of withdrawn) {
      const liveness = endpointLiveness(this.opts.members.get(cluster), this.opts.liveness, now);
      if (!liveness.serve && liveness.reason === 'HeartbeatOverdue') recordWithdrawal(liveness.overdueMs ?? 0);
    }
    if (plan.apply.length > 0 || plan.remove.length > 0) ctx.log.debug('endpoint slice imports synced', { service: key, applied: plan.apply.length, removed: plan.remove.length });

    const status = importStatus(si);
    for (const isi of isis) {
      if (isi.metadata.deletionTimestamp || isDeepStrictEqual(isi.status ?? {}, status)) continue;
      // Replace, not merge: a field the ServiceImport lost must go from the copy too.
      await client.replace(InternalServiceImportKind, { ...isi, status }, 'status');
    }
    if (si && !si.metadata.deletionTimestamp) {
      const patch = inUseByPatch(si, isis);
      if (patch) await client.mergePatch(ServiceImportKind, name, namespace, patch);
    }
    return undefined;
  }
}
