import { Command, InvalidArgumentError } from 'commander';
import { KubeConfig } from '@kubernetes/client-node';
import { FleetLBNamespace } from '../api/labels.js';
import { ErrorCodes, FleetlbError } from '../runtime/errors.js';
import { examplesText } from './help.js';
import { runUntilSignalled } from './signals.js';
import { MEMBER_AGENT_CONTROLLERS, runMemberAgent, type MemberAgentController } from '../member-agent/agent.js';

interface Options {
  controllers: string;
  kubeconfig?: string;
  namespace: string;
  loadBalancerClass?: string;
  metricsPort: number;
  leaderElect?: boolean;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0 turns the endpoint off)');
  return n;
}

/** The controllers named on the command line, or a usage error naming the ones that exist. */
export function parseControllers(list: string): MemberAgentController[] {
  const names = list.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const known = MEMBER_AGENT_CONTROLLERS as readonly string[];
  const unknown = names.filter((n) => !known.includes(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new FleetlbError(ErrorCodes.CLI_USAGE, `unknown controller ${unknown.map((u) => `"${u}"`).join(', ') || '(none given)'} in --controllers; this build has: ${known.join(', ')}`);
  }
  return [...new Set(names)] as MemberAgentController[];
}

export function memberAgentCommand(): Command {
  return new Command('member-agent')
    .description('run the member agent (join, work applier, service export, allocator); alone with --controllers=allocator it replaces MetalLB\'s controller')
    .option('--controllers <list>', `comma-separated controllers to run (${MEMBER_AGENT_CONTROLLERS.join(', ')})`, MEMBER_AGENT_CONTROLLERS.join(','))
    .option('--kubeconfig <file>', 'kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, or the in-cluster service account)')
    .option('--namespace <ns>', 'namespace of the IPAddressPools and of the leader Lease (e.g. metallb-system)', FleetLBNamespace)
    .option('--load-balancer-class <class>', 'serve only Services with this spec.loadBalancerClass (default: only Services without a class)')
    .option('--metrics-port <port>', 'port of /metrics, /healthz and /readyz; 0 turns them off', port, 9120)
    .option('--leader-elect', 'take a Lease first, so that of several replicas only one allocates')
    .addHelpText('after', examplesText(['fleetlb member-agent --controllers=allocator --kubeconfig member-1.kubeconfig', 'fleetlb member-agent --controllers=allocator --namespace metallb-system --leader-elect   # in place of MetalLB\'s controller']))
    .action(async (o: Options) => {
      const controllers = parseControllers(o.controllers);
      const kubeConfig = new KubeConfig();
      if (o.kubeconfig) kubeConfig.loadFromFile(o.kubeconfig);
      else kubeConfig.loadFromDefault();
      if (!kubeConfig.getCurrentCluster()) throw new FleetlbError(ErrorCodes.CLI_USAGE, 'no cluster to talk to: give --kubeconfig, set KUBECONFIG, or run in a pod');
      await runUntilSignalled((signal) =>
        runMemberAgent(
          {
            kubeConfig,
            controllers,
            namespace: o.namespace,
            loadBalancerClass: o.loadBalancerClass,
            metricsPort: o.metricsPort,
            leaderElect: !!o.leaderElect,
            onListening: (p) => process.stderr.write(`fleetlb member-agent: /metrics, /healthz and /readyz on port ${p}\n`),
          },
          signal,
        ),
      );
    });
}
