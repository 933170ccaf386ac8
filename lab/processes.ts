import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Processes the lab starts and later stops. A PID alone can be reused by the kernel, so each
 * record also keeps the process start time from /proc; a PID whose start time differs is not ours.
 */
export interface ProcessRecord {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot. */
  startTicks: string;
  command: string;
  log: string;
}

/** Parse /proc/<pid>/stat: the state letter and start time, past the parenthesised command name. */
export function parseProcStat(stat: string): { state: string; startTicks: string } | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = stat.slice(close + 2).trim().split(/\s+/);
  // fields[0] is field 3 (state); start time is field 22.
  const state = fields[0];
  const startTicks = fields[19];
  return state && startTicks ? { state, startTicks } : undefined;
}

function procStat(pid: number): { state: string; startTicks: string } | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** This process, as a record other commands can check for liveness. */
export function selfRecord(): Pick<ProcessRecord, 'pid' | 'startTicks'> {
  return { pid: process.pid, startTicks: procStat(process.pid)?.startTicks ?? '' };
}

export function isRunning(rec: Pick<ProcessRecord, 'pid' | 'startTicks'>): boolean {
  const s = procStat(rec.pid);
  return s !== undefined && s.startTicks === rec.startTicks && s.state !== 'Z' && s.state !== 'X';
}

export interface StartSpec {
  command: string;
  args: string[];
  log: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Start a detached process in its own session, output appended to its log file. */
export function startProcess(spec: StartSpec): ProcessRecord {
  const fd = openSync(spec.log, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: spec.env ?? process.env,
      cwd: spec.cwd,
    });
    if (child.pid === undefined) throw new Error(`could not start ${spec.command}`);
    // Surface spawn errors (e.g. ENOENT) through the health check rather than crashing.
    child.on('error', () => {});
    child.unref();
    const s = procStat(child.pid);
    return { pid: child.pid, startTicks: s?.startTicks ?? '', command: spec.command, log: spec.log };
  } finally {
    closeSync(fd);
  }
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL; resolves once the process is gone. */
export async function stopProcess(rec: ProcessRecord, graceMs = 10_000): Promise<void> {
  if (!isRunning(rec)) return;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(rec.pid, sig);
    } catch {
      /* already gone */
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isRunning(rec) && Date.now() < deadline) await sleep(50);
  if (isRunning(rec)) {
    signal('SIGKILL');
    const killDeadline = Date.now() + 5_000;
    while (isRunning(rec) && Date.now() < killDeadline) await sleep(50);
  }
}

/** The last lines of a log, for error messages. */
export function logTail(file: string, lines = 10): string[] {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines);
  } catch {
    return [];
  }
}
