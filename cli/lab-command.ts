import { Command, InvalidArgumentError } from 'commander';
import { resolveLabBinaries } from '../lab/binaries.js';
import { DEFAULT_LAB_DIR, envLines, labDown, labEnv, labStatus, labUp, MERGED_KUBECONFIG } from '../lab/lab.js';
import { DEFAULT_MEMBERS } from '../lab/members.js';
import type { LabState } from '../lab/state.js';
import { join } from 'node:path';

const say = (line: string) => process.stdout.write(line + '\n');
const note = (line: string) => process.stderr.write(line + '\n');

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

export function labCommand(): Command {
  const lab = new Command('lab').description('a real fleet on this machine: one Kubernetes control plane for the hub and one per member');
  const dirOption = ['--dir <dir>', `lab directory (default ${DEFAULT_LAB_DIR}, or $FLEETLB_LAB_DIR)`] as const;

  lab
    .command('up')
    .description('start the lab (safe to run again: only what is missing is started)')
    .option(...dirOption)
    .option('--members <list>', `member clusters as NAME=LOCATION,… (default ${DEFAULT_MEMBERS})`)
    .option('--base-port <port>', 'first of the loopback ports the lab uses (default: a free block)', port)
    .action(async (o: { dir?: string; members?: string; basePort?: number }) => {
      const state = await labUp({ dir: o.dir, members: o.members, basePort: o.basePort, progress: note });
      for (const l of usageAfterUp(state)) say(l);
    });

  lab
    .command('down')
    .description('stop every process the lab started, by PID, and remove the lab directory')
    .option(...dirOption)
    .option('--keep-logs', 'keep DIR/logs')
    .action(async (o: { dir?: string; keepLogs?: boolean }) => {
      await labDown({ dir: o.dir, keepLogs: o.keepLogs, progress: say });
    });

  lab
    .command('status')
    .description('each process of the lab and its health (exit code 1 when something is down)')
    .option(...dirOption)
    .option('-o, --output <format>', 'table or json', 'table')
    .action(async (o: { dir?: string; output: string }) => {
      const { state, components } = await labStatus({ dir: o.dir });
      if (o.output === 'json') {
        say(JSON.stringify({ dir: state.dir, id: state.id, kubernetesVersion: state.kubernetesVersion, components }, null, 2));
      } else {
        const rows = [['CLUSTER', 'COMPONENT', 'PID', 'STATE', 'HEALTH', 'ENDPOINT']];
        for (const c of components) {
          rows.push([c.cluster, c.component, c.pid ? String(c.pid) : '-', c.running ? 'running' : 'stopped', c.healthy ? 'ok' : c.detail, c.endpoint]);
        }
        const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
        for (const r of rows) say(r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i] ?? 0))).join('  '));
      }
      if (components.some((c) => !c.healthy)) process.exitCode = 1;
    });

  lab
    .command('env')
    .description('shell export lines: kubectl of the lab first on PATH, KUBECONFIG and one variable per cluster')
    .option(...dirOption)
    .action(async (o: { dir?: string }) => {
      for (const l of await labEnv({ dir: o.dir })) say(l);
    });

  lab
    .command('build')
    .description('find or build the Kubernetes and etcd binaries the lab runs, and print where they are')
    .action(async () => {
      const bins = await resolveLabBinaries({ progress: note });
      say(bins.dir);
    });

  return lab;
}

export { envLines };
