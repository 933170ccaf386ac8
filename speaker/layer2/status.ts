import { Labels } from '../../api/labels.js';
import { ServiceL2StatusKind, StatusNamePrefixes, type ServiceL2Status } from '../../api/metallb.js';
import type { KubeClient } from '../../runtime/kube-client.js';
import type { Logger } from '../../runtime/logger.js';
import type { ResourceRef } from '../../runtime/resource.js';
import { changesByService } from '../service-status.js';

/**
 * The ServiceL2Status objects of one node: one per Service it announces, naming the node and the
 * interfaces, owned by the speaker pod. Each speaker writes only its own node's objects, as MetalLB
 * does; it lists them by the node label, so a restart cleans up what a killed speaker left.
 */

const SERVICE_L2_STATUSES: ResourceRef = ServiceL2StatusKind;

export interface DesiredL2Status {
  namespace: string;
  name: string;
  interfaces: string[];
}

export interface StatusChanges {
  create: DesiredL2Status[];
  update: { object: ServiceL2Status; interfaces: string[] }[];
  delete: ServiceL2Status[];
}

/** What to create, update and delete so `existing` (this node's objects) matches `desired` (by Service key). Pure. */
export function statusChanges(existing: readonly ServiceL2Status[], desired: ReadonlyMap<string, DesiredL2Status>): StatusChanges {
  const c = changesByService(existing, desired, (o, want) => (o.status?.interfaces ?? []).map((i) => i.name).sort().join(',') !== [...want.interfaces].sort().join(','));
  return { create: c.create, update: c.update.map((u) => ({ object: u.object, interfaces: u.want.interfaces })), delete: c.delete };
}

export class L2StatusWriter {
  constructor(
    private readonly opts: { client: KubeClient; namespace: string; node: string; log: Logger; pod?: { name: string; uid: string } },
  ) {}

  private async existing(): Promise<ServiceL2Status[]> {
    return (await this.opts.client.list<ServiceL2Status>(SERVICE_L2_STATUSES, { namespace: this.opts.namespace, labelSelector: `${Labels.metallbNode}=${this.opts.node}` })).items;
  }

  /** Make this node's objects say exactly `desired`. */
  async reconcile(desired: ReadonlyMap<string, DesiredL2Status>): Promise<void> {
    const { client, namespace, node, pod } = this.opts;
    const changes = statusChanges(await this.existing(), desired);
    for (const o of changes.delete) await client.delete(SERVICE_L2_STATUSES, o.metadata.name ?? '', namespace);
    for (const c of changes.create) {
      const created = await client.create<ServiceL2Status>(SERVICE_L2_STATUSES, {
        apiVersion: `${ServiceL2StatusKind.group}/${ServiceL2StatusKind.version}`,
        kind: ServiceL2StatusKind.kind,
        metadata: {
          generateName: StatusNamePrefixes.l2,
          namespace,
          labels: { [Labels.metallbNode]: node, [Labels.metallbServiceName]: c.name, [Labels.metallbServiceNamespace]: c.namespace },
          ...(pod ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: pod.name, uid: pod.uid }] } : {}),
        },
      });
      await client.replace<ServiceL2Status>(SERVICE_L2_STATUSES, { ...created, status: { node, serviceName: c.name, serviceNamespace: c.namespace, interfaces: c.interfaces.map((name) => ({ name })) } }, 'status');
    }
    for (const u of changes.update) {
      await client.mergePatch(SERVICE_L2_STATUSES, u.object.metadata.name ?? '', namespace, { status: { interfaces: u.interfaces.map((name) => ({ name })) } }, 'status');
    }
    if (changes.create.length + changes.update.length + changes.delete.length > 0) {
      this.opts.log.debug('ServiceL2Status objects reconciled', { created: changes.create.length, updated: changes.update.length, deleted: changes.delete.length });
    }
  }
}
