import { Command, InvalidArgumentError } from 'commander';
import { KubeConfig } from '@kubernetes/client-node';
import { FleetLBNamespace } from '../api/labels.js';
import { ErrorCodes, FleetlbError } from '../runtime/errors.js';
import { runUntilSignalled } from './signals.js';
import { DEFAULT_EXCLUDED_INTERFACES } from '../speaker/layer2/interfaces.js';
import { BgpHandler } from '../speaker/bgp/handler.js';
import { DEFAULT_SPEAKER_TIMINGS, runSpeaker } from '../speaker/speaker.js';
import { examplesText } from './help.js';

interface Options {
  node?: string;
  kubeconfig?: string;
  namespace: string;
  loadBalancerClass?: string;
  metricsPort: number;
  excludeInterfaces: string;
  leaseDuration: number;
  renewInterval: number;
  fenceMargin: number;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0 turns the endpoint off)');
  return n;
}

function millis(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive number of milliseconds');
  return n;
}

/** Comma-separated regular expressions; a bad one is a usage error naming it. */
export function parseInterfacePatterns(list: string): RegExp[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return new RegExp(s);
      } catch {
        throw new FleetlbError(ErrorCodes.CLI_USAGE, `"${s}" in --exclude-interfaces is not a regular expression`);
      }
    });
}

export function speakerCommand(): Command {
  const d = DEFAULT_SPEAKER_TIMINGS;
  return new Command('speaker')
    .description('announce load-balancer IPs from this node: ARP and NDP (layer 2) and BGP; run one per node with host networking')
    .option('--node <name>', 'this node\'s name (default: $NODE_NAME)')
    .option('--kubeconfig <file>', 'kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, or the in-cluster service account)')
    .option('--namespace <ns>', 'namespace of IPAddressPools, L2Advertisements, speaker Leases and ServiceL2Status objects', FleetLBNamespace)
    .option('--load-balancer-class <class>', 'announce only Services with this spec.loadBalancerClass (default: only Services without a class)')
    .option('--metrics-port <port>', 'port of /metrics, /healthz and /readyz; 0 turns them off', port, 7472)
    .option('--exclude-interfaces <regexps>', 'comma-separated patterns of interfaces never announced from', DEFAULT_EXCLUDED_INTERFACES.join(','))
    .option('--lease-duration <ms>', 'how long a speaker Lease stays valid after a renewal', millis, d.leaseDurationMs)
    .option('--renew-interval <ms>', 'how often the speaker Leases are read and ours renewed', millis, d.renewIntervalMs)
    .option('--fence-margin <ms>', 'how long before our Lease could expire for peers we stop answering', millis, d.fenceMarginMs)
    .addHelpText('after', examplesText(['NODE_NAME=$(hostname) fleetlb speaker --kubeconfig member-1.kubeconfig', 'fleetlb speaker --lease-duration 3000 --renew-interval 600   # a large cluster: fewer Lease writes, slower failover']))
    .action(async (o: Options) => {
      const node = o.node ?? process.env.NODE_NAME;
      if (!node) throw new FleetlbError(ErrorCodes.CLI_USAGE, 'the speaker needs its node name: give --node or set NODE_NAME (fieldRef spec.nodeName)');
      if (o.fenceMargin + o.renewInterval >= o.leaseDuration) {
        throw new FleetlbError(ErrorCodes.CLI_USAGE, `--fence-margin (${o.fenceMargin}) plus --renew-interval (${o.renewInterval}) must be below --lease-duration (${o.leaseDuration}), or the speaker could never answer`);
      }
      const kubeConfig = new KubeConfig();
      if (o.kubeconfig) kubeConfig.loadFromFile(o.kubeconfig);
      else kubeConfig.loadFromDefault();
      if (!kubeConfig.getCurrentCluster()) throw new FleetlbError(ErrorCodes.CLI_USAGE, 'no cluster to talk to: give --kubeconfig, set KUBECONFIG, or run in a pod');
      const excludeInterfaces = parseInterfacePatterns(o.excludeInterfaces);
      const podName = process.env.POD_NAME;
      const podUid = process.env.POD_UID;
      await runUntilSignalled((signal) =>
        runSpeaker(
          {
            kubeConfig,
            node,
            namespace: o.namespace,
            loadBalancerClass: o.loadBalancerClass,
            metricsPort: o.metricsPort,
            excludeInterfaces,
            timings: { leaseDurationMs: o.leaseDuration, renewIntervalMs: o.renewInterval, fenceMarginMs: o.fenceMargin, warmupMs: Math.max(d.warmupMs, 2 * o.renewInterval) },
            ...(podName && podUid ? { pod: { name: podName, uid: podUid } } : {}),
            handlers: (ctx) => [new BgpHandler({ ...ctx, log: ctx.log.child({ protocol: 'bgp' }) })],
            onListening: (p) => process.stderr.write(`fleetlb speaker: /metrics, /healthz and /readyz on port ${p}\n`),
          },
          signal,
        ),
      );
    });
}
