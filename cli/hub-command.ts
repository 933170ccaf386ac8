import { Command, InvalidArgumentError } from 'commander';
import { componentKubeConfig } from './component-kubeconfig.js';
import { runUntilSignalled } from './signals.js';
import { examplesText } from './help.js';
import { runHub } from '../hub/hub.js';
import { DEFAULT_MISSED_HEARTBEATS } from '../hub/member-health.js';

interface Options {
  kubeconfig?: string;
  metricsPort: number;
  missedHeartbeats: number;
  resyncSeconds: number;
  deadClusterGraceSeconds: number;
  failStatic?: boolean;
}

function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    return n;
  };
}

export function hubCommand(): Command {
  return new Command('hub')
    .description('run the hub controllers: member clusters, ClusterResourcePlacement and the Work that carries it, multi-cluster service imports')
    .option('--kubeconfig <file>', 'kubeconfig of the hub (default: $KUBECONFIG, ~/.kube/config, or the in-cluster service account)')
    .option('--metrics-port <port>', 'port of /metrics, /healthz and /readyz; 0 turns them off', integer(0, 65535), 9130)
    .option('--missed-heartbeats <n>', 'heartbeats a member may miss before it is not healthy and gets no new placements', integer(1, 100), DEFAULT_MISSED_HEARTBEATS)
    .option('--resync-seconds <s>', 'how often each placement re-reads the objects it selects', integer(1, 3600), 15)
    .option('--dead-cluster-grace-seconds <s>', 'how long a member that missed its heartbeat deadline keeps its endpoints in multi-cluster services; they are gone at most this + 10 s after the deadline', integer(0, 3600), 0)
    .option('--fail-static', 'keep a silent member\'s last endpoints in multi-cluster services instead of withdrawing them (a member that leaves is still withdrawn)')
    .addHelpText('after', examplesText([
      'fleetlb hub --kubeconfig hub.kubeconfig',
      'fleetlb hub --missed-heartbeats 2 --resync-seconds 5   # quicker health verdicts and content updates',
      'fleetlb hub --dead-cluster-grace-seconds 30   # ride out a member agent restart before its endpoints are withdrawn',
    ]))
    .action(async (o: Options) => {
      const kubeConfig = componentKubeConfig(o.kubeconfig);
      await runUntilSignalled((signal) =>
        runHub({ kubeConfig, metricsPort: o.metricsPort, missedHeartbeats: o.missedHeartbeats, resyncMs: o.resyncSeconds * 1000, deadClusterGraceMs: o.deadClusterGraceSeconds * 1000, failStatic: !!o.failStatic, onListening: (p) => process.stderr.write(`fleetlb hub: /metrics, /healthz and /readyz on port ${p}\n`) }, signal),
      );
    });
}
