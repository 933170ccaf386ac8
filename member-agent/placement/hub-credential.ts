import { KubeConfig } from '@kubernetes/client-node';
import { HubCredential } from '../../api/cluster.js';
import type { KubeClient } from '../../runtime/kube-client.js';
import { CoreResources, type KubeObject } from '../../runtime/resource.js';

/**
 * The member agent's way to the hub: a Secret on its own cluster holding a kubeconfig for the hub
 * and the member's name, read through the API at start (docs/adr/0041). A kubeconfig file given on
 * the command line takes its place outside a cluster.
 */

export interface HubAccess {
  kubeConfig: KubeConfig;
  memberName: string;
}

interface Secret extends KubeObject {
  data?: Record<string, string>;
}

/** Parse the Secret's data; a message naming the missing key when it is incomplete. */
export function hubAccessFromSecret(secret: Secret): HubAccess | string {
  const decode = (k: string) => (secret.data?.[k] !== undefined ? Buffer.from(secret.data[k], 'base64').toString('utf8') : undefined);
  const kubeconfig = decode(HubCredential.kubeconfigKey);
  const memberName = decode(HubCredential.memberNameKey)?.trim();
  const where = `Secret ${secret.metadata.namespace ?? ''}/${secret.metadata.name ?? ''}`;
  if (!kubeconfig) return `${where} has no key ${HubCredential.kubeconfigKey}`;
  if (!memberName) return `${where} has no key ${HubCredential.memberNameKey}`;
  const kubeConfig = new KubeConfig();
  try {
    kubeConfig.loadFromString(kubeconfig);
  } catch (err) {
    return `${where}: ${HubCredential.kubeconfigKey} is not a kubeconfig (${(err as Error).message})`;
  }
  if (!kubeConfig.getCurrentCluster()) return `${where}: the kubeconfig has no current cluster`;
  return { kubeConfig, memberName };
}

/** Read the credential Secret; undefined plus the reason while it is missing or incomplete. */
export async function readHubAccess(member: KubeClient, namespace: string, name: string = HubCredential.secretName): Promise<HubAccess | string> {
  const secret = await member.find<Secret>(CoreResources.secrets, name, namespace);
  if (!secret) return `Secret ${namespace}/${name} does not exist yet`;
  return hubAccessFromSecret(secret);
}
