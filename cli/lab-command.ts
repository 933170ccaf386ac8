import { Command, InvalidArgumentError } from 'commander';
import { resolveLabBinaries } from '../lab/binaries.js';
import { DEFAULT_LAB_DIR, envLines, labDown, labEnv, labStatus, labUp, MERGED_KUBECONFIG } from '../lab/lab.js';
import { DEFAULT_MEMBERS } from '../lab/members.js';
import type { LabState } from '../lab/state.js';
import type { ProxyMode } from '../lab/kube-proxy.js';
import { MAX_NODES_PER_CLUSTER } from '../lab/network-plan.js';
import { LAB_IBGP_PORT, LAB_MD5_PORT, type RouterKind } from '../lab/router.js';
import { labExec } from '../lab/lab-exec.js';
import { labDeploy } from '../lab/deploy.js';
import { join } from 'node:path';
import { examplesText } from './help.js';

const say = (line: string) => process.stdout.write(line + '\n');
const note = (line: string) => process.stderr.write(line + '\n');

function routerKind(value: string): RouterKind {
  if (value !== 'bird' && value !== 'frr') throw new InvalidArgumentError('must be bird or frr');
  return value;
}

function proxyMode(value: string): ProxyMode {
  if (value !== 'iptables' && value !== 'nftables') throw new InvalidArgumentError('must be iptables or nftables');
  return value;
}

function nodeCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_NODES_PER_CLUSTER) throw new InvalidArgumentError(`must be a whole number from 1 to ${MAX_NODES_PER_CLUSTER}`);
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1024 || n > 65535) throw new InvalidArgumentError('must be a port number between 1024 and 65535');
  return n;
}

/** What a person needs after `up`: where the kubeconfigs are and how to use them. */
export function usageAfterUp(state: LabState): string[] {
  const members = state.clusters.filter((c) => c.role === 'member');
  return [
    '',
    `fleetlb lab is up in ${state.dir} (Kubernetes ${state.kubernetesVersion}, lab id ${state.id}):`,
    ...state.clusters.map((c) => `  ${c.name.padEnd(10)} ${c.server.padEnd(24)} ${c.kubeconfig}${c.location ? `  (fleet.azure.com/location=${c.location})` : ''}`),
    '',
    'Use it:',
    `  eval "$(npx fleetlb lab env --dir ${state.dir})"     # kubectl ${state.kubernetesVersion} on PATH, KUBECONFIG=${join(state.dir, MERGED_KUBECONFIG)} (contexts: ${state.clusters.map((c) => c.name).join(', ')})`,
    '  kubectl get namespaces                                   # the hub',
    `  kubectl --context ${members[0]?.name ?? 'member-1'} get pods -A             # a member`,
    `  KUBECONFIG=${members[0]?.kubeconfig ?? ''} kubectl get nodes`,
    `  npx fleetlb lab status --dir ${state.dir}`,
    `  npx fleetlb lab down --dir ${state.dir}                  # stops every process and removes the directory`,
  ];
}

function table(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const r of rows) say(r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i] ?? 0))).join('  '));
}

export function labCommand(): Command {
  const lab = new Command('lab').description('a real fleet on this machine: one Kubernetes control plane for the hub and one per member');
  const dirOption = ['--dir <dir>', `lab directory (default ${DEFAULT_LAB_DIR}, or $FLEETLB_LAB_DIR)`] as const;

  lab
    .command('up')
    .description('start the lab (safe to run again: only what is missing is started)')
    .option(...dirOption)
    .option('--members <list>', `member clusters as NAME=LOCATION,… (default ${DEFAULT_MEMBERS})`)
    .option('--base-port <port>', 'first of the loopback ports the lab uses (default: a free block)', port)
    .option('--no-network', 'control planes only: no namespaces, nodes, router or kube-proxy (the default without root)')
    .option('--router <kind>', 'BGP router of the lab network: bird or frr (default bird)', routerKind)
    .option('--nodes <n>', 'nodes per member cluster (default 2; the hub has 1)', nodeCount)
    .option('--proxy-mode <mode>', 'kube-proxy mode: iptables or nftables (default iptables)', proxyMode)
    .addHelpText('after', examplesText(['fleetlb lab up', 'fleetlb lab up --dir /tmp/lab --members m1=eastus,m2=westus --nodes 1 --router frr']))
    .action(async (o: { dir?: string; members?: string; basePort?: number; network?: boolean; router?: RouterKind; nodes?: number; proxyMode?: ProxyMode }, cmd: Command) => {
      // commander sets network=true by default for --no-network; only an explicit flag counts.
      const network = cmd.getOptionValueSource('network') === 'cli' ? o.network : undefined;
      const state = await labUp({ dir: o.dir, members: o.members, basePort: o.basePort, network, router: o.router, nodesPerMember: o.nodes, proxyMode: o.proxyMode, progress: note });
      for (const l of usageAfterUp(state)) say(l);
    });

  lab
    .command('down')
    .description('stop every process the lab started, by PID, and remove the lab directory')
    .option(...dirOption)
    .option('--keep-logs', 'keep DIR/logs')
    .addHelpText('after', examplesText(['fleetlb lab down', 'fleetlb lab down --dir /tmp/lab --keep-logs']))
    .action(async (o: { dir?: string; keepLogs?: boolean }) => {
      await labDown({ dir: o.dir, keepLogs: o.keepLogs, progress: say });
    });

  lab
    .command('status')
    .description('each process of the lab and its health (exit code 1 when something is down)')
    .option(...dirOption)
    .option('-o, --output <format>', 'table or json', 'table')
    .addHelpText('after', examplesText(['fleetlb lab status', 'fleetlb lab status -o json | jq .network.plan.nodes']))
    .action(async (o: { dir?: string; output: string }) => {
      const { state, components } = await labStatus({ dir: o.dir });
      if (o.output === 'json') {
        say(JSON.stringify({ dir: state.dir, id: state.id, kubernetesVersion: state.kubernetesVersion, components, network: state.network ? { router: state.network.router, proxyMode: state.network.proxyMode, plan: state.network.plan } : undefined }, null, 2));
      } else {
        const rows = [['CLUSTER', 'COMPONENT', 'PID', 'STATE', 'HEALTH', 'ENDPOINT']];
        for (const c of components) {
          rows.push([c.cluster, c.component, c.pid ? String(c.pid) : '-', c.running ? 'running' : 'stopped', c.healthy ? 'ok' : c.detail, c.endpoint]);
        }
        table(rows);
        const net = state.network;
        if (net) {
          say('');
          const nrows = [['NAMESPACE', 'ROLE', 'IPV4', 'IPV6', 'DETAIL']];
          nrows.push([net.plan.router.netns, 'router', net.plan.router.lan.v4, net.plan.router.lan.v6, `${net.router}, AS ${net.plan.router.asn}, accepts nodes over eBGP (179), iBGP (${LAB_IBGP_PORT}), eBGP with MD5 (${LAB_MD5_PORT})`]);
          nrows.push([net.plan.client.netns, 'client', net.plan.client.lan.v4, net.plan.client.lan.v6, 'default route via the router']);
          for (const n of net.plan.nodes) nrows.push([n.netns, `node ${n.name}`, n.lan.v4, n.lan.v6, `pods ${n.podCIDRs.join(' ')}; API at ${net.plan.apiserverAddress[n.cluster] ?? ''}`]);
          nrows.push([net.plan.lanNetns, 'LAN bridge', '192.0.2.0/24', '2001:db8:0:1::/64', `bridge ${net.plan.bridge}`]);
          table(nrows);
        }
      }
      if (components.some((c) => !c.healthy)) process.exitCode = 1;
    });

  lab
    .command('deploy')
    .description('install fleetlb into every lab cluster from crds/ and deploy/ (as a user would) and wait until it is available')
    .option(...dirOption)
    .addHelpText('after', examplesText(['fleetlb lab deploy']))
    .action(async (o: { dir?: string }) => {
      await labDeploy({ dir: o.dir, progress: say });
    });

  lab
    .command('exec')
    .description('run a command inside a lab namespace: client, router, lan, or a node by its Kubernetes name')
    .option(...dirOption)
    .argument('<where>', 'client, router, lan, or a node name such as member-1-node-1')
    .argument('<command...>', 'the command and its arguments (put -- before them)')
    .addHelpText('after', examplesText(['fleetlb lab exec client -- curl -s 198.51.100.1:8080', 'fleetlb lab exec member-1-node-1 -- ip -br addr']))
    .action(async (where: string, command: string[], o: { dir?: string }) => {
      process.exitCode = await labExec({ dir: o.dir, where, command });
    });

  lab
    .command('env')
    .description('shell export lines: kubectl of the lab first on PATH, KUBECONFIG and one variable per cluster')
    .option(...dirOption)
    .addHelpText('after', examplesText(['eval "$(fleetlb lab env)" && kubectl get nodes']))
    .action(async (o: { dir?: string }) => {
      for (const l of await labEnv({ dir: o.dir })) say(l);
    });

  lab
    .command('build')
    .description('find or build the Kubernetes and etcd binaries the lab runs, and print where they are')
    .addHelpText('after', examplesText(['fleetlb lab build']))
    .action(async () => {
      const bins = await resolveLabBinaries({ progress: note });
      say(bins.dir);
    });

  return lab;
}

export { envLines };
