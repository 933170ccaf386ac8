import { spawn } from 'node:child_process';
import { ErrorCodes, FleetlbError } from '../runtime/errors.js';
import { labDir } from './lab.js';
import { readState } from './state.js';

/** `fleetlb lab exec WHERE -- CMD…`: a command inside one of the lab's namespaces. */
export async function labExec(opts: { dir?: string; where: string; command: string[] }): Promise<number> {
  const dir = labDir(opts.dir);
  const state = await readState(dir);
  if (!state) throw new FleetlbError(ErrorCodes.LAB_NOT_RUNNING, `There is no lab in ${dir}: start one with 'fleetlb lab up --dir ${dir}'.`);
  const net = state.network;
  if (!net) throw new FleetlbError(ErrorCodes.LAB_NEEDS_ROOT, `The lab in ${dir} has no network (it was started without root or with --no-network).`);
  const named: Record<string, string> = { client: net.plan.client.netns, router: net.plan.router.netns, lan: net.plan.lanNetns };
  for (const n of net.plan.nodes) named[n.name] = n.netns;
  const netns = named[opts.where];
  if (!netns) throw new FleetlbError(ErrorCodes.CLI_USAGE, `'${opts.where}' is not a lab namespace: use one of ${Object.keys(named).join(', ')}.`);
  if (opts.command.length === 0) throw new FleetlbError(ErrorCodes.CLI_USAGE, 'Give the command to run after --, e.g. fleetlb lab exec client -- curl -s 192.0.2.20:30080.');
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', netns, ...opts.command], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
