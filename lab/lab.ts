import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { ErrorCodes, FleetlbError, isFleetlbError } from '../runtime/errors.js';
import { KubeClient } from '../runtime/kube-client.js';
import { CoreResources } from '../runtime/resource.js';
import { clusterAddressing } from './address-plan.js';
import { resolveLabBinaries, type LabBinaries } from './binaries.js';
import {
  COMPONENTS,
  apiserverURL,
  clusterPaths,
  clusterPorts,
  componentArgs,
  healthURL,
  type ClusterPorts,
  type ClusterSpec,
  type Component,
} from './control-plane.js';
import { healthy, type ClientTLS } from './health.js';
import { kubeconfigYaml, type KubeconfigEntry } from './kubeconfig.js';
import { DEFAULT_MEMBERS, formatMembers, parseMembers } from './members.js';
import { CertificateAuthority } from './pki.js';
import { findFreeBase, takenPorts } from './ports.js';
import { isRunning, logTail, startProcess, stopProcess, type ProcessRecord } from './processes.js';
import { allProcesses, lockDir, newLabId, readState, writeState, LAB_STATE_VERSION, type ClusterState, type LabState } from './state.js';
import { KUBERNETES_VERSION } from './versions.js';
import type { ProxyMode } from './kube-proxy.js';
import { startNetwork, stopNetworkProcesses, type NetworkState } from './lab-network.js';
import { destroyNetwork } from './network.js';
import { apiserverLanAddress, DEFAULT_NODES_PER_MEMBER, planNetwork } from './network-plan.js';
import { isRoot } from './netns.js';
import type { RouterKind } from './router.js';

export const DEFAULT_LAB_DIR = '.lab';
/** The merged kubeconfig: one context per cluster, the hub current. */
export const MERGED_KUBECONFIG = 'kubeconfig';

export type Progress = (line: string) => void;

export interface UpOptions {
  dir?: string;
  /** NAME=LOCATION pairs; defaults to the running lab's members, or DEFAULT_MEMBERS. */
  members?: string;
  basePort?: number;
  /** Build the lab network (default: when running as root). */
  network?: boolean;
  router?: RouterKind;
  nodesPerMember?: number;
  proxyMode?: ProxyMode;
  progress?: Progress;
}

const START_TIMEOUT_MS: Record<Component, number> = {
  etcd: 30_000,
  'kube-apiserver': 120_000,
  'kube-controller-manager': 90_000,
  'kube-scheduler': 90_000,
};

const portsOf = (ports: ClusterPorts) => Object.values(ports);
const portList = (base: number, index: number) => portsOf(clusterPorts(base, index));

export function labDir(dir?: string): string {
  return resolve(dir ?? process.env.FLEETLB_LAB_DIR ?? DEFAULT_LAB_DIR);
}

/** Client credentials for a cluster's admin, for health checks. */
async function adminTLS(c: ClusterState, dir: string): Promise<ClientTLS> {
  const pki = clusterPaths(dir, c.name).pki;
  const [ca, cert, key] = await Promise.all(['ca.crt', 'admin.crt', 'admin.key'].map((f) => readFile(join(pki, f), 'utf8')));
  return { ca, cert, key };
}

async function componentHealth(c: ClusterState, component: Component, dir: string): Promise<{ ok: boolean; detail: string }> {
  const tls = component === 'kube-apiserver' ? await adminTLS(c, dir) : {};
  return healthy(healthURL(component, c.ports), tls);
}

/** Certificates, keys and component kubeconfigs of one cluster; reused when present. */
async function preparePki(c: ClusterState, dir: string): Promise<KubeconfigEntry> {
  const paths = clusterPaths(dir, c.name);
  const ca = await CertificateAuthority.ensure(paths.pki, `fleetlb-lab-${c.name}-ca`);
  const a = clusterAddressing(c.index);
  await ca.issue({
    name: 'apiserver',
    commonName: 'kube-apiserver',
    usage: 'server',
    dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
    ipAddresses: ['127.0.0.1', '::1', a.kubernetesServiceIP, apiserverLanAddress(c.index)],
  });
  await ca.keyPair('service-account');
  const admin = await ca.issue({ name: 'admin', commonName: 'fleetlb-lab-admin', organization: 'system:masters', usage: 'client' });
  const kcm = await ca.issue({ name: 'kube-controller-manager', commonName: 'system:kube-controller-manager', usage: 'client' });
  const sched = await ca.issue({ name: 'kube-scheduler', commonName: 'system:kube-scheduler', usage: 'client' });
  const caPem = await readFile(ca.cert, 'utf8');
  const entry = async (name: string, files: { cert: string; key: string }): Promise<KubeconfigEntry> => ({
    name,
    server: c.server,
    caPem,
    certPem: await readFile(files.cert, 'utf8'),
    keyPem: await readFile(files.key, 'utf8'),
  });
  const kcmEntry = await entry(c.name, kcm);
  await writeFile(paths.controllerManagerKubeconfig, kubeconfigYaml([kcmEntry], c.name), { mode: 0o600 });
  const schedEntry = await entry(c.name, sched);
  await writeFile(paths.schedulerKubeconfig, kubeconfigYaml([schedEntry], c.name), { mode: 0o600 });
  return entry(c.name, admin);
}

function portInUse(component: Component, c: ClusterState, log: string): FleetlbError | undefined {
  const text = logTail(log, 40).join('\n');
  if (!/address already in use/i.test(text)) return undefined;
  return new FleetlbError(
    ErrorCodes.LAB_PORT_IN_USE,
    `${c.name}'s ${component} could not listen because one of ports ${portsOf(c.ports).join(', ')} on 127.0.0.1 is already in use: stop the program holding it, or run 'fleetlb lab down' and 'up' with another --base-port.`,
    { details: logTail(log, 5) },
  );
}

async function waitHealthy(c: ClusterState, component: Component, rec: ProcessRecord, dir: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS[component];
  let last = '';
  while (Date.now() < deadline) {
    if (!isRunning(rec)) {
      throw portInUse(component, c, rec.log) ??
        new FleetlbError(ErrorCodes.LAB_START_FAILED, `${c.name}'s ${component} exited during start-up: see ${rec.log} (last lines below).`, { details: logTail(rec.log) });
    }
    const h = await componentHealth(c, component, dir);
    if (h.ok) return;
    last = h.detail;
    await sleep(250);
  }
  throw new FleetlbError(
    ErrorCodes.LAB_START_FAILED,
    `${c.name}'s ${component} did not become healthy within ${START_TIMEOUT_MS[component] / 1000}s (last answer: ${last}): see ${rec.log}.`,
    { details: logTail(rec.log) },
  );
}

/**
 * A cluster accepts pods once the controller-manager has made the `default` ServiceAccount of
 * the `default` namespace; before that, `kubectl run` right after `up` would be refused.
 */
async function waitAcceptsPods(c: ClusterState): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(c.kubeconfig);
  const client = new KubeClient(kc, { fieldManager: 'fleetlb-lab', timeoutMs: 5000 });
  try {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (await client.find(CoreResources.serviceAccounts, 'default', 'default').catch(() => undefined)) return;
      await sleep(200);
    }
    // The cluster's kubeconfig sits in the lab directory, next to logs/.
    const log = join(dirname(c.kubeconfig), 'logs', `${c.name}.kube-controller-manager.log`);
    throw new FleetlbError(ErrorCodes.LAB_START_FAILED, `${c.name}'s controller-manager did not create the default ServiceAccount within 60 s: see ${log}.`);
  } finally {
    client.close();
  }
}

/** Serialises state writes from clusters starting in parallel. */
function stateWriter(state: LabState): () => Promise<void> {
  let chain = Promise.resolve();
  return () => (chain = chain.then(() => writeState(state)));
}

async function startCluster(
  c: ClusterState,
  state: LabState,
  bins: LabBinaries,
  started: ProcessRecord[],
  save: () => Promise<void>,
  progress: Progress,
): Promise<void> {
  const dir = state.dir;
  const paths = clusterPaths(dir, c.name);
  await mkdir(paths.certDir, { recursive: true });
  for (const component of COMPONENTS) {
    const existing = c.processes[component];
    if (existing && isRunning(existing)) {
      await waitHealthy(c, component, existing, dir);
      continue;
    }
    const log = join(dir, 'logs', `${c.name}.${component}.log`);
    const advertiseAddress = state.network?.plan.apiserverAddress[c.name];
    const rec = startProcess({ command: bins[component], args: componentArgs[component](c, paths, c.ports, { advertiseAddress }), log, cwd: paths.root });
    started.push(rec);
    c.processes[component] = rec;
    await save();
    await waitHealthy(c, component, rec, dir);
    progress(`  ${c.name}: ${component} ready (pid ${rec.pid})`);
  }
}

function newState(dir: string, clusters: ClusterSpec[], basePort: number, bins: LabBinaries, opts: UpOptions): LabState {
  const id = newLabId();
  const network: NetworkState | undefined = opts.network
    ? { plan: planNetwork(id, clusters, opts.nodesPerMember ?? DEFAULT_NODES_PER_MEMBER), router: opts.router ?? 'bird', proxyMode: opts.proxyMode ?? 'iptables', processes: {} }
    : undefined;
  return {
    version: LAB_STATE_VERSION,
    id,
    ...(network ? { network } : {}),
    dir,
    kubernetesVersion: KUBERNETES_VERSION,
    binDir: bins.dir,
    basePort,
    createdAt: new Date().toISOString(),
    clusters: clusters.map((c) => {
      const ports = clusterPorts(basePort, c.index);
      return { ...c, ports, server: apiserverURL(ports), kubeconfig: join(dir, `${c.name}.kubeconfig`), processes: {} };
    }),
  };
}

/** Ports a (re)start needs that something other than this lab already holds. */
async function foreignPorts(state: LabState): Promise<{ cluster: string; port: number }[]> {
  const out: { cluster: string; port: number }[] = [];
  for (const c of state.clusters) {
    const ours = Object.values(c.processes).some((p) => p && isRunning(p));
    if (ours) continue; // a running component of ours holds its own ports
    for (const port of await takenPorts(portsOf(c.ports))) out.push({ cluster: c.name, port });
  }
  return out;
}

/**
 * Start the lab, or finish starting it: components already running are left alone, missing ones
 * are started, certificates and data are reused. On failure everything this call started is
 * stopped again, and a lab that did not exist before is removed.
 */
export async function labUp(opts: UpOptions = {}): Promise<LabState> {
  const dir = labDir(opts.dir);
  const progress = opts.progress ?? (() => {});
  // Read before locking: a directory that is not a lab is refused before the lock file is
  // written into it, and a failed first `up` knows it may remove what it made.
  const existingBefore = await readState(dir);
  const unlock = await lockDir(dir);
  const started: ProcessRecord[] = [];
  let state: LabState | undefined;
  try {
    const previous = await readState(dir);
    if (previous && opts.members !== undefined) {
      const wanted = formatMembers(parseMembers(opts.members));
      const running = formatMembers(previous.clusters);
      if (wanted !== running) {
        throw new FleetlbError(ErrorCodes.LAB_CONFIG_CHANGED, `The lab in ${dir} has members ${running}; to use ${wanted} run 'fleetlb lab down --dir ${dir}' first.`);
      }
    }
    if (previous && opts.basePort !== undefined && opts.basePort !== previous.basePort) {
      throw new FleetlbError(ErrorCodes.LAB_CONFIG_CHANGED, `The lab in ${dir} uses base port ${previous.basePort}; run 'fleetlb lab down --dir ${dir}' first to change it.`);
    }
    const clusters = previous ? previous.clusters : parseMembers(opts.members ?? DEFAULT_MEMBERS);
    const wantNetwork = opts.network ?? isRoot();
    if (wantNetwork && !isRoot()) {
      throw new FleetlbError(ErrorCodes.LAB_NEEDS_ROOT, 'The lab network (namespaces, nodes, router) needs root: run as root, or pass --no-network for control planes only.');
    }
    if (previous) {
      const changed = (what: string, now: unknown, before: unknown) => {
        if (now !== undefined && now !== before) {
          throw new FleetlbError(ErrorCodes.LAB_CONFIG_CHANGED, `The lab in ${dir} runs with ${what} ${String(before)}; run 'fleetlb lab down --dir ${dir}' first to change it.`);
        }
      };
      changed('network', opts.network, previous.network !== undefined);
      changed('router', opts.router, previous.network?.router);
      changed('proxy mode', opts.proxyMode, previous.network?.proxyMode);
      changed('nodes per member', opts.nodesPerMember, previous.network ? Math.max(...previous.network.plan.nodes.map((n) => n.index + 1)) : undefined);
    }
    const bins = await resolveLabBinaries({ progress });

    if (previous) {
      state = { ...previous, binDir: bins.dir };
    } else {
      let base = opts.basePort;
      if (base !== undefined) {
        if (!Number.isInteger(base) || base < 1024 || base + clusters.length * 10 > 65535) {
          throw new FleetlbError(ErrorCodes.CLI_USAGE, `--base-port ${base} is not usable: give a port between 1024 and ${65535 - clusters.length * 10}.`);
        }
      } else {
        base = await findFreeBase(dir, clusters.length, portList);
      }
      state = newState(dir, clusters, base, bins, { ...opts, network: wantNetwork });
    }
    const foreign = await foreignPorts(state);
    if (foreign.length > 0) {
      const list = foreign.map((f) => `${f.port} (${f.cluster})`).join(', ');
      throw new FleetlbError(
        ErrorCodes.LAB_PORT_IN_USE,
        `Port${foreign.length > 1 ? 's' : ''} ${list} on 127.0.0.1 ${foreign.length > 1 ? 'are' : 'is'} already in use by another program: stop it, or choose other ports with 'fleetlb lab down --dir ${dir}' and 'up --base-port N'.`,
      );
    }
    await mkdir(join(dir, 'logs'), { recursive: true });
    await writeState(state);
    const save = stateWriter(state);
    const s = state;
    progress(`starting ${s.clusters.length} control planes (Kubernetes ${s.kubernetesVersion}) in ${dir}`);
    const admins = await Promise.all(s.clusters.map((c) => preparePki(c, dir)));
    const results = await Promise.allSettled(s.clusters.map((c) => startCluster(c, s, bins, started, save, progress)));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
    await save();
    for (const [i, c] of s.clusters.entries()) {
      const admin = admins[i];
      if (admin) await writeFile(c.kubeconfig, kubeconfigYaml([admin], c.name), { mode: 0o600 });
    }
    await writeFile(join(dir, MERGED_KUBECONFIG), kubeconfigYaml(admins, 'hub'), { mode: 0o600 });
    await Promise.all(s.clusters.map((c) => waitAcceptsPods(c)));
    if (s.network) await startNetwork(s, s.network, started, save, progress);
    await save();
    return s;
  } catch (err) {
    // Leave nothing half-started: stop what this call started, newest first.
    await Promise.all(started.reverse().map((p) => stopProcess(p)));
    if (!existingBefore) {
      if (state?.network) await destroyNetwork(state.id);
      await removeLabFiles(dir, { keepLogs: true });
    } else if (state) {
      for (const c of state.clusters) {
        for (const k of COMPONENTS) {
          const rec = c.processes[k];
          if (rec && !isRunning(rec)) delete c.processes[k];
        }
      }
      for (const [k, rec] of Object.entries(state.network?.processes ?? {})) if (!isRunning(rec)) delete state.network?.processes[k];
      await writeState(state).catch(() => {});
    }
    throw err;
  } finally {
    await unlock();
  }
}

async function removeLabFiles(dir: string, opts: { keepLogs: boolean }): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return;
  }
  await Promise.all(entries.filter((e) => !(opts.keepLogs && e === 'logs') && e !== '.lock').map((e) => rm(join(dir, e), { recursive: true, force: true })));
}

export interface DownOptions {
  dir?: string;
  /** Keep DIR/logs for reading after the lab is gone. */
  keepLogs?: boolean;
  progress?: Progress;
}

/** Stop every process the lab started, by PID, and remove the lab directory. */
export async function labDown(opts: DownOptions = {}): Promise<{ stopped: number }> {
  const dir = labDir(opts.dir);
  const progress = opts.progress ?? (() => {});
  const state = await readState(dir);
  if (!state) {
    progress(`no lab in ${dir}; nothing to stop`);
    await rm(join(dir, 'logs'), { recursive: true, force: opts.keepLogs !== true }).catch(() => {});
    return { stopped: 0 };
  }
  const unlock = await lockDir(dir);
  let stopped = 0;
  try {
    // Node agents stop their pods while the API servers still answer.
    if (state.network) stopped += await stopNetworkProcesses(state.network);
    // Reverse start order in every cluster: scheduler and controller-manager, apiserver, etcd.
    for (const component of [...COMPONENTS].reverse()) {
      await Promise.all(
        state.clusters.map(async (c) => {
          const rec = c.processes[component];
          if (rec && isRunning(rec)) {
            await stopProcess(rec);
            stopped++;
          }
        }),
      );
    }
    if (state.network) {
      const swept = await destroyNetwork(state.id);
      if (swept.strays.length > 0) progress(`ended ${swept.strays.length} stray processes in the lab's namespaces`);
    }
    const left = allProcesses(state).filter(isRunning);
    if (left.length > 0) {
      throw new FleetlbError(ErrorCodes.LAB_START_FAILED, `Processes ${left.map((p) => p.pid).join(', ')} did not stop; kill them by PID and run 'fleetlb lab down' again.`);
    }
    await removeLabFiles(dir, { keepLogs: opts.keepLogs === true });
  } finally {
    await unlock();
  }
  if (opts.keepLogs !== true) await rm(dir, { recursive: true, force: true });
  progress(`stopped ${stopped} processes and removed ${opts.keepLogs ? 'the lab (logs kept) in ' : ''}${dir}`);
  return { stopped };
}

export interface ComponentStatus {
  cluster: string;
  component: Component | string;
  pid?: number;
  running: boolean;
  healthy: boolean;
  detail: string;
  endpoint: string;
}

export async function labStatus(opts: { dir?: string } = {}): Promise<{ state: LabState; components: ComponentStatus[] }> {
  const dir = labDir(opts.dir);
  const state = await readState(dir);
  if (!state) throw new FleetlbError(ErrorCodes.LAB_NOT_RUNNING, `There is no lab in ${dir}: start one with 'fleetlb lab up --dir ${dir}'.`);
  const components = await Promise.all(
    state.clusters.flatMap((c) =>
      COMPONENTS.map(async (component): Promise<ComponentStatus> => {
        const rec = c.processes[component];
        const running = rec !== undefined && isRunning(rec);
        const h = running ? await componentHealth(c, component, dir) : { ok: false, detail: 'not running' };
        return { cluster: c.name, component, pid: rec?.pid, running, healthy: h.ok, detail: h.detail, endpoint: healthURL(component, c.ports) };
      }),
    ),
  );
  for (const [key, rec] of Object.entries(state.network?.processes ?? {})) {
    const [owner = 'lab', what = key] = key.includes('.') ? key.split(/\.(.*)/s) : ['lab', key];
    const node = state.network?.plan.nodes.find((n) => n.name === owner);
    const running = isRunning(rec);
    components.push({
      cluster: node?.cluster ?? 'lab',
      component: node ? `${what} (${node.name})` : key,
      pid: rec.pid,
      running,
      healthy: running,
      detail: running ? 'ok' : 'not running',
      endpoint: node ? node.netns : key.startsWith('router') ? (state.network?.plan.router.netns ?? '') : 'host',
    });
  }
  return { state, components };
}

/** Shell lines that point kubectl at the lab. */
export function envLines(state: LabState): string[] {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const lines = [
    `export FLEETLB_LAB_DIR=${q(state.dir)}`,
    `export PATH=${q(state.binDir)}:"$PATH"`,
    `export KUBECONFIG=${q(join(state.dir, MERGED_KUBECONFIG))}`,
    // kubectl's discovery cache stays inside the lab directory.
    `export KUBECACHEDIR=${q(join(state.dir, 'kube-cache'))}`,
  ];
  for (const c of state.clusters) lines.push(`export FLEETLB_KUBECONFIG_${c.name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}=${q(c.kubeconfig)}`);
  return lines;
}

export async function labEnv(opts: { dir?: string } = {}): Promise<string[]> {
  const dir = labDir(opts.dir);
  const state = await readState(dir);
  if (!state) throw new FleetlbError(ErrorCodes.LAB_NOT_RUNNING, `There is no lab in ${dir}: start one with 'fleetlb lab up --dir ${dir}'.`);
  return envLines(state);
}

export { isFleetlbError };
