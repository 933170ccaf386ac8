import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** Thin wrappers over iproute2 and sysctl for the lab's namespaces. Root only. */

const execFileP = promisify(execFile);

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly stderr: string,
  ) {
    super(`${command}: ${stderr.trim() || 'failed'}`);
    this.name = 'CommandError';
  }
}

export async function run(cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileP(cmd, args, { maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    throw new CommandError([cmd, ...args].join(' '), e.stderr ?? e.message);
  }
}

/** `ip [-n ns] args…` */
export function ip(args: string[], netns?: string): Promise<string> {
  return run('ip', netns ? ['-n', netns, ...args] : args);
}

/** Run a command inside a namespace. */
export function inNetns(netns: string, cmd: string, args: string[]): Promise<string> {
  return run('ip', ['netns', 'exec', netns, cmd, ...args]);
}

export async function sysctl(netns: string, settings: Record<string, string | number>): Promise<void> {
  await inNetns(netns, 'sysctl', ['-q', '-w', ...Object.entries(settings).map(([k, v]) => `${k}=${v}`)]);
}

export async function netnsList(): Promise<string[]> {
  const out = await run('ip', ['netns', 'list']).catch(() => '');
  return out.split('\n').map((l) => l.split(' ')[0] ?? '').filter(Boolean);
}

export async function netnsExists(name: string): Promise<boolean> {
  return (await netnsList()).includes(name);
}

/** PIDs of the processes inside a namespace. */
export async function netnsPids(name: string): Promise<number[]> {
  const out = await run('ip', ['netns', 'pids', name]).catch(() => '');
  return out.split('\n').map((l) => Number(l.trim())).filter((n) => Number.isInteger(n) && n > 0);
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}
