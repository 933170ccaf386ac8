import { spawn } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { ErrorCodes, FleetlbError } from '../runtime/errors.js';
import { KubeClient } from '../runtime/kube-client.js';
import { labDir } from './lab.js';
import { setUpMemberships } from './memberships.js';
import { unavailableWorkloads } from '../operator/workloads.js';
import { readState, type ClusterState, type LabState } from './state.js';
import { repoRoot } from '../runtime/repo-root.js';

/**
 * `fleetlb lab deploy`: fleetlb installed into the lab the way a user installs it — `kubectl
 * apply` of `crds/` and `deploy/` — then waits until every workload is available. `deploy/` is
 * laid out by where things run: files directly in `deploy/` go to every cluster, `deploy/hub/`
 * to the hub, every other folder (member-agent, speaker, …) to each member. Then each member joins
 * the hub: a MemberCluster and a hub credential for its agent (lab/memberships.ts).
 */

export const FLEETLB_NAMESPACE = 'fleetlb-system';

export interface DeployPlan {
  cluster: string;
  paths: string[];
}

const yamlFiles = async (dir: string) =>
  (await readdir(dir).catch(() => [] as string[])).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(dir, f));

/** What each cluster gets, in apply order: CRDs, shared manifests, then its role's folders. */
export async function deployPlan(state: LabState, root = repoRoot()): Promise<DeployPlan[]> {
  const deploy = join(root, 'deploy');
  const entries = await readdir(deploy).catch(() => [] as string[]);
  const folders: string[] = [];
  for (const e of entries.sort()) if ((await stat(join(deploy, e))).isDirectory()) folders.push(e);
  const shared = await yamlFiles(deploy);
  const crds = await yamlFiles(join(root, 'crds'));
  const plans: DeployPlan[] = [];
  for (const c of state.clusters) {
    const roleFolders = c.role === 'hub' ? folders.filter((f) => f === 'hub') : folders.filter((f) => f !== 'hub');
    const paths = [...crds, ...shared];
    for (const f of roleFolders) paths.push(...(await yamlFiles(join(deploy, f))));
    plans.push({ cluster: c.name, paths });
  }
  return plans;
}

function kubectl(state: LabState, c: ClusterState, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(state.binDir, 'kubectl'), ['--kubeconfig', c.kubeconfig, ...args], {
      env: { ...process.env, KUBECACHEDIR: join(state.dir, 'kube-cache') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

/**
 * Every CRD Established and its objects listable. Established is not enough: the API server
 * answers 503 "storage is (re)initializing" until a new CRD's watch cache has filled, which on a
 * loaded machine took longer than a client's patience (seen in CI).
 */
export async function crdsServing(state: LabState, c: ClusterState, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // Only CustomResourceDefinitions become Established (crds/ also holds an admission policy).
  const w = await kubectl(state, c, ['wait', '--for=condition=Established', `--timeout=${Math.round(timeoutMs / 1000)}s`, 'crd', '--all']);
  if (w.code !== 0) throw new FleetlbError(ErrorCodes.LAB_START_FAILED, `fleetlb's CRDs did not become Established in ${c.name}.`, { details: w.out.trim().split('\n').slice(-5) });
  const names = await kubectl(state, c, ['get', 'crd', '-o', 'jsonpath={range .items[*]}{.spec.names.plural}.{.spec.group}{"\\n"}{end}']);
  const resources = names.out.split('\n').filter(Boolean).join(',');
  if (names.code !== 0 || !resources) return;
  for (;;) {
    const r = await kubectl(state, c, ['get', resources, '--all-namespaces', '-o', 'name']);
    if (r.code === 0) return;
    if (Date.now() > deadline) throw new FleetlbError(ErrorCodes.LAB_START_FAILED, `fleetlb's CRDs in ${c.name} do not serve yet.`, { details: r.out.trim().split('\n').slice(-5) });
    await sleep(500);
  }
}

/** Apply crds/ to one lab cluster (idempotent, forcing ownership: suites share the CRDs) and wait until they serve. */
export async function installCrds(state: LabState, cluster: string, root = repoRoot()): Promise<void> {
  const c = state.clusters.find((x) => x.name === cluster);
  if (!c) throw new FleetlbError(ErrorCodes.LAB_NOT_RUNNING, `The lab in ${state.dir} has no cluster ${cluster}.`);
  const r = await kubectl(state, c, ['apply', '--server-side', '--force-conflicts', '--field-manager=fleetlb-crds-test', '-f', join(root, 'crds')]);
  if (r.code !== 0) throw new FleetlbError(ErrorCodes.LAB_START_FAILED, `Applying crds/ to ${cluster} failed: read kubectl's answer below.`, { details: r.out.trim().split('\n').slice(-10) });
  await crdsServing(state, c);
}

/** Workloads in fleetlb-system that are not available yet, as `kind/name (have/want)`. */
async function unavailable(c: ClusterState): Promise<string[]> {
  const kc = new KubeConfig();
  kc.loadFromFile(c.kubeconfig);
  const client = new KubeClient(kc, { fieldManager: 'fleetlb-lab' });
  try {
    return await unavailableWorkloads(client, FLEETLB_NAMESPACE);
  } finally {
    client.close();
  }
}

export async function labDeploy(opts: { dir?: string; timeoutMs?: number; progress?: (l: string) => void } = {}): Promise<void> {
  const dir = labDir(opts.dir);
  const progress = opts.progress ?? (() => {});
  const state = await readState(dir);
  if (!state) throw new FleetlbError(ErrorCodes.LAB_NOT_RUNNING, `There is no lab in ${dir}: start one with 'fleetlb lab up --dir ${dir}'.`);
  if (!state.network) {
    throw new FleetlbError(ErrorCodes.LAB_NEEDS_ROOT, `The lab in ${dir} has no nodes to run fleetlb on (it has no network): start it as root without --no-network.`);
  }
  for (const plan of await deployPlan(state)) {
    const c = state.clusters.find((x) => x.name === plan.cluster);
    if (!c || plan.paths.length === 0) continue;
    // CRDs first and established, so the custom objects after them find their kinds.
    const crds = plan.paths.filter((p) => p.includes('/crds/'));
    const rest = plan.paths.filter((p) => !p.includes('/crds/'));
    for (const batch of [crds, rest]) {
      if (batch.length === 0) continue;
      const r = await kubectl(state, c, ['apply', '--server-side', '--force-conflicts', '--field-manager=fleetlb-lab-deploy', ...batch.flatMap((p) => ['-f', p])]);
      if (r.code !== 0) throw new FleetlbError(ErrorCodes.LAB_START_FAILED, `Applying fleetlb to ${c.name} failed: read kubectl's answer below.`, { details: r.out.trim().split('\n').slice(-10) });
      if (batch === crds) await crdsServing(state, c);
    }
    progress(`${c.name}: applied ${plan.paths.length} files`);
  }
  await setUpMemberships(state, progress);
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let waiting: string[];
  for (;;) {
    waiting = [];
    for (const c of state.clusters) for (const w of await unavailable(c)) waiting.push(`${c.name} ${w}`);
    if (waiting.length === 0 || Date.now() >= deadline) break;
    await sleep(500);
  }
  if (waiting.length > 0) {
    throw new FleetlbError(ErrorCodes.LAB_START_FAILED, `fleetlb's workloads did not become available: ${waiting.join(', ')}; see ${join(dir, 'logs', 'pods')}.`);
  }
  progress('every fleetlb workload is available');
}
