import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { Labels } from '../api/labels.js';
import { ServiceL2StatusKind, type ServiceL2Status } from '../api/metallb.js';
import { KubeClient } from '../runtime/kube-client.js';
import { CoreResources, type KubeObject } from '../runtime/resource.js';
import { FLEETLB_NAMESPACE } from './deploy.js';
import type { LabState } from './state.js';

/**
 * Looking at layer-2 announcements in a running lab, for the speaker's end-to-end test and its
 * failover benchmark: which node ServiceL2Status names, MACs, the speaker's process, the router's
 * neighbour entry, and `curl` from the client. Every probe is one bounded command.
 */

/**
 * What the layer-2 test and benchmark announce: a pool (pinned to the namespace) with its
 * L2Advertisement, 3 kuard replicas and a LoadBalancer Service over them.
 */
export function l2DemoManifest(o: { namespace: string; addresses: string[]; dualStack: boolean; localTraffic: boolean }): string {
  return `
apiVersion: v1
kind: Namespace
metadata: {name: ${o.namespace}}
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: ${o.namespace}, namespace: ${FLEETLB_NAMESPACE}}
spec:
  addresses: [${o.addresses.map((a) => JSON.stringify(a)).join(', ')}]
  serviceAllocation: {namespaces: [${o.namespace}]}
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: ${o.namespace}, namespace: ${FLEETLB_NAMESPACE}}
spec: {ipAddressPools: [${o.namespace}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: kuard, namespace: ${o.namespace}}
spec:
  replicas: 3
  selector: {matchLabels: {app: kuard}}
  template:
    metadata: {labels: {app: kuard}}
    spec:
      containers: [{name: kuard, image: gcr.io/kuar-demo/kuard-amd64:blue, ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: kuard, namespace: ${o.namespace}}
spec:
  type: LoadBalancer
  ipFamilyPolicy: ${o.dualStack ? 'RequireDualStack' : 'SingleStack'}
  externalTrafficPolicy: ${o.localTraffic ? 'Local' : 'Cluster'}
  selector: {app: kuard}
  ports: [{port: 80, targetPort: 8080}]
`;
}

interface SpeakerPod extends KubeObject {
  spec?: { nodeName?: string };
  status?: { containerStatuses?: { ready?: boolean; containerID?: string; state?: { running?: unknown } }[] };
}

export class L2Probes {
  readonly client: KubeClient;
  private readonly named: Record<string, string> = {};
  private readonly ports: Record<string, string> = {};

  constructor(
    readonly state: LabState,
    readonly cluster: string,
  ) {
    const net = state.network;
    if (!net) throw new Error('the lab has no network');
    const c = state.clusters.find((x) => x.name === cluster);
    if (!c) throw new Error(`the lab has no cluster ${cluster}`);
    const kc = new KubeConfig();
    kc.loadFromFile(c.kubeconfig);
    this.client = new KubeClient(kc, { fieldManager: 'fleetlb-lab-probes', timeoutMs: 5000 });
    Object.assign(this.named, { client: net.plan.client.netns, router: net.plan.router.netns, lan: net.plan.lanNetns });
    net.plan.nodes.forEach((n, i) => {
      this.named[n.name] = n.netns;
      this.ports[n.name] = `p-node${i}`;
    });
  }

  get nodes(): string[] {
    return (this.state.network?.plan.nodes ?? []).filter((n) => n.cluster === this.cluster).map((n) => n.name);
  }

  /** The lab's kubectl against our cluster; never throws for a non-zero exit. */
  kubectl(args: string[], input?: string): Promise<{ code: number; out: string }> {
    const c = this.state.clusters.find((x) => x.name === this.cluster)!;
    return new Promise((resolve, reject) => {
      const child = spawn(join(this.state.binDir, 'kubectl'), ['--kubeconfig', c.kubeconfig, ...args], { env: { ...process.env, KUBECACHEDIR: join(this.state.dir, 'kube-cache') }, timeout: 150_000 });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? 1, out }));
      child.stdin.on('error', () => {});
      child.stdin.end(input ?? '');
    });
  }

  /** Remove what l2DemoManifest made, waiting for the namespace to go. */
  async removeDemo(namespace: string): Promise<void> {
    await this.kubectl(['delete', 'ns', namespace, '--ignore-not-found', '--timeout=120s']);
    await this.kubectl(['-n', FLEETLB_NAMESPACE, 'delete', 'ipaddresspool,l2advertisement', namespace, '--ignore-not-found']);
  }

  /** Run a command in a lab namespace; never throws for a non-zero exit. */
  exec(where: string, command: string[], timeoutMs = 10_000): Promise<{ code: number; stdout: string; stderr: string }> {
    const netns = this.named[where];
    if (!netns) throw new Error(`no lab namespace ${where}`);
    return new Promise((resolve) => {
      execFile('ip', ['netns', 'exec', netns, ...command], { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      });
    });
  }

  async nodeMac(node: string): Promise<string> {
    return (await this.exec(node, ['cat', '/sys/class/net/eth0/address'])).stdout.trim().toLowerCase();
  }

  /** Nodes whose ServiceL2Status names the Service. */
  async announcers(namespace: string, name: string): Promise<string[]> {
    const list = await this.client.list<ServiceL2Status>(ServiceL2StatusKind, {
      namespace: FLEETLB_NAMESPACE,
      labelSelector: `${Labels.metallbServiceName}=${name},${Labels.metallbServiceNamespace}=${namespace}`,
    });
    return list.items.map((o) => o.status?.node).filter((n): n is string => !!n).sort();
  }

  /**
   * The node that announces the Service and serves the client (curl answers, the router's
   * neighbour entry names its MAC), the same before and after any takeover burst: a node that
   * came back may be taking its addresses back, and a round must start from a quiet state.
   */
  async settledAnnouncer(namespace: string, name: string, vip: string, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last: string | undefined;
    while (Date.now() < deadline) {
      const a = await this.announcers(namespace, name);
      // curl first: it is what makes the router resolve the VIP at all.
      const now = a.length === 1 && (await this.curl(vip, 1000)) && (await this.routerMac(vip)) === (await this.nodeMac(a[0]!)) ? a[0] : undefined;
      if (now && now === last) return now;
      last = now;
      await sleep(now ? 4500 : 200);
    }
    throw new Error(`no settled announcer for ${namespace}/${name} within ${timeoutMs} ms`);
  }

  /** PID of the running speaker process on a node, and whether its pod is ready. */
  async speaker(node: string): Promise<{ pid?: number; ready: boolean }> {
    const pods = await this.client.list<SpeakerPod>(CoreResources.pods, { namespace: FLEETLB_NAMESPACE, labelSelector: 'app.kubernetes.io/component=speaker' });
    const pod = pods.items.find((p) => p.spec?.nodeName === node && !p.metadata.deletionTimestamp);
    const cs = pod?.status?.containerStatuses?.[0];
    const m = /^fleetlb-lab:\/\/(\d+)$/.exec(cs?.containerID ?? '');
    return { ...(m?.[1] && cs?.state?.running ? { pid: Number(m[1]) } : {}), ready: cs?.ready === true };
  }

  /** The MAC the router's neighbour table holds for an address (how the client's traffic reaches it). */
  async routerMac(ip: string): Promise<string | undefined> {
    const out = (await this.exec('router', ['ip', 'neigh', 'show', ip])).stdout;
    return /lladdr ([0-9a-f:]{17})/i.exec(out)?.[1]?.toLowerCase();
  }

  /** One `curl` from the client; the body when it answered 200. */
  async curl(ip: string, timeoutMs: number): Promise<string | undefined> {
    const url = ip.includes(':') ? `http://[${ip}]/` : `http://${ip}/`;
    const r = await this.exec('client', ['curl', '-s', '-g', '-m', String(timeoutMs / 1000), '-w', '\n%{http_code}', url], timeoutMs + 2000);
    const lines = r.stdout.trimEnd().split('\n');
    return r.code === 0 && lines[lines.length - 1] === '200' ? lines.slice(0, -1).join('\n') : undefined;
  }

  /** Take a node's LAN link down (the cable pulled: the bridge port, so the node keeps its addresses) or up. */
  async setLink(node: string, up: boolean): Promise<void> {
    const port = this.ports[node];
    if (!port) throw new Error(`no LAN port for ${node}`);
    const r = await this.exec('lan', ['ip', 'link', 'set', port, up ? 'up' : 'down']);
    if (r.code !== 0) throw new Error(`ip link set ${port}: ${r.stderr}`);
  }

  /**
   * SIGKILL the node's speaker, and keep killing whatever the node agent restarts until `done`
   * says so (bounded by `timeoutMs`): a speaker that is dead, not one that restarts within its
   * Lease and resumes as if nothing happened.
   */
  async killSpeaker(node: string, done: () => Promise<boolean>, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let kills = 0;
    while (Date.now() < deadline) {
      const { pid } = await this.speaker(node);
      if (pid) {
        try {
          process.kill(pid, 'SIGKILL');
          kills++;
        } catch {
          /* already gone */
        }
      }
      if (kills > 0 && (await done())) return kills;
      await sleep(50);
    }
    throw new Error(`the speaker on ${node} was killed ${kills} times but the condition never held within ${timeoutMs} ms`);
  }

  close(): void {
    this.client.close();
  }
}
