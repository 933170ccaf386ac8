import { KubeConfig } from '@kubernetes/client-node';
import { ErrorCodes, FleetlbError } from '../runtime/errors.js';

/** The cluster to talk to: --kubeconfig, else $KUBECONFIG, ~/.kube/config or the in-cluster account. */
export function componentKubeConfig(file: string | undefined): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (file) kubeConfig.loadFromFile(file);
  else kubeConfig.loadFromDefault();
  if (!kubeConfig.getCurrentCluster()) throw new FleetlbError(ErrorCodes.CLI_USAGE, 'no cluster to talk to: give --kubeconfig, set KUBECONFIG, or run in a pod');
  return kubeConfig;
}
