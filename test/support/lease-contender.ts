import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../../runtime/kube-client.js';
import { LeaderElector } from '../../runtime/leader-election.js';

/**
 * A leader-election contender as its own process, so a test can kill it by PID. Arguments:
 * kubeconfig, namespace, lease name, identity. Prints one JSON line per leadership change.
 */
const [kubeconfig, namespace, name, identity] = process.argv.slice(2);
if (!kubeconfig || !namespace || !name || !identity) {
  process.stderr.write('usage: lease-contender KUBECONFIG NAMESPACE LEASE IDENTITY\n');
  process.exit(2);
}
const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
const say = (event: string) => process.stdout.write(JSON.stringify({ event, identity, at: Date.now() }) + '\n');
const elector = new LeaderElector({
  client: new KubeClient(kc, { fieldManager: 'lease-contender', timeoutMs: 1000 }),
  namespace,
  name,
  identity,
  leaseDurationMs: 4000,
  renewDeadlineMs: 2500,
  retryPeriodMs: 500,
  onStartedLeading: () => say('leading'),
  onStoppedLeading: (reason) => say(`stopped:${reason}`),
});
elector.start();
say('started');
process.on('SIGTERM', () => void elector.stop().then(() => process.exit(0)));
