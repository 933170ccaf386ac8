import { Labels } from '../../api/labels.js';
import { BGPPeerKind, ServiceBGPStatusKind, StatusNamePrefixes, type BGPPeerSessionStatus, type ServiceBGPStatus } from '../../api/metallb.js';
import type { Condition } from '../../api/meta.js';
import type { KubeClient } from '../../runtime/kube-client.js';
import type { Logger } from '../../runtime/logger.js';
import { objectPath } from '../../runtime/resource.js';
import { changesByService } from '../service-status.js';

/**
 * What a node's BGP speaker publishes: its session to each BGPPeer (an entry of the BGPPeer's
 * status.sessions, keyed by node, written by server-side apply with a field manager per node so
 * speakers never overwrite each other), the peer's Supported condition, and one ServiceBGPStatus
 * per Service it announces (MetalLB's shape, labelled with the node, owned by the speaker pod).
 */

export const ConditionSupported = 'Supported';

export function fieldManagerFor(node: string): string {
  return `fleetlb-speaker-bgp.${node}`.slice(0, 128);
}

/** Apply this node's session entry and the Supported condition; `session` undefined removes the entry. */
export async function applyPeerStatus(
  client: KubeClient,
  peer: { namespace: string; name: string },
  node: string,
  session: BGPPeerSessionStatus | undefined,
  unsupported: readonly string[],
  now = new Date(),
): Promise<void> {
  const conditions: Condition[] = session
    ? [{
        type: ConditionSupported,
        status: unsupported.length ? 'False' : 'True',
        reason: unsupported.length ? 'UnsupportedFields' : 'AllFieldsSupported',
        message: unsupported.length ? unsupported.join('; ') : 'fleetlb\'s speaker honours every field set',
        lastTransitionTime: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      }]
    : [];
  const body = {
    apiVersion: `${BGPPeerKind.group}/${BGPPeerKind.version}`,
    kind: BGPPeerKind.kind,
    metadata: { name: peer.name, namespace: peer.namespace },
    status: { sessions: session ? [session] : [], conditions },
  };
  await client.request('PATCH', objectPath(BGPPeerKind, peer.name, peer.namespace, 'status'), {
    body,
    contentType: 'application/apply-patch+yaml',
    query: { fieldManager: fieldManagerFor(node), force: 'true' },
  });
}

export interface DesiredBGPStatus {
  namespace: string;
  name: string;
  peers: string[];
}

/** What to create, update and delete so `existing` (this node's objects) matches `desired` (by Service key). Pure. */
export function bgpStatusChanges(existing: readonly ServiceBGPStatus[], desired: ReadonlyMap<string, DesiredBGPStatus>) {
  const c = changesByService(existing, desired, (o, want) => [...(o.status?.peers ?? [])].sort().join(',') !== [...want.peers].sort().join(','));
  return { create: c.create, update: c.update.map((u) => ({ object: u.object, peers: u.want.peers })), delete: c.delete };
}

export async function reconcileServiceStatuses(
  opts: { client: KubeClient; namespace: string; node: string; log: Logger; pod?: { name: string; uid: string } },
  desired: ReadonlyMap<string, DesiredBGPStatus>,
): Promise<void> {
  const { client, namespace, node, pod } = opts;
  const existing = (await client.list<ServiceBGPStatus>(ServiceBGPStatusKind, { namespace, labelSelector: `${Labels.metallbNode}=${node}` })).items;
  const changes = bgpStatusChanges(existing, desired);
  for (const o of changes.delete) await client.delete(ServiceBGPStatusKind, o.metadata.name ?? '', namespace);
  for (const c of changes.create) {
    const created = await client.create<ServiceBGPStatus>(ServiceBGPStatusKind, {
      apiVersion: `${ServiceBGPStatusKind.group}/${ServiceBGPStatusKind.version}`,
      kind: ServiceBGPStatusKind.kind,
      metadata: {
        generateName: StatusNamePrefixes.bgp,
        namespace,
        labels: { [Labels.metallbNode]: node, [Labels.metallbServiceName]: c.name, [Labels.metallbServiceNamespace]: c.namespace },
        ...(pod ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: pod.name, uid: pod.uid }] } : {}),
      },
    });
    await client.replace<ServiceBGPStatus>(ServiceBGPStatusKind, { ...created, status: { node, serviceName: c.name, serviceNamespace: c.namespace, peers: c.peers } }, 'status');
  }
  for (const u of changes.update) await client.mergePatch(ServiceBGPStatusKind, u.object.metadata.name ?? '', namespace, { status: { peers: u.peers } }, 'status');
}
