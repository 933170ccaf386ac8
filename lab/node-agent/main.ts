import { readFile } from 'node:fs/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../../runtime/kube-client.js';
import { loggerFor } from '../../runtime/logger.js';
import { relay } from '../relay.js';
import { NodeAgent } from './agent.js';
import type { AgentConfig } from './config.js';

/**
 * Entry point of a lab node agent: `node-agent/main.js CONFIG.json`, started by the lab inside
 * the node's namespace. It first opens the node's path to its API server (address:port → the
 * host's relay socket; on a member node the hub's too), then runs the agent until SIGTERM, when it stops every pod it runs.
 */
const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node-agent CONFIG.json\n');
  process.exit(2);
}
const cfg = JSON.parse(await readFile(file, 'utf8')) as AgentConfig;
const log = loggerFor('lab-node-agent', { node: cfg.node.name });
await relay({ host: cfg.apiserver.address, port: cfg.apiserver.port }, { unix: cfg.apiserver.socket });
if (cfg.hubApiserver) await relay({ host: cfg.hubApiserver.address, port: cfg.hubApiserver.port }, { unix: cfg.hubApiserver.socket });
const kc = new KubeConfig();
kc.loadFromFile(cfg.kubeconfig);
const agent = new NodeAgent(cfg, new KubeClient(kc, { fieldManager: 'lab-node-agent', userAgent: `fleetlb-lab-node-agent/${cfg.node.name}` }), log);

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info('stopping', { signal });
  await agent.stop().catch((err: Error) => log.error('stop failed', { error: err.message }));
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

for (let attempt = 1; ; attempt++) {
  try {
    await agent.start();
    break;
  } catch (err) {
    // The API server may still be starting; a kubelet keeps trying too.
    log.warn('start failed, retrying', { attempt, error: (err as Error).message });
    if (attempt >= 60) throw err;
    await new Promise((r) => setTimeout(r, 1000));
  }
}
