import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCodes, FleetlbError } from '../runtime/errors.js';
import type { ClusterPorts, ClusterSpec, Component } from './control-plane.js';
import type { NetworkState } from './lab-network.js';
import { isRunning, selfRecord, type ProcessRecord } from './processes.js';

/** What `lab up` records in DIR/lab.json so that later commands find and stop what it started. */

export const LAB_STATE_VERSION = 'fleetlb.lab/v1';
export const STATE_FILE = 'lab.json';

export interface ClusterState extends ClusterSpec {
  ports: ClusterPorts;
  server: string;
  kubeconfig: string;
  processes: Partial<Record<Component, ProcessRecord>>;
}

export interface LabState {
  version: typeof LAB_STATE_VERSION;
  /** Short random id; names of host-wide things (network namespaces) carry it. */
  id: string;
  dir: string;
  kubernetesVersion: string;
  binDir: string;
  basePort: number;
  createdAt: string;
  clusters: ClusterState[];
  /** Present when the lab has its network (namespaces, nodes, router, kube-proxy): root only. */
  network?: NetworkState;
}

export function newLabId(): string {
  return randomBytes(3).toString('hex');
}

function isLabState(v: unknown): v is LabState {
  const s = v as Partial<LabState> | null;
  return (
    typeof s === 'object' && s !== null && s.version === LAB_STATE_VERSION && typeof s.id === 'string' &&
    typeof s.basePort === 'number' && Array.isArray(s.clusters) &&
    s.clusters.every((c) => typeof c?.name === 'string' && typeof c.ports === 'object' && typeof c.processes === 'object')
  );
}

/** Entries a failed first `up` may leave behind; a directory with only these counts as empty. */
const LEFTOVERS = new Set(['logs', '.lock']);

/**
 * The lab recorded in `dir`, or undefined when there is none yet. A directory that holds other
 * things is refused: `down` deletes the lab directory, so it must be wholly the lab's.
 */
export async function readState(dir: string): Promise<LabState | undefined> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (!entries.includes(STATE_FILE)) {
    const foreign = entries.filter((e) => !LEFTOVERS.has(e));
    if (foreign.length === 0) return undefined;
    throw new FleetlbError(
      ErrorCodes.LAB_DIR_NOT_A_LAB,
      `${dir} is not empty and holds no fleetlb lab (found ${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}): give --dir a new or empty directory.`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8'));
  } catch {
    parsed = undefined;
  }
  if (!isLabState(parsed)) {
    throw new FleetlbError(
      ErrorCodes.LAB_DIR_NOT_A_LAB,
      `${join(dir, STATE_FILE)} is damaged or was written by another fleetlb version: stop any lab processes you know of by PID, then remove ${dir} and run 'fleetlb lab up' again.`,
    );
  }
  return parsed;
}

export async function writeState(state: LabState): Promise<void> {
  await mkdir(state.dir, { recursive: true });
  const tmp = join(state.dir, `${STATE_FILE}.tmp`);
  await writeFile(tmp, JSON.stringify(state, null, 2) + '\n');
  await rename(tmp, join(state.dir, STATE_FILE));
}

/** Every process record in the state, in start order. */
export function allProcesses(state: LabState): ProcessRecord[] {
  return [
    ...state.clusters.flatMap((c) => Object.values(c.processes).filter((p): p is ProcessRecord => p !== undefined)),
    ...Object.values(state.network?.processes ?? {}),
  ];
}

/**
 * An exclusive lock on the lab directory for the length of one command, so two `up`s never start
 * two sets of processes. A lock left by a dead command is taken over.
 */
export async function lockDir(dir: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  const lock = join(dir, '.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(lock, 'wx');
      const me = selfRecord();
      await fh.writeFile(JSON.stringify({ pid: me.pid, startTicks: me.startTicks }));
      await fh.close();
      return () => rm(lock, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder: { pid?: number; startTicks?: string } = {};
      try {
        holder = JSON.parse(await readFile(lock, 'utf8')) as typeof holder;
      } catch {
        /* unreadable: treat as stale */
      }
      if (holder.pid && holder.startTicks !== undefined && isRunning({ pid: holder.pid, startTicks: holder.startTicks })) {
        throw new FleetlbError(ErrorCodes.LAB_DIR_BUSY, `Another fleetlb lab command (pid ${holder.pid}) is working on ${dir}: wait for it to finish and try again.`);
      }
      await rm(lock, { force: true });
    }
  }
  throw new FleetlbError(ErrorCodes.LAB_DIR_BUSY, `Could not lock ${dir}: try again.`);
}
