/**
 * The Kubernetes release the lab runs (see docs/adr/0001-lab-kubernetes-build.md). etcd is built
 * from the same module graph, at the version this release's go.mod requires.
 */
export const KUBERNETES_VERSION = 'v1.34.4';

/** Oldest Go that builds KUBERNETES_VERSION (the `go` line of its go.mod). */
export const MIN_GO_VERSION = '1.24.0';

export const KUBERNETES_COMMANDS = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kube-proxy',
  'kubectl',
] as const;

export const ETCD_MAIN_PACKAGE = 'go.etcd.io/etcd/server/v3';

export const LAB_BINARIES = [...KUBERNETES_COMMANDS, 'etcd'] as const;
export type LabBinary = (typeof LAB_BINARIES)[number];
