import { Command } from 'commander';
import { FleetLBNamespace, Labels } from '../api/labels.js';
import { BGPPeerKind, type BGPPeer } from '../api/metallb.js';
import { bgpPeerObject, checkName, type BGPPeerFlags } from '../operator/load-balancer.js';
import { ErrorCodes, FleetlbError } from '../runtime/errors.js';
import { cliClient, explained, formatObjects, parseOutput, resourceWord, table } from './cluster-access.js';
import { examplesText } from './help.js';

/** `fleetlb bgp-peer …`: Azure Arc's `az k8s-runtime bgp-peer` commands. */

interface Common {
  namespace: string;
  kubeconfig?: string;
}

async function create(name: string, o: Common & BGPPeerFlags & { dryRun?: boolean; output?: string }): Promise<void> {
  const peer = bgpPeerObject(name, o.namespace, o);
  if (o.dryRun) {
    process.stdout.write(formatObjects([peer], parseOutput(o.output ?? 'yaml')));
    return;
  }
  const kube = cliClient(o.kubeconfig);
  try {
    const existing = await explained(`reading ${resourceWord(peer)}`, () => kube.find<BGPPeer>(BGPPeerKind, name, o.namespace));
    if (existing && existing.metadata.labels?.[Labels.bgpPeer] !== name) {
      throw new FleetlbError(ErrorCodes.OPS_CONFLICT, `BGPPeer ${o.namespace}/${name} already exists and was not made by 'fleetlb bgp-peer create'; pick another name or delete it first.`);
    }
    await explained(`applying ${resourceWord(peer)}`, () => kube.apply(BGPPeerKind, peer));
    process.stdout.write(`${resourceWord(peer)} ${existing ? 'configured' : 'created'}\n`);
  } finally {
    kube.close();
  }
}

async function list(o: Common): Promise<void> {
  const kube = cliClient(o.kubeconfig);
  try {
    const peers = (await explained('listing BGPPeers', () => kube.list<BGPPeer>(BGPPeerKind, { namespace: o.namespace }))).items;
    if (peers.length === 0) {
      process.stdout.write(`No BGP peers in ${o.namespace}.\n`);
      return;
    }
    const rows = peers.map((p) => [p.metadata.name!, String(p.spec.myASN), String(p.spec.peerASN ?? p.spec.dynamicASN ?? ''), p.spec.peerAddress ?? p.spec.interface ?? '', p.spec.holdTime ?? '']);
    process.stdout.write(table(['NAME', 'MY-ASN', 'PEER-ASN', 'PEER-ADDRESS', 'HOLD-TIME'], rows));
  } finally {
    kube.close();
  }
}

async function remove(name: string, o: Common): Promise<void> {
  const kube = cliClient(o.kubeconfig);
  try {
    const gone = await explained(`deleting bgppeer ${name}`, () => kube.delete(BGPPeerKind, name, o.namespace));
    if (!gone) throw new FleetlbError(ErrorCodes.OPS_NOT_FOUND, `There is no BGP peer ${name} in ${o.namespace} (see 'fleetlb bgp-peer list -n ${o.namespace}').`);
    process.stdout.write(`bgppeer.${BGPPeerKind.group}/${name} deleted\n`);
  } finally {
    kube.close();
  }
}

export function bgpPeerCommand(): Command {
  const cmd = new Command('bgp-peer').description('create and manage BGP peers of the speakers (like az k8s-runtime bgp-peer)');
  const common = (c: Command) => c
    .option('-n, --namespace <ns>', 'namespace of the BGPPeer', FleetLBNamespace)
    .option('--kubeconfig <file>', 'kubeconfig of the cluster (default: $KUBECONFIG or ~/.kube/config)');

  common(cmd.command('create').alias('add').argument('<name>', 'peer name')
    .description('create or update a BGP peer; it serves every load balancer in BGP or Both mode')
    .requiredOption('--my-asn <asn>', 'AS number of the speakers')
    .requiredOption('--peer-asn <asn>', 'AS number expected from the router')
    .requiredOption('--peer-address <ip>', 'address the speakers connect to')
    .option('--peer-port <port>', 'TCP port of the router (default 179)')
    .option('--hold-time <duration>', 'BGP hold time, e.g. 90s (keepalives go every third of it)')
    .option('--keepalive-time <duration>', 'BGP keepalive interval, e.g. 30s')
    .option('--source-address <ip>', 'local address of the session')
    .option('--password-secret <name>', 'Secret (type kubernetes.io/basic-auth, key password) holding the TCP MD5 password')
    .option('--ebgp-multi-hop', 'the router is more than one hop away')
    .option('--node-selector <k=v,...>', 'only nodes with these labels peer with this router')
    .option('--dry-run', 'print what would be applied and change nothing')
    .option('-o, --output <format>', 'with --dry-run: yaml (default) or json')
    .addHelpText('after', examplesText(['fleetlb bgp-peer create router --my-asn 64512 --peer-asn 64513 --peer-address 192.0.2.1', 'fleetlb bgp-peer create router6 --my-asn 64512 --peer-asn 64513 --peer-address 2001:db8:0:1::1 --hold-time 9s --dry-run -o yaml'])))
    .action((name: string, o: Common & BGPPeerFlags & { dryRun?: boolean; output?: string; ebgpMultiHop?: boolean }) => create(name, o));

  common(cmd.command('list').alias('ls').description('list the BGP peers')
    .addHelpText('after', examplesText(['fleetlb bgp-peer list'])))
    .action((o: Common) => list(o));

  common(cmd.command('delete').alias('rm').argument('<name>').description('delete a BGP peer')
    .addHelpText('after', examplesText(['fleetlb bgp-peer delete router'])))
    .action((name: string, o: Common) => remove(checkName(name, 'the BGP peer'), o));
  return cmd;
}
