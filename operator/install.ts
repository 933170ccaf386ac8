import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAllDocuments } from 'yaml';
import { HubCredential, MemberClusterKind, memberAgentServiceAccount, type MemberCluster } from '../api/cluster.js';
import { FleetLBNamespace, Labels } from '../api/labels.js';
import { Discovery } from '../runtime/discovery.js';
import { ErrorCodes, FleetlbError } from '../runtime/errors.js';
import { isNotFound, type KubeClient } from '../runtime/kube-client.js';
import { CoreResources, type KubeObject, type ResourceRef } from '../runtime/resource.js';
import { DEPLOY_IMAGE } from './helm-chart.js';
import { unavailableWorkloads } from './workloads.js';

/**
 * `fleetlb install` / `uninstall`: crds/ and the role's manifests from deploy/ applied to a
 * cluster by server-side apply (so a second run upgrades), a member joined to its hub, and a wait
 * until every workload is available. The manifest set is the one `lab deploy` applies and the Helm
 * chart renders: deploy/*.yaml for every cluster, deploy/hub/ on the hub, the other component
 * folders on members (deploy/helm and deploy/optional are not manifests to apply).
 */

export type Role = 'hub' | 'member';

const NOT_COMPONENTS = new Set(['hub', 'helm', 'optional']);

export interface Manifest extends KubeObject {
  apiVersion: string;
  kind: string;
}

export interface InstallSet {
  crds: Manifest[];
  manifests: Manifest[];
  /** The files they came from, for the report. */
  files: string[];
}

const yamlIn = (dir: string) => readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(dir, f));

function docsOf(file: string, image?: string): Manifest[] {
  const text = image ? readFileSync(file, 'utf8').split(DEPLOY_IMAGE).join(image) : readFileSync(file, 'utf8');
  return parseAllDocuments(text).map((d) => d.toJS() as Manifest | null).filter((d): d is Manifest => !!d && typeof d.kind === 'string');
}

/** What a cluster of `role` gets, in apply order. */
export function installSet(role: Role, root: string, image?: string): InstallSet {
  const deploy = join(root, 'deploy');
  const folders = readdirSync(deploy).sort().filter((e) => statSync(join(deploy, e)).isDirectory());
  const roleFolders = role === 'hub' ? folders.filter((f) => f === 'hub') : folders.filter((f) => !NOT_COMPONENTS.has(f));
  const crdFiles = yamlIn(join(root, 'crds'));
  const files = [...yamlIn(deploy), ...roleFolders.flatMap((f) => yamlIn(join(deploy, f)))];
  const crdDocs = crdFiles.flatMap((f) => docsOf(f));
  return {
    crds: crdDocs.filter((d) => d.kind === 'CustomResourceDefinition'),
    // Non-CRD objects of crds/ (the weight admission policy) come first among the rest.
    manifests: [...crdDocs.filter((d) => d.kind !== 'CustomResourceDefinition'), ...files.flatMap((f) => docsOf(f, image))],
    files: [...crdFiles, ...files],
  };
}

const CRDResource: ResourceRef = { group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', namespaced: false };

async function refFor(discovery: Discovery, m: Manifest): Promise<ResourceRef> {
  const r = await discovery.forKind(m.apiVersion, m.kind);
  if (!r) throw new FleetlbError(ErrorCodes.KUBE_API_ERROR, `The cluster does not serve ${m.kind} (${m.apiVersion}); fleetlb needs Kubernetes 1.30 or newer.`);
  return r;
}

export async function applyManifests(kube: KubeClient, manifests: readonly Manifest[]): Promise<void> {
  const discovery = new Discovery(kube);
  for (const m of manifests) {
    const ref = await refFor(discovery, m);
    await kube.apply(ref, m);
  }
}

export async function waitEstablished(kube: KubeClient, crds: readonly Manifest[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const c of crds) {
    for (;;) {
      const got = await kube.find<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(CRDResource, c.metadata.name ?? '');
      if (got?.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True')) break;
      if (Date.now() > deadline) throw new FleetlbError(ErrorCodes.KUBE_API_ERROR, `CRD ${c.metadata.name} did not become Established within ${Math.round(timeoutMs / 1000)} s.`);
      await sleep(200);
    }
  }
}

export async function waitWorkloads(kube: KubeClient, timeoutMs: number, progress: (l: string) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const waiting = await unavailableWorkloads(kube, FleetLBNamespace);
    if (waiting.length === 0) return;
    const line = `waiting for ${waiting.join(', ')}`;
    if (line !== last) progress(line);
    last = line;
    if (Date.now() > deadline) {
      throw new FleetlbError(ErrorCodes.KUBE_API_ERROR, `fleetlb's workloads did not become available within ${Math.round(timeoutMs / 1000)} s: ${waiting.join(', ')}; see 'kubectl -n ${FleetLBNamespace} get pods' and their logs.`);
    }
    await sleep(1000);
  }
}

export interface JoinOptions {
  member: string;
  location?: string;
  /** The hub API server as member pods reach it. */
  hubServer: string;
  /** The hub's CA (PEM), when not taken from the token Secret. */
  hubCA?: string;
  heartbeatPeriodSeconds?: number;
  timeoutMs?: number;
}

/** The hub side of a member and its credential on the member (see docs/install.md). */
export async function joinMember(hub: KubeClient, member: KubeClient, o: JoinOptions, progress: (l: string) => void): Promise<void> {
  const sa = memberAgentServiceAccount(o.member);
  const labels = { [Labels.fleetMemberName]: o.member };
  await hub.apply(CoreResources.serviceAccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: FleetLBNamespace, labels } });
  const existing = await hub.find<MemberCluster>(MemberClusterKind, o.member);
  const mc: MemberCluster = {
    apiVersion: `${MemberClusterKind.group}/${MemberClusterKind.version}` as MemberCluster['apiVersion'],
    kind: 'MemberCluster',
    metadata: { name: o.member, labels: o.location ? { [Labels.location]: o.location } : {} },
    spec: { identity: { kind: 'ServiceAccount', name: sa, namespace: FleetLBNamespace }, ...(o.heartbeatPeriodSeconds ? { heartbeatPeriodSeconds: o.heartbeatPeriodSeconds } : {}) },
  };
  if (existing && (existing.spec.identity.name !== sa || existing.spec.identity.kind !== 'ServiceAccount')) {
    throw new FleetlbError(ErrorCodes.OPS_CONFLICT, `MemberCluster ${o.member} already exists on the hub with identity ${existing.spec.identity.kind} ${existing.spec.identity.name}; delete it or join under another --member-name.`);
  }
  await hub.apply(MemberClusterKind, mc);
  progress(`hub: MemberCluster ${o.member}${o.location ? ` (${Labels.location}=${o.location})` : ''} with identity ServiceAccount ${FleetLBNamespace}/${sa}`);

  // A token Secret: the token controller fills it, and it lives until the Secret is deleted.
  const tokenName = `${sa}-token`;
  await hub.apply(CoreResources.secrets, {
    apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token',
    metadata: { name: tokenName, namespace: FleetLBNamespace, labels, annotations: { 'kubernetes.io/service-account.name': sa } },
  } as KubeObject);
  const deadline = Date.now() + (o.timeoutMs ?? 30_000);
  let data: Record<string, string> | undefined;
  for (;;) {
    data = (await hub.find<KubeObject & { data?: Record<string, string> }>(CoreResources.secrets, tokenName, FleetLBNamespace))?.data;
    if (data?.token) break;
    if (Date.now() > deadline) throw new FleetlbError(ErrorCodes.KUBE_API_ERROR, `The hub's token controller did not fill Secret ${FleetLBNamespace}/${tokenName}: is kube-controller-manager running with a service-account key?`);
    await sleep(250);
  }
  const token = Buffer.from(data.token, 'base64').toString('utf8');
  const ca = o.hubCA ?? (data['ca.crt'] ? Buffer.from(data['ca.crt'], 'base64').toString('utf8') : undefined);
  const kubeconfig = hubKubeconfig(o.hubServer, token, ca);
  await member.apply(CoreResources.secrets, {
    apiVersion: 'v1', kind: 'Secret', type: 'Opaque',
    metadata: { name: HubCredential.secretName, namespace: FleetLBNamespace },
    stringData: { [HubCredential.kubeconfigKey]: kubeconfig, [HubCredential.memberNameKey]: o.member },
  } as KubeObject);
  progress(`member: hub credential in ${FleetLBNamespace}/${HubCredential.secretName} (server ${o.hubServer})`);
}

/** A kubeconfig holding one bearer token (JSON is YAML, and needs no escaping care). */
export function hubKubeconfig(server: string, token: string, caPem?: string): string {
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'hub',
    clusters: [{ name: 'hub', cluster: { server, ...(caPem ? { 'certificate-authority-data': Buffer.from(caPem).toString('base64') } : {}) } }],
    users: [{ name: 'member-agent', user: { token } }],
    contexts: [{ name: 'hub', context: { cluster: 'hub', user: 'member-agent' } }],
  }, null, 2) + '\n';
}

/**
 * The hub side of a member leaving: the MemberCluster goes first while the member agent still
 * runs, so the agent can confirm it removed what was placed and the hub lets the object go; only
 * then its identity and token. Without a confirmation the hub finishes by itself once the
 * heartbeat bound has passed.
 */
export async function leaveMember(hub: KubeClient, member: string, timeoutMs: number, progress: (l: string) => void): Promise<void> {
  const sa = memberAgentServiceAccount(member);
  if (await hub.delete(MemberClusterKind, member)) {
    progress(`hub: MemberCluster ${member} deleted; waiting for its agent to confirm it left`);
    const deadline = Date.now() + timeoutMs;
    while (await hub.find(MemberClusterKind, member)) {
      if (Date.now() > deadline) {
        progress(`hub: ${member} has not confirmed leaving within ${Math.round(timeoutMs / 1000)} s; the hub removes it once its heartbeat is overdue`);
        break;
      }
      await sleep(500);
    }
  }
  await hub.delete(CoreResources.secrets, `${sa}-token`, FleetLBNamespace);
  await hub.delete(CoreResources.serviceAccounts, sa, FleetLBNamespace);
}

/** Deletes the role's manifests in reverse order; CRDs and the namespace only with `purge`. */
export async function deleteManifests(kube: KubeClient, set: InstallSet, purge: boolean, progress: (l: string) => void): Promise<void> {
  const discovery = new Discovery(kube);
  const keep = (m: Manifest) => !purge && m.kind === 'Namespace';
  for (const m of [...set.manifests].reverse()) {
    if (keep(m)) continue;
    const ref = await discovery.forKind(m.apiVersion, m.kind);
    if (!ref) continue;
    try {
      if (await kube.delete(ref, m.metadata.name ?? '', ref.namespaced ? (m.metadata.namespace ?? FleetLBNamespace) : undefined)) progress(`${m.kind.toLowerCase()}/${m.metadata.name} deleted`);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  if (purge) for (const c of set.crds) if (await kube.delete(CRDResource, c.metadata.name ?? '')) progress(`customresourcedefinition/${c.metadata.name} deleted`);
}
