import { KubeConfig } from '@kubernetes/client-node';
import { ErrorCodes, FleetlbError } from '../runtime/errors.js';

/** What every long-running component command does around its work. */

/** The cluster to talk to: --kubeconfig, else $KUBECONFIG, ~/.kube/config or the in-cluster account. */
export function componentKubeConfig(file: string | undefined): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (file) kubeConfig.loadFromFile(file);
  else kubeConfig.loadFromDefault();
  if (!kubeConfig.getCurrentCluster()) throw new FleetlbError(ErrorCodes.CLI_USAGE, 'no cluster to talk to: give --kubeconfig, set KUBECONFIG, or run in a pod');
  return kubeConfig;
}

/** Run until SIGINT or SIGTERM aborts the signal `run` is given. */
export async function runUntilSignalled(run: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await run(stop.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
