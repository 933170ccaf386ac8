import { Command } from 'commander';
import { Annotations, FleetLBNamespace, Labels } from '../api/labels.js';
import { BGPAdvertisementKind, BGPPeerKind, IPAddressPoolKind, L2AdvertisementKind, type IPAddressPool } from '../api/metallb.js';
import type { KindInfo } from '../api/meta.js';
import { AdvertiseModes, loadBalancerObjects, modeOf, parseAddresses, parseAdvertiseMode, usesBGP, checkName, type LoadBalancerObject } from '../operator/load-balancer.js';
import { ErrorCodes, FleetlbError } from '../runtime/errors.js';
import { overlaps, parseRange, type IPRange } from '../runtime/ip.js';
import type { KubeClient } from '../runtime/kube-client.js';
import { CoreResources, type KubeObject } from '../runtime/resource.js';
import { cliClient, explained, formatObjects, parseOutput, resourceWord, table } from './cluster-access.js';
import { examplesText } from './help.js';

/** `fleetlb lb …`: Azure Arc's `az k8s-runtime load-balancer` commands, against any cluster. */

const LB_KINDS: readonly KindInfo[] = [IPAddressPoolKind, L2AdvertisementKind, BGPAdvertisementKind];
const kindInfo = (kind: string): KindInfo => LB_KINDS.find((k) => k.kind === kind)!;

interface Common {
  namespace: string;
  kubeconfig?: string;
}

const ranges = (addresses: readonly string[]): IPRange[] => addresses.flatMap((a) => {
  const r = parseRange(a);
  return r.ok ? [r.range] : [];
});

/** A pool of another load balancer (or written by hand) that shares addresses with ours. */
async function overlapping(kube: KubeClient, ns: string, name: string, addresses: string[]): Promise<string | undefined> {
  const pools = (await kube.list<IPAddressPool>(IPAddressPoolKind)).items;
  const mine = ranges(addresses);
  for (const p of pools) {
    if (p.metadata.namespace === ns && p.metadata.name === name) continue;
    const hit = ranges(p.spec.addresses).find((r) => mine.some((m) => overlaps(m, r)));
    if (hit) return `${p.metadata.namespace}/${p.metadata.name} (${hit.text})`;
  }
  return undefined;
}

async function create(name: string, o: Common & { addresses: string; advertiseMode: string; dryRun?: boolean; output?: string }): Promise<void> {
  const mode = parseAdvertiseMode(o.advertiseMode);
  const objs = loadBalancerObjects(name, o.namespace, parseAddresses(o.addresses), mode);
  if (o.dryRun) {
    process.stdout.write(formatObjects(objs, parseOutput(o.output ?? 'yaml')));
    return;
  }
  const kube = cliClient(o.kubeconfig);
  try {
    const clash = await explained('reading the IPAddressPools', () => overlapping(kube, o.namespace, name, objs[0]!.kind === 'IPAddressPool' ? objs[0]!.spec.addresses : []));
    if (clash) throw new FleetlbError(ErrorCodes.OPS_CONFLICT, `The addresses of load balancer ${name} overlap pool ${clash}; pools must not share addresses.`);
    for (const obj of objs) {
      const existing = await explained(`reading ${resourceWord(obj)}`, () => kube.find(kindInfo(obj.kind), name, o.namespace));
      if (existing && existing.metadata.labels?.[Labels.loadBalancer] !== name) {
        throw new FleetlbError(ErrorCodes.OPS_CONFLICT, `${obj.kind} ${o.namespace}/${name} already exists and was not made by 'fleetlb lb create'; pick another name or delete it first.`);
      }
      await explained(`applying ${resourceWord(obj)}`, () => kube.apply(kindInfo(obj.kind), obj));
      process.stdout.write(`${resourceWord(obj)} ${existing ? 'configured' : 'created'}\n`);
    }
    // A mode change (Both → ARP) leaves an advertisement the new mode does not want.
    for (const kind of [L2AdvertisementKind, BGPAdvertisementKind]) {
      if (objs.some((x) => x.kind === kind.kind)) continue;
      const stale = await kube.find(kind, name, o.namespace);
      if (stale?.metadata.labels?.[Labels.loadBalancer] === name) {
        await explained(`deleting the ${kind.kind}`, () => kube.delete(kind, name, o.namespace));
        process.stdout.write(`${kind.singular}.${kind.group}/${name} deleted\n`);
      }
    }
    if (usesBGP(mode)) {
      const peers = await explained('reading the BGPPeers', () => kube.list(BGPPeerKind, { namespace: o.namespace }));
      if (peers.items.length === 0) {
        process.stderr.write(`warning: no BGPPeer in ${o.namespace}: the addresses are not announced over BGP until one exists (fleetlb bgp-peer create NAME --my-asn N --peer-asn N --peer-address IP -n ${o.namespace}).\n`);
      }
    }
  } finally {
    kube.close();
  }
}

async function objectsOf(kube: KubeClient, ns: string, name?: string): Promise<LoadBalancerObject[]> {
  const selector = name ? `${Labels.loadBalancer}=${name}` : Labels.loadBalancer;
  const lists = await Promise.all(LB_KINDS.map((k) => explained(`listing ${k.plural}`, () => kube.list<LoadBalancerObject>(k, { namespace: ns, labelSelector: selector }))));
  return lists.flatMap((l, i) => l.items.map((x) => ({ ...x, apiVersion: `${LB_KINDS[i]!.group}/${LB_KINDS[i]!.version}`, kind: LB_KINDS[i]!.kind }) as LoadBalancerObject));
}

interface ServiceLike extends KubeObject {
  status?: { loadBalancer?: { ingress?: { ip?: string }[] } };
}

async function servicesUsing(kube: KubeClient, pool: string): Promise<string[]> {
  const svcs = await explained('listing Services', () => kube.list<ServiceLike>(CoreResources.services));
  return svcs.items
    .filter((s) => s.metadata.annotations?.[Annotations.ipAllocatedFromPool] === pool)
    .map((s) => `${s.metadata.namespace}/${s.metadata.name} ${(s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).join(',')}`.trim());
}

async function list(o: Common): Promise<void> {
  const kube = cliClient(o.kubeconfig);
  try {
    const objs = await objectsOf(kube, o.namespace);
    const names = [...new Set(objs.map((x) => x.metadata.name!))].sort();
    if (names.length === 0) {
      process.stdout.write(`No load balancers in ${o.namespace}.\n`);
      return;
    }
    const rows = names.map((n) => {
      const mine = objs.filter((x) => x.metadata.name === n);
      const pool = mine.find((x): x is IPAddressPool => x.kind === 'IPAddressPool');
      const st = pool?.status;
      const used = st ? String((st.assignedIPv4 ?? 0) + (st.assignedIPv6 ?? 0)) : '-';
      return [n, pool?.spec.addresses.join(',') ?? '<no pool>', modeOf(new Set(mine.map((x) => x.kind))) ?? '<none>', used];
    });
    process.stdout.write(table(['NAME', 'ADDRESSES', 'ADVERTISE-MODE', 'ASSIGNED'], rows));
  } finally {
    kube.close();
  }
}

async function show(name: string, o: Common & { output?: string }): Promise<void> {
  const kube = cliClient(o.kubeconfig);
  try {
    const objs = await objectsOf(kube, o.namespace, name);
    if (objs.length === 0) throw new FleetlbError(ErrorCodes.OPS_NOT_FOUND, `There is no load balancer ${name} in ${o.namespace} (see 'fleetlb lb list -n ${o.namespace}').`);
    if (o.output) {
      process.stdout.write(formatObjects(objs, parseOutput(o.output)));
      return;
    }
    const pool = objs.find((x): x is IPAddressPool => x.kind === 'IPAddressPool');
    const users = await servicesUsing(kube, name);
    const lines = [
      `Name:            ${name}`,
      `Namespace:       ${o.namespace}`,
      `Addresses:       ${pool?.spec.addresses.join(', ') ?? '<no pool>'}`,
      `Advertise mode:  ${modeOf(new Set(objs.map((x) => x.kind))) ?? '<none>'}`,
      `Objects:         ${objs.map(resourceWord).join(', ')}`,
      `Services:        ${users.length === 0 ? '<none>' : users.join('\n                 ')}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    kube.close();
  }
}

async function remove(name: string, o: Common): Promise<void> {
  const kube = cliClient(o.kubeconfig);
  try {
    const objs = await objectsOf(kube, o.namespace, name);
    if (objs.length === 0) throw new FleetlbError(ErrorCodes.OPS_NOT_FOUND, `There is no load balancer ${name} in ${o.namespace} (see 'fleetlb lb list -n ${o.namespace}').`);
    const users = await servicesUsing(kube, name);
    // Advertisements first, so nothing is announced from a pool that is going away.
    for (const obj of [...objs].reverse()) {
      await explained(`deleting ${resourceWord(obj)}`, () => kube.delete(kindInfo(obj.kind!), name, o.namespace));
      process.stdout.write(`${resourceWord(obj)} deleted\n`);
    }
    if (users.length > 0) process.stderr.write(`warning: these Services held addresses from ${name} and will lose them unless another pool serves them: ${users.join('; ')}\n`);
  } finally {
    kube.close();
  }
}


export function lbCommand(): Command {
  const lb = new Command('lb').description('create and manage load balancers: an IPAddressPool and its L2/BGP advertisements (like az k8s-runtime load-balancer)');
  const common = (c: Command) => c
    .option('-n, --namespace <ns>', 'namespace of the pool and advertisements', FleetLBNamespace)
    .option('--kubeconfig <file>', 'kubeconfig of the cluster (default: $KUBECONFIG or ~/.kube/config)');

  common(lb.command('create')
    .argument('<name>', 'load balancer name (also the name of the pool and advertisements)')
    .alias('add')
    .description('create or update a load balancer')
    .requiredOption('--addresses <list>', 'comma-separated CIDRs or start-end ranges')
    .requiredOption('--advertise-mode <mode>', `how the addresses are announced: ${AdvertiseModes.join(', ')}`)
    .option('--dry-run', 'print what would be applied and change nothing')
    .option('-o, --output <format>', 'with --dry-run: yaml (default) or json')
    .addHelpText('after', examplesText(['fleetlb lb create lb1 --addresses 198.51.100.10-198.51.100.50 --advertise-mode ARP', 'fleetlb lb create lb2 --addresses 198.51.100.64/27,2001:db8:100::/120 --advertise-mode Both --dry-run -o yaml'])))
    .action((name: string, o: Common & { addresses: string; advertiseMode: string; dryRun?: boolean; output?: string }) => create(name, o));

  common(lb.command('list').alias('ls').description('list the load balancers made by fleetlb lb create')
    .addHelpText('after', examplesText(['fleetlb lb list', 'fleetlb lb list -n metallb-system'])))
    .action((o: Common) => list(o));

  common(lb.command('show').argument('<name>').description('show a load balancer, its objects and the Services using it')
    .option('-o, --output <format>', 'print the objects as yaml or json')
    .addHelpText('after', examplesText(['fleetlb lb show lb1', 'fleetlb lb show lb1 -o yaml'])))
    .action((name: string, o: Common & { output?: string }) => show(checkName(name, 'the load balancer'), o));

  common(lb.command('delete').alias('rm').argument('<name>').description('delete a load balancer\'s pool and advertisements')
    .addHelpText('after', examplesText(['fleetlb lb delete lb1'])))
    .action((name: string, o: Common) => remove(checkName(name, 'the load balancer'), o));
  return lb;
}
