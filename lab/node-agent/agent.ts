import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { kubeconfigYaml } from '../kubeconfig.js';
import { podAddress } from '../network-plan.js';
import { Controller, type ReconcileResult } from '../../runtime/controller.js';
import { Informer } from '../../runtime/informer.js';
import { isConflict, isNotFound, type KubeClient } from '../../runtime/kube-client.js';
import type { Logger } from '../../runtime/logger.js';
import { CoreResources, type KubeObject } from '../../runtime/resource.js';
import type { AgentConfig } from './config.js';
import { leaseSpec, nodeManifest, nodeStatus } from './node-object.js';
import { containerKind, fleetlbArgs, podStatus, probePort, resolveEnv, type Container, type ObservedContainer, type Pod, type PodFacts } from './pod-plan.js';
import { createSandbox, leftoverSandboxes, removeSandbox } from './sandbox.js';

/**
 * The lab's kubelet stand-in for one node: registers the Node, heartbeats through its Lease,
 * and runs every Pod bound to the node as processes — in a namespace of its own with an address
 * from the node's pod CIDRs, or in the node's namespace for hostNetwork pods — keeping the Pod
 * status true. Pods with fleetlb's image run the `fleetlb` command with the Pod's arguments and
 * environment, authenticated as the Pod's ServiceAccount (a bound token from TokenRequest).
 */

interface LocalContainer {
  spec: Container;
  proc?: ChildProcess;
  pid?: number;
  startedAt?: string;
  restarts: number;
  ready: boolean;
  listening: boolean;
  lastExit?: { exitCode: number; startedAt?: string; finishedAt: string };
  nextStartAt: number;
  waitingReason?: string;
  waitingMessage?: string;
  nextProbeAt: number;
  log?: WriteStream;
}

interface LocalPod {
  key: string;
  uid: string;
  ordinal?: number;
  netns?: string;
  ips: string[];
  hostNetwork: boolean;
  startTime: string;
  containers: Map<string, LocalContainer>;
  kubeconfig?: string;
  lastStatus?: string;
}

const time = (d: Date = new Date()) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export class NodeAgent {
  private readonly pods = new Map<string, LocalPod>();
  private readonly ordinals = new Set<number>();
  private readonly informer: Informer<Pod & KubeObject>;
  private readonly controller: Controller;
  private readonly bootID = randomUUID();
  private timers: NodeJS.Timeout[] = [];
  private stopping = false;

  constructor(
    private readonly cfg: AgentConfig,
    private readonly client: KubeClient,
    private readonly log: Logger,
  ) {
    this.informer = new Informer<Pod & KubeObject>({ client, resource: CoreResources.pods, fieldSelector: `spec.nodeName=${cfg.node.name}`, log, idleTimeoutMs: 90_000 });
    this.controller = new Controller({ name: `node-agent-${cfg.node.name}`, reconciler: { reconcile: (req) => this.reconcile(req.namespace ? `${req.namespace}/${req.name}` : req.name) }, concurrency: 4, log });
    this.controller.watch(this.informer);
  }

  private get facts(): Omit<PodFacts, 'podIPs'> {
    return { nodeName: this.cfg.node.name, hostIPs: [this.cfg.node.lan.v4, this.cfg.node.lan.v6] };
  }

  async start(): Promise<void> {
    // A previous agent on this node may have left pod namespaces; their pods start afresh.
    for (const ns of await leftoverSandboxes(`${this.cfg.node.netns}-p`)) await removeSandbox({ netns: ns });
    await mkdir(this.cfg.podLogDir, { recursive: true });
    await this.register();
    await this.heartbeat();
    this.timers.push(setInterval(() => void this.heartbeat().catch((e: Error) => this.log.warn('lease renewal failed', { error: e.message })), 10_000));
    this.timers.push(setInterval(() => void this.postStatus().catch((e: Error) => this.log.warn('node status update failed', { error: e.message })), 30_000));
    this.timers.push(setInterval(() => void this.probeAll(), 500));
    await this.informer.start();
    this.controller.start();
    this.log.info('node agent running', { node: this.cfg.node.name, podCIDRs: this.cfg.node.podCIDRs });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    await this.controller.stop();
    await this.informer.stop();
    await Promise.all([...this.pods.values()].map((p) => this.teardown(p)));
  }

  private async register(): Promise<void> {
    const manifest = { ...nodeManifest(this.cfg), status: nodeStatus(this.cfg, new Date(), this.bootID) };
    try {
      await this.client.create(CoreResources.nodes, manifest);
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
    await this.postStatus();
  }

  private async postStatus(): Promise<void> {
    await this.client.mergePatch(CoreResources.nodes, this.cfg.node.name, undefined, { status: nodeStatus(this.cfg, new Date(), this.bootID) }, 'status');
  }

  private async heartbeat(): Promise<void> {
    const ns = 'kube-node-lease';
    const name = this.cfg.node.name;
    const lease = await this.client.find<KubeObject & { spec?: object }>(CoreResources.leases, name, ns);
    if (!lease) {
      await this.client.create(CoreResources.leases, { metadata: { name, namespace: ns }, spec: leaseSpec(this.cfg, new Date()) });
      return;
    }
    await this.client.replace(CoreResources.leases, { ...lease, spec: { ...lease.spec, ...leaseSpec(this.cfg, new Date()) } });
  }

  private async reconcile(key: string): Promise<ReconcileResult> {
    if (this.stopping) return;
    const pod = this.informer.get(key);
    let local = this.pods.get(key);
    if (local && pod && local.uid !== pod.metadata.uid) {
      await this.teardown(local);
      local = undefined;
    }
    if (!pod) {
      if (local) await this.teardown(local);
      return;
    }
    if (pod.metadata.deletionTimestamp) {
      if (local) await this.teardown(local, pod.spec?.terminationGracePeriodSeconds);
      // The kubelet confirms a graceful deletion once the containers are gone.
      await this.client.request('DELETE', `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`, {
        body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } },
      }).catch((err: unknown) => {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      });
      return;
    }
    if (!local) {
      if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
      local = await this.admit(pod);
    }
    // Credentials may fail at first (the node authorizer has not yet seen the pod bound to us):
    // never start a fleetlb container without them; the failed reconcile is retried.
    if (!local.kubeconfig && (pod.spec?.containers ?? []).some((c) => containerKind(c.image) === 'fleetlb')) local.kubeconfig = await this.podCredentials(pod);
    let requeueAfterMs = 0;
    const policy = pod.spec?.restartPolicy ?? 'Always';
    for (const c of local.containers.values()) {
      if (c.proc) continue;
      const mayRestart = !c.lastExit || policy === 'Always' || (policy === 'OnFailure' && c.lastExit.exitCode !== 0);
      if (!mayRestart) continue;
      const wait = c.nextStartAt - Date.now();
      if (wait > 0) {
        requeueAfterMs = requeueAfterMs ? Math.min(requeueAfterMs, wait) : wait;
        continue;
      }
      await this.startContainer(pod, local, c);
    }
    await this.report(pod, local);
    return requeueAfterMs > 0 ? { requeueAfterMs } : undefined;
  }

  /** Set up a new pod: its addresses, sandbox and (for fleetlb containers) credentials. */
  private async admit(pod: Pod): Promise<LocalPod> {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const hostNetwork = pod.spec?.hostNetwork === true;
    const local: LocalPod = {
      key,
      uid: pod.metadata.uid ?? '',
      ips: [],
      hostNetwork,
      startTime: time(),
      containers: new Map((pod.spec?.containers ?? []).map((c) => [c.name, { spec: c, restarts: 0, ready: false, listening: false, nextStartAt: 0, nextProbeAt: 0 }])),
    };
    this.pods.set(key, local);
    if (hostNetwork) {
      local.ips = [this.cfg.node.lan.v4, this.cfg.node.lan.v6];
    } else {
      const ordinal = this.ordinalFor(pod);
      local.ordinal = ordinal;
      const addr = podAddress(this.cfg.node, ordinal);
      local.ips = [addr.v4, addr.v6];
      local.netns = `${this.cfg.node.netns}-p${ordinal}`;
      await createSandbox({ netns: local.netns, veth: `vp${ordinal}`, ips: local.ips });
    }
    return local;
  }

  /** Keep a pod's address across agent restarts when its status still names one of ours. */
  private ordinalFor(pod: Pod): number {
    for (let n = 0; n < 253; n++) {
      const a = podAddress(this.cfg.node, n);
      if (pod.status?.podIP === a.v4 && !this.ordinals.has(n)) {
        this.ordinals.add(n);
        return n;
      }
    }
    for (let n = 0; n < 253; n++) {
      if (!this.ordinals.has(n)) {
        this.ordinals.add(n);
        return n;
      }
    }
    throw new Error(`node ${this.cfg.node.name} has no free pod address`);
  }

  /** A kubeconfig holding a token bound to this pod, as a projected service-account token. */
  private async podCredentials(pod: Pod): Promise<string> {
    const sa = pod.spec?.serviceAccountName ?? 'default';
    const tr = await this.client.request<{ status?: { token?: string } }>('POST', `/api/v1/namespaces/${pod.metadata.namespace}/serviceaccounts/${sa}/token`, {
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        // A lab lives hours, not weeks; a long-lived bound token spares the agent a rotation.
        spec: { expirationSeconds: 7 * 24 * 3600, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid } },
      },
    });
    const token = tr.status?.token;
    if (!token) throw new Error(`no token issued for service account ${pod.metadata.namespace}/${sa}`);
    const ca = await readFile(this.cfg.apiserver.caFile, 'utf8');
    const dir = join(this.cfg.stateDir, 'pods', pod.metadata.uid ?? 'unknown');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, 'kubeconfig');
    const server = `https://${this.cfg.apiserver.address}:${this.cfg.apiserver.port}`;
    await writeFile(file, kubeconfigYaml([{ name: this.cfg.cluster, server, caPem: ca, token }], this.cfg.cluster), { mode: 0o600 });
    return file;
  }

  private async startContainer(pod: Pod, local: LocalPod, c: LocalContainer): Promise<void> {
    const kind = containerKind(c.spec.image);
    const facts: PodFacts = { ...this.facts, podIPs: local.ips };
    const { env, unsupported } = resolveEnv(c.spec, pod, facts);
    if (unsupported.length > 0) this.log.warn('environment sources the lab does not support', { pod: local.key, container: c.spec.name, unsupported });
    const logFile = join(this.cfg.podLogDir, `${pod.metadata.namespace}_${pod.metadata.name}_${c.spec.name}.log`);
    c.log ??= createWriteStream(logFile, { flags: 'a' });
    let argv: string[];
    const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_OPTIONS: '', ...env };
    if (kind === 'fleetlb') {
      argv = [process.execPath, join(this.cfg.repoRoot, 'bin', 'fleetlb.js'), ...fleetlbArgs(c.spec)];
      childEnv.KUBECONFIG = local.kubeconfig;
      childEnv.KUBERNETES_SERVICE_HOST = this.cfg.apiserver.address;
      childEnv.KUBERNETES_SERVICE_PORT = String(this.cfg.apiserver.port);
    } else {
      argv = [process.execPath, join(this.cfg.repoRoot, 'dist', 'lab', 'pod-backend', 'main.js')];
      Object.assign(childEnv, {
        LAB_POD: pod.metadata.name,
        LAB_NAMESPACE: pod.metadata.namespace,
        LAB_NODE: this.cfg.node.name,
        LAB_CLUSTER: this.cfg.cluster,
        LAB_ADDRS: local.ips.join(','),
        LAB_IMAGE: c.spec.image,
        LAB_PORTS: (c.spec.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`).join(','),
      });
    }
    const [cmd, ...args] = local.netns ? ['ip', 'netns', 'exec', local.netns, ...argv] : argv;
    const proc = spawn(cmd as string, args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    c.proc = proc;
    c.pid = proc.pid;
    c.startedAt = time();
    c.listening = kind === 'fleetlb';
    c.ready = false;
    c.waitingReason = undefined;
    c.nextProbeAt = Date.now() + (c.spec.readinessProbe?.initialDelaySeconds ?? 0) * 1000;
    proc.stderr?.pipe(c.log, { end: false });
    proc.stdout?.on('data', (d: Buffer) => {
      c.log?.write(d);
      if (!c.listening && d.toString().includes('listening')) {
        c.listening = true;
        this.controller.enqueue(local.key);
      }
    });
    proc.on('error', (err) => {
      c.waitingReason = 'StartError';
      c.waitingMessage = err.message;
    });
    proc.on('exit', (code, signal) => {
      if (c.proc !== proc) return;
      c.proc = undefined;
      c.ready = false;
      c.lastExit = { exitCode: code ?? (signal ? 128 + 9 : 1), startedAt: c.startedAt, finishedAt: time() };
      c.restarts++;
      // Crash-loop backoff, shorter than a kubelet's so a lab recovers in seconds.
      c.nextStartAt = Date.now() + Math.min(30_000, 500 * 2 ** Math.min(c.restarts - 1, 6));
      c.waitingReason = 'CrashLoopBackOff';
      c.waitingMessage = `exited with ${code ?? signal}; see ${logFile}`;
      if (!this.stopping) this.controller.enqueue(local.key);
    });
    this.log.info('container started', { pod: local.key, container: c.spec.name, kind, pid: proc.pid, netns: local.netns ?? 'node' });
  }

  private observed(local: LocalPod): ObservedContainer[] {
    return [...local.containers.values()].map((c) => ({
      name: c.spec.name,
      image: c.spec.image,
      running: c.proc !== undefined,
      ready: c.proc !== undefined && c.ready,
      pid: c.pid,
      startedAt: c.startedAt,
      restartCount: Math.max(0, c.restarts),
      waitingReason: c.proc ? undefined : c.waitingReason,
      waitingMessage: c.proc ? undefined : c.waitingMessage,
      lastExit: c.lastExit,
    }));
  }

  private async report(pod: Pod, local: LocalPod): Promise<void> {
    const status = podStatus(pod, this.observed(local), { ...this.facts, podIPs: local.ips }, local.startTime, new Date());
    const text = JSON.stringify({ ...status, conditions: status.conditions.map((c) => [c.type, c.status]) });
    if (text === local.lastStatus) return;
    await this.client.mergePatch(CoreResources.pods, pod.metadata.name ?? '', pod.metadata.namespace, { status }, 'status');
    local.lastStatus = text;
  }

  /** Readiness: probes where the spec has them, else started (and listening, for backends). */
  private async probeAll(): Promise<void> {
    const now = Date.now();
    await Promise.all(
      [...this.pods.values()].flatMap((local) =>
        [...local.containers.values()].map(async (c) => {
          if (!c.proc || now < c.nextProbeAt) return;
          const probe = c.spec.readinessProbe;
          c.nextProbeAt = now + Math.min(2, probe?.periodSeconds ?? 2) * 1000;
          const ready = probe ? await this.probe(local, c.spec) : c.listening;
          if (ready !== c.ready) {
            c.ready = ready;
            this.controller.enqueue(local.key);
          }
        }),
      ),
    );
  }

  private async probe(local: LocalPod, c: Container): Promise<boolean> {
    const p = c.readinessProbe;
    if (!p) return true;
    const host = local.hostNetwork ? '127.0.0.1' : (local.ips[0] ?? '127.0.0.1');
    if (p.httpGet) {
      const port = probePort(p.httpGet.port, c);
      if (!port) return false;
      return new Promise((resolve) => {
        const req = httpRequest({ host, port, path: p.httpGet?.path ?? '/', timeout: 1000 }, (res) => {
          res.resume();
          resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
        });
        req.on('timeout', () => req.destroy());
        req.on('error', () => resolve(false));
        req.end();
      });
    }
    if (p.tcpSocket) {
      const port = probePort(p.tcpSocket.port, c);
      if (!port) return false;
      return new Promise((resolve) => {
        const s = connect({ host, port, timeout: 1000 }, () => (s.destroy(), resolve(true)));
        s.on('error', () => resolve(false)).on('timeout', () => (s.destroy(), resolve(false)));
      });
    }
    return true; // exec probes are not run in the lab
  }

  private async teardown(local: LocalPod, graceSeconds = 5): Promise<void> {
    this.pods.delete(local.key);
    const running = [...local.containers.values()].filter((c) => c.proc);
    for (const c of running) c.proc?.kill('SIGTERM');
    const deadline = Date.now() + Math.min(graceSeconds, 5) * 1000;
    while (running.some((c) => c.proc && c.proc.exitCode === null && c.proc.signalCode === null) && Date.now() < deadline) await sleep(50);
    for (const c of running) if (c.proc && c.proc.exitCode === null) c.proc.kill('SIGKILL');
    for (const c of local.containers.values()) c.log?.end();
    if (local.netns) await removeSandbox({ netns: local.netns });
    if (local.ordinal !== undefined) this.ordinals.delete(local.ordinal);
    if (local.kubeconfig) await rm(join(this.cfg.stateDir, 'pods', local.uid), { recursive: true, force: true });
    this.log.info('pod torn down', { pod: local.key });
  }
}
