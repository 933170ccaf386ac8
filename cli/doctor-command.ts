import { createInterface } from 'node:readline/promises';
import { Command } from 'commander';
import { checkKubeProxy, checkPools, checkServices, formatFindings, hasErrors, kubeProxySettings, lineDiff, withStrictARP, type Finding, type ServiceFacts } from '../operator/doctor.js';
import type { Condition } from '../api/meta.js';
import { ErrorCodes, FleetlbError } from '../runtime/errors.js';
import type { KubeClient } from '../runtime/kube-client.js';
import { CoreResources, type KubeObject } from '../runtime/resource.js';
import { cliClient, explained } from './cluster-access.js';
import { clusterRanges, poolFacts } from './cluster-facts.js';

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

export async function diagnose(kube: KubeClient): Promise<Finding[]> {
  const [cm, cluster, pools, services] = await Promise.all([kubeProxyConfig(kube), clusterRanges(kube), poolFacts(kube), serviceFacts(kube)]);
  return [
    ...checkKubeProxy({ config: cm?.data?.[KUBE_PROXY.key], source: `ConfigMap ${KUBE_PROXY.namespace}/${KUBE_PROXY.name}` }),
    ...checkPools(pools, cluster),
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
    .description('check a cluster for what breaks load balancing: kube-proxy strictARP, pool overlaps, Services without an address and why')
    .option('--kubeconfig <file>', 'kubeconfig of the cluster (default: $KUBECONFIG or ~/.kube/config)')
    .option('--fix', 'set strictARP: true for kube-proxy in IPVS mode, after showing the change')
    .option('--yes', 'with --fix: apply without asking')
    .addHelpText('after', '\nExit status: 0 when nothing is wrong, 1 when something is.\n\nExamples:\n  $ fleetlb doctor\n  $ fleetlb doctor --kubeconfig member-1.kubeconfig --fix\n')
    .action(async (o: { kubeconfig?: string; fix?: boolean; yes?: boolean }) => {
      const kube = cliClient(o.kubeconfig);
      try {
        if (o.fix) await fixStrictARP(kube, !!o.yes);
        const findings = await diagnose(kube);
        process.stdout.write(formatFindings(findings));
        if (hasErrors(findings)) process.exitCode = 1;
      } finally {
        kube.close();
      }
    });
}
