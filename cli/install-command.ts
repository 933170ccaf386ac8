import { Command } from 'commander';
import { deleteManifests, installSet, joinMember, leaveMember, applyManifests, waitEstablished, waitWorkloads, type Role } from '../operator/install.js';
import { checkName } from '../operator/load-balancer.js';
import { ErrorCodes, FleetlbError } from '../runtime/errors.js';
import { KubeClient } from '../runtime/kube-client.js';
import { repoRoot } from '../runtime/repo-root.js';
import { explained, loadKubeConfig } from './cluster-access.js';
import { examplesText } from './help.js';

/** `fleetlb install` / `fleetlb uninstall` (Azure Arc's `load-balancer enable` step, for any cluster). */

interface InstallOptions {
  kubeconfig?: string;
  role: string;
  hubKubeconfig?: string;
  hubServer?: string;
  memberName?: string;
  location?: string;
  image?: string;
  timeout: string;
}

function role(text: string): Role {
  if (text !== 'hub' && text !== 'member') throw new FleetlbError(ErrorCodes.CLI_USAGE, `--role ${text} is not hub or member.`);
  return text;
}

function seconds(text: string): number {
  const m = /^(\d+)(s|m)?$/.exec(text.trim());
  if (!m) throw new FleetlbError(ErrorCodes.CLI_USAGE, `--timeout ${text} is not a duration such as 300s or 5m.`);
  return Number(m[1]) * (m[2] === 'm' ? 60 : 1);
}

const client = (path: string | undefined) => new KubeClient(loadKubeConfig(path), { fieldManager: 'fleetlb-install' });
const say = (l: string) => process.stderr.write(`${l}\n`);

async function install(o: InstallOptions): Promise<void> {
  const r = role(o.role);
  const timeoutMs = seconds(o.timeout) * 1000;
  if (r === 'member' && o.hubKubeconfig && !o.memberName) throw new FleetlbError(ErrorCodes.CLI_USAGE, '--member-name is required with --hub-kubeconfig: it names the MemberCluster on the hub.');
  if (o.memberName) checkName(o.memberName, '--member-name');
  const started = Date.now();
  const set = installSet(r, repoRoot(), o.image);
  const kube = client(o.kubeconfig);
  const hub = o.hubKubeconfig ? client(o.hubKubeconfig) : undefined;
  try {
    say(`Installing fleetlb (${r}) on ${kube.server.host}`);
    await explained('applying the CRDs', () => applyManifests(kube, set.crds));
    await waitEstablished(kube, set.crds, 60_000);
    say(`  ${set.crds.length} CRDs applied and established`);
    await explained('applying the manifests', () => applyManifests(kube, set.manifests));
    say(`  ${set.manifests.length} objects applied from ${set.files.filter((f) => !f.includes('/crds/')).length} files of deploy/${o.image ? ` (image ${o.image})` : ''}`);
    if (r === 'member' && hub && o.memberName) {
      const hubServer = o.hubServer ?? hub.server.origin;
      await explained('joining the hub', () => joinMember(hub, kube, { member: o.memberName!, location: o.location, hubServer }, (l) => say(`  ${l}`)));
    } else if (r === 'member') {
      say('  not joined to a hub (no --hub-kubeconfig): the member agent serves this cluster alone, like MetalLB\'s controller');
    }
    await waitWorkloads(kube, timeoutMs, (l) => say(`  ${l}`));
    say(`fleetlb (${r}) is ready in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
    say(r === 'hub'
      ? 'Next: install each member with --role member --hub-kubeconfig <this kubeconfig> --member-name NAME --location REGION.'
      : 'Next: fleetlb lb create NAME --addresses CIDR --advertise-mode ARP (fleetlb pool suggest finds free addresses), then fleetlb doctor.');
  } finally {
    kube.close();
    hub?.close();
  }
}

async function uninstall(o: { kubeconfig?: string; role: string; hubKubeconfig?: string; memberName?: string; purge?: boolean; timeout: string }): Promise<void> {
  const r = role(o.role);
  const set = installSet(r, repoRoot());
  const kube = client(o.kubeconfig);
  const hub = o.hubKubeconfig ? client(o.hubKubeconfig) : undefined;
  try {
    if (hub) {
      if (!o.memberName) throw new FleetlbError(ErrorCodes.CLI_USAGE, '--member-name is required with --hub-kubeconfig.');
      await explained('leaving the hub', () => leaveMember(hub, o.memberName!, seconds(o.timeout) * 1000, (l) => say(`  ${l}`)));
    }
    await explained('deleting fleetlb', () => deleteManifests(kube, set, !!o.purge, say));
    say(o.purge ? 'fleetlb removed, with its CRDs and namespace (and every object of those kinds).' : 'fleetlb removed; its CRDs and the fleetlb-system namespace (pools, peers) are kept: --purge removes them too.');
  } finally {
    kube.close();
    hub?.close();
  }
}

export function installCommands(): Command[] {
  const installCmd = new Command('install')
    .description('install fleetlb on a cluster: CRDs and the role\'s components from deploy/, join a member to its hub, wait until ready')
    .requiredOption('--role <role>', 'hub or member')
    .option('--kubeconfig <file>', 'kubeconfig of the cluster (default: $KUBECONFIG or ~/.kube/config)')
    .option('--hub-kubeconfig <file>', 'member: kubeconfig of the hub to join')
    .option('--hub-server <url>', 'member: the hub API server as this cluster\'s pods reach it (default: the server in --hub-kubeconfig)')
    .option('--member-name <name>', 'member: its MemberCluster name on the hub')
    .option('--location <region>', 'member: its region, the label fleet.azure.com/location placements select on')
    .option('--image <image>', 'the fleetlb image to run (default: the one in deploy/)')
    .option('--timeout <duration>', 'how long to wait for the components', '300s')
    .addHelpText('after', examplesText(['fleetlb install --kubeconfig hub.kubeconfig --role hub', 'fleetlb install --kubeconfig m1.kubeconfig --role member --hub-kubeconfig hub.kubeconfig --member-name member-1 --location eastus', 'fleetlb install --kubeconfig single.kubeconfig --role member        # MetalLB-style, no fleet']))
    .action((o: InstallOptions) => install(o));
  const uninstallCmd = new Command('uninstall')
    .description('remove what fleetlb install applied (a member also leaves its hub)')
    .requiredOption('--role <role>', 'hub or member')
    .option('--kubeconfig <file>', 'kubeconfig of the cluster (default: $KUBECONFIG or ~/.kube/config)')
    .option('--hub-kubeconfig <file>', 'member: the hub to leave')
    .option('--member-name <name>', 'member: its MemberCluster name on the hub')
    .option('--purge', 'also delete fleetlb\'s CRDs and namespace, and so every pool, peer and export')
    .option('--timeout <duration>', 'member: how long to wait for the hub to confirm the member left', '120s')
    .addHelpText('after', examplesText(['fleetlb uninstall --kubeconfig m1.kubeconfig --role member --hub-kubeconfig hub.kubeconfig --member-name member-1']))
    .action((o: { kubeconfig?: string; role: string; hubKubeconfig?: string; memberName?: string; purge?: boolean; timeout: string }) => uninstall(o));
  return [installCmd, uninstallCmd];
}
