import { stringify } from 'yaml';

/** Kubeconfig documents with certificates embedded, so a file can be copied anywhere. */

export type KubeconfigEntry = {
  /** Name used for the cluster, the user and the context. */
  name: string;
  server: string;
  caPem: string;
} & ({ certPem: string; keyPem: string } | { token: string });

const b64 = (s: string) => Buffer.from(s).toString('base64');

export function kubeconfigYaml(entries: KubeconfigEntry[], current: string): string {
  if (!entries.some((e) => e.name === current)) throw new Error(`current context ${current} is not among the entries`);
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: entries.map((e) => ({ name: e.name, cluster: { server: e.server, 'certificate-authority-data': b64(e.caPem) } })),
    users: entries.map((e) => ({
      name: e.name,
      user: 'token' in e ? { token: e.token } : { 'client-certificate-data': b64(e.certPem), 'client-key-data': b64(e.keyPem) },
    })),
    contexts: entries.map((e) => ({ name: e.name, context: { cluster: e.name, user: e.name } })),
    'current-context': current,
  });
}
