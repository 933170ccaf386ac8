import { createInterface } from 'node:readline/promises';
import { Command } from 'commander';
import { checkBGP, checkKubeProxy, checkPools, checkServices, checkSpeakers, formatFindings, hasErrors, kubeProxySettings, lineDiff, withStrictARP, type BGPPeerFacts, type Finding, type ServiceFacts, type SpeakerNodeFacts } from '../operator/doctor.js';
import { FleetLBNamespace, Labels, SpeakerLeases } from '../api/labels.js';
import { BGPAdvertisementKind, BGPPeerKind, L2AdvertisementKind, type BGPPeer } from '../api/metallb.js';
import type { Condition } from '../api/meta.js';
import { ErrorCodes, FleetlbError } from '../runtime/errors.js';
import type { KubeClient } from '../runtime/kube-client.js';
import { CoreResources, type KubeObject } from '../runtime/resource.js';
import { cliClient, explained } from './cluster-access.js';
import { clusterRanges, poolFacts } from './cluster-facts.js';
import { examplesText } from './help.js';

/** `fleetlb doctor`: what is wrong with load balancing on this cluster, and how to fix it. */

const KUBE_PROXY = { namespace: 'kube-system', name: 'kube-proxy', key: 'config.conf' } as const;
/** fleetlb.io/IPAllocated, written by the allocator (member-agent/allocator/errors.ts). */
const IP_ALLOCATED = 'fleetlb.io/IPAllocated';

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

interface ServiceLike extends KubeObject {
  spec?: { type?: string; loadBalancerClass?: string };
  status?: { loadBalancer?: { ingress?: unknown[] }; conditions?: Condition[] };
}

async function kubeProxyConfig(kube: KubeClient): Promise<ConfigMap | undefined> {
  return explained('reading the kube-proxy ConfigMap', () => kube.find<ConfigMap>(CoreResources.configMaps, KUBE_PROXY.name, KUBE_PROXY.namespace));
}

async function serviceFacts(kube: KubeClient): Promise<ServiceFacts[]> {
  const svcs = await explained('listing Services', () => kube.list<ServiceLike>(CoreResources.services));
  return svcs.items.filter((s) => s.spec?.type === 'LoadBalancer').map((s) => {
    const c = s.status?.conditions?.find((x) => x.type === IP_ALLOCATED);
    return {
      namespace: s.metadata.namespace ?? '',
      name: s.metadata.name ?? '',
      hasAddress: (s.status?.loadBalancer?.ingress ?? []).length > 0,
      allocated: c ? { status: c.status, reason: c.reason, message: c.message } : undefined,
      loadBalancerClass: s.spec?.loadBalancerClass,
    };
  });
}

interface LeaseLike extends KubeObject {
  spec?: { renewTime?: string; leaseDurationSeconds?: number };
}

async function speakerFacts(kube: KubeClient, namespace: string): Promise<{ nodes: SpeakerNodeFacts[]; advertisements: number }> {
  const [nodes, leases, l2, bgp] = await Promise.all([
    explained('listing Nodes', () => kube.list<KubeObject>(CoreResources.nodes)),
    explained('listing speaker Leases', () => kube.list<LeaseLike>(CoreResources.leases, { namespace, labelSelector: SpeakerLeases.nodeLabel })),
    explained('listing L2Advertisements', () => kube.list(L2AdvertisementKind)),
    explained('listing BGPAdvertisements', () => kube.list(BGPAdvertisementKind)),
  ]);
  const byNode = new Map(leases.items.map((l) => [l.metadata.labels?.[SpeakerLeases.nodeLabel] ?? '', l]));
  return {
    advertisements: l2.items.length + bgp.items.length,
    nodes: nodes.items.map((n) => {
      const l = byNode.get(n.metadata.name ?? '');
      const ms = Number(l?.metadata.annotations?.[SpeakerLeases.durationMsAnnotation]);
      return {
        name: n.metadata.name ?? '',
        excluded: Object.hasOwn(n.metadata.labels ?? {}, Labels.excludeFromExternalLoadBalancers),
        leaseRenewedAt: l?.spec?.renewTime ? Date.parse(l.spec.renewTime) : undefined,
        leaseDurationMs: Number.isFinite(ms) && ms > 0 ? ms : (l?.spec?.leaseDurationSeconds ?? 0) * 1000,
      };
    }),
  };
}

async function bgpFacts(kube: KubeClient): Promise<BGPPeerFacts[]> {
  const peers = await explained('listing BGPPeers', () => kube.list<BGPPeer>(BGPPeerKind));
  return peers.items.map((p) => {
    const supported = p.status?.conditions?.find((c) => c.type === 'Supported');
    return {
      name: `${p.metadata.namespace}/${p.metadata.name}`,
      sessions: (p.status?.sessions ?? []).map((s) => ({ node: s.node, state: s.state, lastError: s.lastError })),
      unsupported: supported?.status === 'False' ? supported.message : undefined,
    };
  });
}

export async function diagnose(kube: KubeClient, namespace = FleetLBNamespace, now = Date.now()): Promise<Finding[]> {
  const [cm, cluster, pools, services, speakers, peers] = await Promise.all([kubeProxyConfig(kube), clusterRanges(kube), poolFacts(kube), serviceFacts(kube), speakerFacts(kube, namespace), bgpFacts(kube)]);
  return [
    ...checkKubeProxy({ config: cm?.data?.[KUBE_PROXY.key], source: `ConfigMap ${KUBE_PROXY.namespace}/${KUBE_PROXY.name}` }),
    ...checkPools(pools, cluster),
    ...checkSpeakers(speakers.nodes, speakers.advertisements, now),
    ...checkBGP(peers),
    ...checkServices(services),
  ];
}

/** Sets strictARP in the kube-proxy ConfigMap after showing the change; true when it changed. */
async function fixStrictARP(kube: KubeClient, yes: boolean): Promise<boolean> {
  const cm = await kubeProxyConfig(kube);
  const config = cm?.data?.[KUBE_PROXY.key];
  if (!cm || config === undefined) return false;
  const s = kubeProxySettings(config);
  if (s.mode !== 'ipvs' || s.strictARP) return false;
  const fixed = withStrictARP(config);
  process.stdout.write(`Change to ConfigMap ${KUBE_PROXY.namespace}/${KUBE_PROXY.name}, key ${KUBE_PROXY.key}:\n${lineDiff(config, fixed)}`);
  if (!yes) {
    if (!process.stdin.isTTY) throw new FleetlbError(ErrorCodes.CLI_USAGE, 'doctor --fix asks before changing anything; give --yes to apply without asking.');
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question('Apply this change? [y/N] ');
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) {
      process.stdout.write('Nothing changed.\n');
      return false;
    }
  }
  // The resourceVersion makes this a compare-and-swap: a concurrent edit fails instead of being lost.
  await explained('updating the kube-proxy ConfigMap', () => kube.replace(CoreResources.configMaps, { ...cm, data: { ...cm.data, [KUBE_PROXY.key]: fixed } }));
  process.stdout.write(`configmap/${KUBE_PROXY.name} configured; restart kube-proxy to load it (kubectl -n kube-system rollout restart daemonset kube-proxy).\n`);
  return true;
}

export function doctorCommand(): Command {
  return new Command('doctor')
    .description('check a cluster for what breaks load balancing: kube-proxy strictARP, pool overlaps, speakers missing on eligible nodes, BGP sessions down, Services without an address and why')
    .option('--kubeconfig <file>', 'kubeconfig of the cluster (default: $KUBECONFIG or ~/.kube/config)')
    .option('--namespace <ns>', 'namespace of the speakers\' Leases', FleetLBNamespace)
    .option('--fix', 'set strictARP: true for kube-proxy in IPVS mode, after showing the change')
    .option('--yes', 'with --fix: apply without asking')
    .addHelpText('after', examplesText(['fleetlb doctor', 'fleetlb doctor --kubeconfig member-1.kubeconfig --fix'], 'Exit status: 0 when nothing is wrong, 1 when something is.'))
    .action(async (o: { kubeconfig?: string; namespace: string; fix?: boolean; yes?: boolean }) => {
      const kube = cliClient(o.kubeconfig);
      try {
        if (o.fix) await fixStrictARP(kube, !!o.yes);
        const findings = await diagnose(kube, o.namespace);
        process.stdout.write(formatFindings(findings));
        if (hasErrors(findings)) process.exitCode = 1;
      } finally {
        kube.close();
      }
    });
}
