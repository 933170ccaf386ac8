import { Command } from 'commander';
import { Annotations, FleetLBNamespace, Labels } from '../api/labels.js';
import type { Condition, LabelSelector } from '../api/meta.js';
import {
  BGPAdvertisementKind,
  BGPPeerKind,
  IPAddressPoolKind,
  L2AdvertisementKind,
  ServiceBGPStatusKind,
  ServiceL2StatusKind,
  type BGPPeer,
  type IPAddressPool,
  type ServiceBGPStatus,
  type ServiceL2Status,
} from '../api/metallb.js';
import { MultiClusterServiceKind, ServiceImportKind, type MultiClusterService, type ServiceImport } from '../api/networking.js';
import { formatServiceReport, shortAge, type EndpointCounts, type MCSFacts, type ServiceFacts } from '../operator/explain.js';
import { ErrorCodes, FleetlbError } from '../runtime/errors.js';
import type { KubeClient } from '../runtime/kube-client.js';
import { selectorMatches } from '../runtime/label-selector.js';
import { CoreResources, type KubeObject } from '../runtime/resource.js';
import { cliClient, explained } from './cluster-access.js';
import { examplesText } from './help.js';

/** `fleetlb explain service|mcs NS/NAME`: gathers what the report needs, in parallel. */

const IP_ALLOCATED = 'fleetlb.io/IPAllocated';

interface ServiceObj extends KubeObject {
  spec?: { type?: string; externalTrafficPolicy?: string; ports?: { name?: string; port: number; protocol?: string }[] };
  status?: { loadBalancer?: { ingress?: { ip?: string }[] }; conditions?: Condition[] };
}
interface SliceObj extends KubeObject {
  endpoints?: { nodeName?: string; conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean } }[];
}
interface EventObj extends KubeObject {
  type?: string;
  reason?: string;
  message?: string;
  lastTimestamp?: string;
  eventTime?: string;
  involvedObject?: { kind?: string; name?: string };
}
interface Advertisement extends KubeObject {
  spec?: { ipAddressPools?: string[]; ipAddressPoolSelectors?: LabelSelector[] };
}

function splitRef(ref: string, defaultNs: string): { namespace: string; name: string } {
  const parts = ref.split('/');
  if (parts.length > 2 || parts.some((p) => p === '')) throw new FleetlbError(ErrorCodes.CLI_USAGE, `"${ref}" is not NAMESPACE/NAME or NAME.`);
  return parts.length === 2 ? { namespace: parts[0]!, name: parts[1]! } : { namespace: defaultNs, name: parts[0]! };
}

/** An advertisement covers a pool when it names it, selects it, or (neither given) covers all. */
function covers(ad: Advertisement, pool: IPAddressPool | undefined, poolName: string): boolean {
  const names = ad.spec?.ipAddressPools ?? [];
  const selectors = ad.spec?.ipAddressPoolSelectors ?? [];
  if (names.length === 0 && selectors.length === 0) return true;
  return names.includes(poolName) || (!!pool && selectors.some((s) => selectorMatches(s, pool.metadata.labels ?? {})));
}

function countEndpoints(slices: readonly SliceObj[], keyOf: (s: SliceObj, e: NonNullable<SliceObj['endpoints']>[number]) => string): Record<string, EndpointCounts> {
  const out: Record<string, EndpointCounts> = {};
  for (const s of slices) {
    for (const e of s.endpoints ?? []) {
      const c = (out[keyOf(s, e)] ??= { ready: 0, terminating: 0, notReady: 0 });
      const cond = e.conditions ?? {};
      if (cond.ready !== false && !cond.terminating) c.ready++;
      else if (cond.terminating && cond.serving) c.terminating++;
      else c.notReady++;
    }
  }
  return out;
}

async function serviceFacts(kube: KubeClient, namespace: string, name: string, lbNamespace: string, byCluster: boolean): Promise<ServiceFacts> {
  const svc = await explained(`reading Service ${namespace}/${name}`, () => kube.find<ServiceObj>(CoreResources.services, name, namespace));
  if (!svc) throw new FleetlbError(ErrorCodes.OPS_NOT_FOUND, `There is no Service ${namespace}/${name}.`);
  const poolName = svc.metadata.annotations?.[Annotations.ipAllocatedFromPool];
  const statusSelector = `${Labels.metallbServiceName}=${name},${Labels.metallbServiceNamespace}=${namespace}`;
  const [slices, pool, l2ads, bgpads, l2s, bgps, peers, events] = await Promise.all([
    explained('listing EndpointSlices', () => kube.list<SliceObj>(CoreResources.endpointSlices, { namespace, labelSelector: `${Labels.serviceName}=${name}` })),
    poolName ? explained('reading the pool', () => kube.find<IPAddressPool>(IPAddressPoolKind, poolName, lbNamespace)) : Promise.resolve(undefined),
    explained('listing L2Advertisements', () => kube.list<Advertisement>(L2AdvertisementKind, { namespace: lbNamespace })),
    explained('listing BGPAdvertisements', () => kube.list<Advertisement>(BGPAdvertisementKind, { namespace: lbNamespace })),
    explained('listing ServiceL2Statuses', () => kube.list<ServiceL2Status>(ServiceL2StatusKind, { labelSelector: statusSelector })),
    explained('listing ServiceBGPStatuses', () => kube.list<ServiceBGPStatus>(ServiceBGPStatusKind, { labelSelector: statusSelector })),
    explained('listing BGPPeers', () => kube.list<BGPPeer>(BGPPeerKind, { namespace: lbNamespace })),
    explained('listing events', () => kube.list<EventObj>(CoreResources.events, { namespace, fieldSelector: `involvedObject.name=${name}` })),
  ]);
  const cond = svc.status?.conditions?.find((c) => c.type === IP_ALLOCATED);
  const now = Date.now();
  const peerByName = new Map(peers.items.map((p) => [p.metadata.name ?? '', p]));
  return {
    namespace,
    name,
    type: svc.spec?.type ?? 'ClusterIP',
    externalTrafficPolicy: svc.spec?.externalTrafficPolicy,
    ports: (svc.spec?.ports ?? []).map((p) => `${p.port}/${p.protocol ?? 'TCP'}`),
    ips: (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').filter(Boolean),
    pool: poolName,
    allocated: cond ? { status: cond.status, reason: cond.reason, message: cond.message } : undefined,
    endpoints: countEndpoints(slices.items, byCluster ? (s) => s.metadata.labels?.[Labels.mcsSourceCluster] ?? '<local>' : (_s, e) => e.nodeName ?? '<no node>'),
    l2Advertisements: poolName ? l2ads.items.filter((a) => covers(a, pool, poolName)).map((a) => a.metadata.name ?? '') : [],
    bgpAdvertisements: poolName ? bgpads.items.filter((a) => covers(a, pool, poolName)).map((a) => a.metadata.name ?? '') : [],
    l2: l2s.items.map((s) => ({ node: s.status?.node ?? s.metadata.labels?.[Labels.metallbNode] ?? '?', interfaces: (s.status?.interfaces ?? []).map((i) => i.name) })),
    bgp: bgps.items.map((b) => {
      const node = b.status?.node ?? b.metadata.labels?.[Labels.metallbNode] ?? '?';
      return {
        node,
        sessions: (b.status?.peers ?? []).map((peer) => {
          const p = peerByName.get(peer);
          const s = p?.status?.sessions?.find((x) => x.node === node);
          return { peer, address: s?.peerAddress ?? p?.spec.peerAddress ?? '?', state: s?.state ?? 'unknown', establishedSince: s?.establishedSince, lastError: s?.lastError };
        }),
      };
    }),
    events: events.items
      .map((e) => ({ when: e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? '', e }))
      .sort((a, b) => a.when.localeCompare(b.when))
      .map(({ when, e }) => ({ type: e.type ?? '', reason: e.reason ?? '', message: e.message ?? '', age: shortAge(when, now), object: `${e.involvedObject?.kind ?? ''}/${e.involvedObject?.name ?? ''}` })),
  };
}

async function mcsFacts(kube: KubeClient, namespace: string, name: string): Promise<MCSFacts> {
  const mcs = await explained(`reading MultiClusterService ${namespace}/${name}`, () => kube.find<MultiClusterService>(MultiClusterServiceKind, name, namespace));
  if (!mcs) throw new FleetlbError(ErrorCodes.OPS_NOT_FOUND, `There is no MultiClusterService ${namespace}/${name}.`);
  const importName = mcs.spec.serviceImport.name;
  const imp = await explained('reading the ServiceImport', () => kube.find<ServiceImport>(ServiceImportKind, importName, namespace));
  const valid = mcs.status?.conditions?.find((c) => c.type === 'Valid');
  return {
    namespace,
    name,
    serviceImport: importName,
    valid: valid ? { status: valid.status, reason: valid.reason, message: valid.message } : undefined,
    clusters: (imp?.status?.clusters ?? []).map((c) => c.cluster),
    derivedService: mcs.metadata.labels?.[Labels.derivedService] ?? mcs.metadata.annotations?.[Labels.derivedService],
  };
}

export function explainCommand(): Command {
  const explain = new Command('explain').description('why does (or doesn\'t) the external IP of a Service or MultiClusterService work');
  const common = (c: Command) => c
    .option('--kubeconfig <file>', 'kubeconfig of the cluster (default: $KUBECONFIG or ~/.kube/config)')
    .option('-n, --namespace <ns>', 'namespace when REF is only a name', 'default')
    .option('--lb-namespace <ns>', 'namespace of the pools, advertisements and BGP peers', FleetLBNamespace);
  common(explain.command('service').alias('svc').argument('<ref>', 'NAMESPACE/NAME of a LoadBalancer Service')
    .description('the IP and its pool, endpoints per node, who announces it and how, what is wrong, recent events')
    .addHelpText('after', examplesText(['fleetlb explain service default/nginx --kubeconfig member-1.kubeconfig'])))
    .action(async (ref: string, o: { kubeconfig?: string; namespace: string; lbNamespace: string }) => {
      const { namespace, name } = splitRef(ref, o.namespace);
      const kube = cliClient(o.kubeconfig);
      try {
        process.stdout.write(formatServiceReport(await serviceFacts(kube, namespace, name, o.lbNamespace, false)));
      } finally {
        kube.close();
      }
    });
  common(explain.command('mcs').alias('multiclusterservice').argument('<ref>', 'NAMESPACE/NAME of a MultiClusterService')
    .description('the exporting clusters and their endpoints, the IP and its pool, who announces it, what is wrong, recent events')
    .addHelpText('after', examplesText(['fleetlb explain mcs kuard-demo/kuard --kubeconfig member-1.kubeconfig'])))
    .action(async (ref: string, o: { kubeconfig?: string; namespace: string; lbNamespace: string }) => {
      const { namespace, name } = splitRef(ref, o.namespace);
      const kube = cliClient(o.kubeconfig);
      try {
        const mcs = await mcsFacts(kube, namespace, name);
        if (!mcs.derivedService) {
          throw new FleetlbError(ErrorCodes.OPS_NOT_FOUND, `MultiClusterService ${namespace}/${name} has no derived Service yet${mcs.valid ? ` (Valid ${mcs.valid.status}: ${mcs.valid.message ?? mcs.valid.reason ?? ''})` : ''}: is fleetlb member-agent running on this cluster?`);
        }
        const [svcNs, svcName] = mcs.derivedService.includes('/') ? mcs.derivedService.split('/') as [string, string] : [FleetLBNamespace, mcs.derivedService];
        process.stdout.write(formatServiceReport(await serviceFacts(kube, svcNs, svcName, o.lbNamespace, true), mcs));
      } finally {
        kube.close();
      }
    });
  return explain;
}
