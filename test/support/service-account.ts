import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import type { TestLab } from './lab.js';

/**
 * Components under test run with the credentials of their ServiceAccount from deploy/, never as
 * admin: the RBAC manifests are applied (by admin), a token is requested for the ServiceAccount
 * through the TokenRequest API, and the component gets a kubeconfig holding only that token. A
 * permission missing from deploy/ then fails the test that needs it.
 */

const repo = new URL('../../', import.meta.url).pathname;

/** The kinds of deploy/ that grant an identity (workloads are not applied). */
const RBAC_KINDS = new Set(['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: unknown }; [k: string]: unknown };

export interface ServiceAccountOptions {
  /** Directory of the component's manifests, relative to the repository (e.g. `deploy/member-agent`). */
  dir: string;
  /** The ServiceAccount to act as. */
  serviceAccount: { name: string; namespace: string };
  /**
   * Put the namespaced Roles and RoleBindings in this namespace instead (a test's own controller
   * namespace), as an operator does when the component's namespace is configured elsewhere.
   */
  roleNamespace?: string;
  /** Where to also write the kubeconfig (for a child process). */
  kubeconfigPath?: string;
}

export interface ServiceAccountAccess {
  kubeConfig: KubeConfig;
  token: string;
  kubeconfigPath?: string;
  /** The RBAC objects applied. */
  applied: Manifest[];
}

function manifests(dir: string): Manifest[] {
  const abs = join(repo, dir);
  const files = ['deploy/namespace.yaml', ...readdirSync(abs).filter((f) => f.endsWith('.yaml')).sort().map((f) => join(dir, f))];
  return files.flatMap((f) => parseAllDocuments(readFileSync(join(repo, f), 'utf8')).map((d) => d.toJS() as Manifest)).filter((m) => m && RBAC_KINDS.has(m.kind));
}

export async function serviceAccountKubeConfig(lab: TestLab, cluster: string, opts: ServiceAccountOptions): Promise<ServiceAccountAccess> {
  const applied = manifests(opts.dir).map((m) =>
    opts.roleNamespace && (m.kind === 'Role' || m.kind === 'RoleBinding') ? { ...m, metadata: { ...m.metadata, namespace: opts.roleNamespace } } : m,
  );
  const list = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: applied });
  // Server-side, forcing: test files may apply the same cluster-wide objects concurrently.
  const r = await lab.kubectl(cluster, ['apply', '--server-side', '--force-conflicts', '--field-manager=fleetlb-test-rbac', '-f', '-'], { input: list });
  if (r.code !== 0) throw new Error(`applying the RBAC of ${opts.dir} failed: ${r.stderr}${r.stdout}`);
  const t = await lab.kubectl(cluster, ['create', 'token', opts.serviceAccount.name, '-n', opts.serviceAccount.namespace, '--duration=2h']);
  if (t.code !== 0) throw new Error(`requesting a token for ${opts.serviceAccount.namespace}/${opts.serviceAccount.name} failed: ${t.stderr}`);
  const token = t.stdout.trim();

  const admin = lab.kubeConfig(cluster);
  const c = admin.getCurrentCluster();
  if (!c) throw new Error(`the kubeconfig of ${cluster} has no cluster`);
  const user = `system:serviceaccount:${opts.serviceAccount.namespace}:${opts.serviceAccount.name}`;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: cluster, server: c.server, caData: c.caData, caFile: c.caFile, skipTLSVerify: c.skipTLSVerify }],
    users: [{ name: user, token }],
    contexts: [{ name: cluster, cluster, user }],
    currentContext: cluster,
  });
  if (opts.kubeconfigPath) await writeFile(opts.kubeconfigPath, kubeConfig.exportConfig(), { mode: 0o600 });
  return { kubeConfig, token, kubeconfigPath: opts.kubeconfigPath, applied };
}
