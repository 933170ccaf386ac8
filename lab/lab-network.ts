import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../runtime/kube-client.js';
import { CoreResources, type KubeObject } from '../runtime/resource.js';
import { ErrorCodes, FleetlbError } from '../runtime/errors.js';
import { clusterAddressing } from './address-plan.js';
import { clusterPaths } from './control-plane.js';
import { kubeProxyConfig, type ProxyMode } from './kube-proxy.js';
import { kubeconfigYaml } from './kubeconfig.js';
import { createNetwork, labNetns } from './network.js';
import type { NetworkPlan, NodePlan } from './network-plan.js';
import { CertificateAuthority } from './pki.js';
import { isRunning, logTail, startProcess, stopProcess, type ProcessRecord } from './processes.js';
import { startRouter, waitRouter, type RouterKind } from './router.js';
import type { AgentConfig } from './node-agent/config.js';
import type { ClusterState, LabState } from './state.js';
import { repoRoot } from '../runtime/repo-root.js';

/**
 * The lab's network processes around the control planes: the host-side API relay, the router,
 * and on every node the node agent and kube-proxy.
 */

export interface NetworkState {
  plan: NetworkPlan;
  router: RouterKind;
  proxyMode: ProxyMode;
  processes: Record<string, ProcessRecord>;
}

const dist = (...p: string[]) => join(repoRoot(), 'dist', ...p);

export const socketPath = (labDir: string, cluster: string) => join(labDir, 'sockets', `${cluster}.sock`);
const nodeDir = (labDir: string, node: string) => join(labDir, 'nodes', node);

/** Certificates and kubeconfigs of a node: its kubelet identity and kube-proxy's. */
async function nodeCredentials(state: LabState, net: NetworkState, c: ClusterState, n: NodePlan): Promise<{ agent: string; proxy: string }> {
  const ca = await CertificateAuthority.ensure(clusterPaths(state.dir, c.name).pki, `fleetlb-lab-${c.name}-ca`);
  const caPem = await readFile(ca.cert, 'utf8');
  const server = `https://${net.plan.apiserverAddress[c.name]}:${c.ports.apiserver}`;
  const node = await ca.issue({ name: `node-${n.name}`, commonName: `system:node:${n.name}`, organization: 'system:nodes', usage: 'client' });
  const proxy = await ca.issue({ name: 'kube-proxy', commonName: 'system:kube-proxy', usage: 'client' });
  const dir = nodeDir(state.dir, n.name);
  await mkdir(dir, { recursive: true });
  const write = async (file: string, cert: { cert: string; key: string }) => {
    await writeFile(join(dir, file), kubeconfigYaml([{ name: c.name, server, caPem, certPem: await readFile(cert.cert, 'utf8'), keyPem: await readFile(cert.key, 'utf8') }], c.name), { mode: 0o600 });
    return join(dir, file);
  };
  return { agent: await write('node-agent.kubeconfig', node), proxy: await write('kube-proxy.kubeconfig', proxy) };
}

function keep(net: NetworkState, key: string, start: () => ProcessRecord, started: ProcessRecord[]): ProcessRecord {
  const existing = net.processes[key];
  if (existing && isRunning(existing)) return existing;
  const rec = start();
  net.processes[key] = rec;
  started.push(rec);
  return rec;
}

/** Create what is missing of the network and start every network process not running. */
export async function startNetwork(state: LabState, net: NetworkState, started: ProcessRecord[], save: () => Promise<void>, progress: (l: string) => void): Promise<void> {
  if ((await labNetns(state.id)).length === 0) await createNetwork(net.plan, progress);
  await mkdir(join(state.dir, 'sockets'), { recursive: true });
  const logs = join(state.dir, 'logs');

  keep(net, 'relay', () => startProcess({
    command: process.execPath,
    args: [dist('lab', 'relay-main.js'), ...state.clusters.map((c) => `unix:${socketPath(state.dir, c.name)}=tcp:127.0.0.1:${c.ports.apiserver}`)],
    log: join(logs, 'relay.log'),
  }), started);

  const routerProcs = Object.entries(net.processes).filter(([k]) => k.startsWith('router.'));
  if (routerProcs.length === 0 || routerProcs.some(([, p]) => !isRunning(p))) {
    // The router's daemons start together: restart all of them when any has died.
    for (const [k, p] of routerProcs) {
      await stopProcess(p);
      delete net.processes[k];
    }
    const router = await startRouter(net.router, net.plan, state.dir);
    for (const [k, rec] of Object.entries(router.processes)) {
      net.processes[`router.${k}`] = rec;
      started.push(rec);
    }
    await waitRouter(router, net.plan, state.dir);
  }

  const hub = state.clusters.find((x) => x.role === 'hub');
  for (const n of net.plan.nodes) {
    const c = state.clusters.find((x) => x.name === n.cluster);
    if (!c) continue;
    const creds = await nodeCredentials(state, net, c, n);
    const dir = nodeDir(state.dir, n.name);
    const cfg: AgentConfig = {
      labId: state.id,
      labDir: state.dir,
      repoRoot: repoRoot(),
      cluster: c.name,
      location: c.location,
      node: n,
      kubeconfig: creds.agent,
      apiserver: { address: net.plan.apiserverAddress[c.name] ?? '', port: c.ports.apiserver, socket: socketPath(state.dir, c.name), caFile: join(clusterPaths(state.dir, c.name).pki, 'ca.crt') },
      ...(hub && hub.name !== c.name ? { hubApiserver: { address: net.plan.apiserverAddress[hub.name] ?? '', port: hub.ports.apiserver, socket: socketPath(state.dir, hub.name) } } : {}),
      kubernetesVersion: state.kubernetesVersion,
      stateDir: dir,
      podLogDir: join(logs, 'pods'),
    };
    await writeFile(join(dir, 'agent.json'), JSON.stringify(cfg, null, 2));
    // kube-proxy exits when its config file is written, even with the same content: a second
    // `lab up` must not touch the file of a kube-proxy that still runs.
    const proxyConfig = kubeProxyConfig({ kubeconfig: creds.proxy, node: n.name, clusterCIDRs: clusterAddressing(c.index).podCIDRs, mode: net.proxyMode });
    const proxyFile = join(dir, 'kube-proxy.yaml');
    if ((await readFile(proxyFile, 'utf8').catch(() => '')) !== proxyConfig) await writeFile(proxyFile, proxyConfig);
    keep(net, `${n.name}.node-agent`, () => startProcess({ command: 'ip', args: ['netns', 'exec', n.netns, process.execPath, dist('lab', 'node-agent', 'main.js'), join(dir, 'agent.json')], log: join(logs, `${n.name}.node-agent.log`) }), started);
    keep(net, `${n.name}.kube-proxy`, () => startProcess({ command: 'ip', args: ['netns', 'exec', n.netns, join(state.binDir, 'kube-proxy'), `--config=${join(dir, 'kube-proxy.yaml')}`], log: join(logs, `${n.name}.kube-proxy.log`) }), started);
  }
  await save();
  await waitNodesReady(state, net, progress);
}

interface NodeObject extends KubeObject {
  status?: { conditions?: { type: string; status: string }[] };
}

async function waitNodesReady(state: LabState, net: NetworkState, progress: (l: string) => void): Promise<void> {
  const deadline = Date.now() + 90_000;
  const pending = new Set(net.plan.nodes.map((n) => n.name));
  // One client per cluster for the whole wait, not one per node and poll.
  const clients = new Map(state.clusters.map((c) => {
    const kc = new KubeConfig();
    kc.loadFromFile(c.kubeconfig);
    return [c.name, new KubeClient(kc, { fieldManager: 'fleetlb-lab' })] as const;
  }));
  try {
    while (pending.size > 0 && Date.now() < deadline) {
      for (const n of net.plan.nodes) {
        if (!pending.has(n.name)) continue;
        const agent = net.processes[`${n.name}.node-agent`];
        if (agent && !isRunning(agent)) {
          throw new FleetlbError(ErrorCodes.LAB_START_FAILED, `The node agent of ${n.name} exited during start-up: see ${agent.log}.`, { details: logTail(agent.log) });
        }
        const node = await clients.get(n.cluster)?.find<NodeObject>(CoreResources.nodes, n.name).catch(() => undefined);
        if (node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) {
          pending.delete(n.name);
          progress(`  ${n.cluster}: node ${n.name} Ready (${n.lan.v4}, pods ${n.podCIDRs.join(' ')})`);
        }
      }
      if (pending.size > 0) await sleep(250);
    }
  } finally {
    for (const c of clients.values()) c.close();
  }
  if (pending.size > 0) throw new FleetlbError(ErrorCodes.LAB_START_FAILED, `Nodes ${[...pending].join(', ')} did not become Ready within 90 s: see ${join(state.dir, 'logs')}/<node>.node-agent.log.`);
}

/** Stop the network's processes: node agents first (they stop their pods), then the rest. */
export async function stopNetworkProcesses(net: NetworkState): Promise<number> {
  let stopped = 0;
  const order = (k: string) => (k.endsWith('.node-agent') ? 0 : k.endsWith('.kube-proxy') ? 1 : k.startsWith('router.') ? 2 : 3);
  const groups = new Map<number, ProcessRecord[]>();
  for (const [k, rec] of Object.entries(net.processes)) groups.set(order(k), [...(groups.get(order(k)) ?? []), rec]);
  for (const g of [0, 1, 2, 3]) {
    await Promise.all((groups.get(g) ?? []).map(async (rec) => {
      if (isRunning(rec)) {
        await stopProcess(rec, 15_000);
        stopped++;
      }
    }));
  }
  return stopped;
}
