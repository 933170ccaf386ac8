import { Command, InvalidArgumentError } from 'commander';
import type { KubeConfig } from '@kubernetes/client-node';
import { HubCredential } from '../api/cluster.js';
import { FleetLBNamespace } from '../api/labels.js';
import { ErrorCodes, FleetlbError } from '../runtime/errors.js';
import { componentKubeConfig } from './component-kubeconfig.js';
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
  hubCredentialSecret: string;
  hubKubeconfig?: string;
  memberName?: string;
  driftCheckSeconds: number;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 3600) throw new InvalidArgumentError('must be a whole number of seconds from 1 to 3600');
  return n;
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
    .option('--hub-credential-secret <name>', 'Secret in --namespace holding the hub kubeconfig and this member\'s name (membership, work)', HubCredential.secretName)
    .option('--hub-kubeconfig <file>', 'kubeconfig of the hub, instead of the Secret (needs --member-name)')
    .option('--member-name <name>', 'this member\'s MemberCluster name, with --hub-kubeconfig')
    .option('--drift-check-seconds <s>', 'how often placed objects are applied again, putting back changes made on the member', seconds, 15)
    .addHelpText('after', examplesText(['fleetlb member-agent --controllers=allocator --kubeconfig member-1.kubeconfig', 'fleetlb member-agent --controllers=membership,work --hub-kubeconfig hub.kubeconfig --member-name member-1   # join the fleet from outside a cluster', 'fleetlb member-agent --controllers=allocator --namespace metallb-system --leader-elect   # in place of MetalLB\'s controller']))
    .action(async (o: Options) => {
      const controllers = parseControllers(o.controllers);
      const kubeConfig = componentKubeConfig(o.kubeconfig);
      if (!!o.hubKubeconfig !== !!o.memberName) throw new FleetlbError(ErrorCodes.CLI_USAGE, '--hub-kubeconfig and --member-name go together');
      let hubAccess: { kubeConfig: KubeConfig; memberName: string } | undefined;
      if (o.hubKubeconfig && o.memberName) {
        hubAccess = { kubeConfig: componentKubeConfig(o.hubKubeconfig), memberName: o.memberName };
      }
      await runUntilSignalled((signal) =>
        runMemberAgent(
          {
            kubeConfig,
            controllers,
            namespace: o.namespace,
            loadBalancerClass: o.loadBalancerClass,
            metricsPort: o.metricsPort,
            leaderElect: !!o.leaderElect,
            placement: { credentialNamespace: o.namespace, credentialSecret: o.hubCredentialSecret, hubAccess, driftCheckMs: o.driftCheckSeconds * 1000 },
            onListening: (p) => process.stderr.write(`fleetlb member-agent: /metrics, /healthz and /readyz on port ${p}\n`),
          },
          signal,
        ),
      );
    });
}
