import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import type { NetworkState } from '../../lab/lab-network.js';
import { isRoot } from '../../lab/netns.js';
import { installCrds } from '../../lab/deploy.js';
import { readState, type ClusterState, type LabState } from '../../lab/state.js';
import { TEST_LAB_DIR_ENV } from './lab-env.js';
import { repoRoot } from '../../runtime/repo-root.js';
import { runCommand, type CommandResult } from '../../lab/run-command.js';

export { runCommand, type CommandResult };

/**
 * The test API over the shared lab: kubeconfigs, typed clients and kubectl for each cluster.
 * Integration tests get everything through here, never by reading lab files themselves.
 */

type ApiConstructor<T extends k8s.ApiType> = new (config: k8s.Configuration) => T;

export class TestLab {
  constructor(readonly state: LabState) {}

  get dir(): string {
    return this.state.dir;
  }

  get hub(): ClusterState {
    return this.cluster('hub');
  }

  get members(): ClusterState[] {
    return this.state.clusters.filter((c) => c.role === 'member');
  }

  cluster(name: string): ClusterState {
    const c = this.state.clusters.find((x) => x.name === name);
    if (!c) throw new Error(`the test lab has no cluster ${name} (it has ${this.state.clusters.map((x) => x.name).join(', ')})`);
    return c;
  }

  kubeconfigPath(name: string): string {
    return this.cluster(name).kubeconfig;
  }

  kubeConfig(name: string): k8s.KubeConfig {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(this.kubeconfigPath(name));
    return kc;
  }

  api<T extends k8s.ApiType>(name: string, api: ApiConstructor<T>): T {
    return this.kubeConfig(name).makeApiClient(api);
  }

  /** Run the lab's kubectl against one cluster; never throws for a non-zero exit. */
  kubectl(name: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
    return runCommand(join(this.state.binDir, 'kubectl'), ['--kubeconfig', this.kubeconfigPath(name), ...args], {
      ...opts,
      env: { KUBECACHEDIR: join(this.dir, 'kube-cache') },
      timeoutMs: opts.timeoutMs ?? 60_000,
    });
  }

  /** The lab network, or undefined when the lab runs without one (not root). */
  get network(): NetworkState | undefined {
    return this.state.network;
  }

  /** Run a command inside a lab namespace: 'client', 'router', 'lan' or a node name. */
  exec(where: string, command: string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<CommandResult> {
    const net = this.state.network;
    if (!net) throw new Error('the test lab has no network (not root?)');
    const named: Record<string, string> = { client: net.plan.client.netns, router: net.plan.router.netns, lan: net.plan.lanNetns };
    for (const n of net.plan.nodes) named[n.name] = n.netns;
    const netns = named[where];
    if (!netns) throw new Error(`no lab namespace ${where}`);
    return runCommand('ip', ['netns', 'exec', netns, ...command], { input: opts.input, timeoutMs: opts.timeoutMs ?? 30_000 });
  }

  /** crds/ applied to one cluster (idempotent; suites share them), Established and serving. */
  installCrds(name: string): Promise<void> {
    return installCrds(this.state, name);
  }

  /** `kubectl apply -f -` with the given manifest text. */
  apply(name: string, manifest: string, extra: string[] = []): Promise<CommandResult> {
    return this.kubectl(name, ['apply', '-f', '-', ...extra], { input: manifest });
  }
}

let shared: Promise<TestLab> | undefined;

/** The lab that jest's global setup started for this run. */
export function testLab(): Promise<TestLab> {
  shared ??= (async () => {
    const dir = process.env[TEST_LAB_DIR_ENV];
    if (!dir) throw new Error(`${TEST_LAB_DIR_ENV} is not set: integration tests run through jest's global setup (npm test)`);
    const state = await readState(dir);
    if (!state) throw new Error(`no lab is running in ${dir}`);
    return new TestLab(state);
  })();
  return shared;
}

/** A name unique to this test run, for namespaces and objects (DNS-label safe). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/** Poll `check` until it returns a value other than undefined, or fail after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}


/** Run the built `fleetlb` command as a user would; never throws for a non-zero exit. */
export function fleetlb(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CommandResult> {
  return runCommand(process.execPath, [join(repoRoot(), 'bin', 'fleetlb.js'), ...args], { env: opts.env, timeoutMs: opts.timeoutMs ?? 240_000 });
}

/**
 * `describe` for suites that need root (network namespaces); without root they are reported as
 * skipped — never as passed — with the reason printed once.
 */
export function describeAsRoot(name: string, fn: () => void): void {
  if (isRoot()) {
    describe(name, fn);
    return;
  }
  process.stderr.write(`skipping "${name}": it needs root to create network namespaces\n`);
  describe.skip(`${name} (needs root)`, fn);
}

/**
 * A fleet of its own (the default members, or `members` as NAME=LOCATION pairs) with fleetlb deployed, for suites whose deployed
 * controllers would act on other suites' objects in the shared lab: the deployed allocator serves
 * every class-less Service and the deployed hub judges every MemberCluster.
 */
export async function ownDeployedFleet(prefix: string, opts: { members?: string } = {}): Promise<{ lab: TestLab; down: () => Promise<void> }> {
  const { mkdtemp, chmod, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { labUp, labDown } = await import('../../lab/lab.js');
  const { labDeploy } = await import('../../lab/deploy.js');
  const dir = await mkdtemp(join(tmpdir(), `fleetlb-${prefix}-`));
  await chmod(dir, 0o755);
  const down = async () => {
    await labDown({ dir }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const state = await labUp({ dir, ...(opts.members ? { members: opts.members } : {}) });
    await labDeploy({ dir });
    return { lab: new TestLab(state), down };
  } catch (err) {
    await down();
    throw err;
  }
}
