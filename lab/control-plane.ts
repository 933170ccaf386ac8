import { join } from 'node:path';
import { clusterAddressing } from './address-plan.js';

/**
 * What one cluster's control plane is made of and how each component is started. Argument
 * builders are pure so tests can check the security-relevant flags without starting anything.
 */

export const COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;
export type Component = (typeof COMPONENTS)[number];

/** Ports per cluster: base + index * PORTS_PER_CLUSTER + offset. Spare room for later parts. */
export const PORTS_PER_CLUSTER = 10;
const PORT_OFFSETS = { etcdClient: 0, etcdPeer: 1, apiserver: 2, controllerManager: 3, scheduler: 4 } as const;
export type ClusterPorts = Record<keyof typeof PORT_OFFSETS, number>;

export function clusterPorts(basePort: number, index: number): ClusterPorts {
  const start = basePort + index * PORTS_PER_CLUSTER;
  return Object.fromEntries(Object.entries(PORT_OFFSETS).map(([k, off]) => [k, start + off])) as ClusterPorts;
}

export interface ClusterSpec {
  name: string;
  index: number;
  role: 'hub' | 'member';
  /** Value of fleet.azure.com/location for members. */
  location?: string;
}

/** Where a cluster keeps its files inside the lab directory. */
export interface ClusterPaths {
  root: string;
  pki: string;
  etcdData: string;
  certDir: string;
  controllerManagerKubeconfig: string;
  schedulerKubeconfig: string;
}

export function clusterPaths(labDir: string, name: string): ClusterPaths {
  const root = join(labDir, 'clusters', name);
  return {
    root,
    pki: join(root, 'pki'),
    etcdData: join(root, 'etcd'),
    certDir: join(root, 'serving-certs'),
    controllerManagerKubeconfig: join(root, 'kube-controller-manager.kubeconfig'),
    schedulerKubeconfig: join(root, 'kube-scheduler.kubeconfig'),
  };
}

const LOOPBACK = '127.0.0.1';
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export function etcdArgs(c: ClusterSpec, p: ClusterPaths, ports: ClusterPorts): string[] {
  const client = `http://${LOOPBACK}:${ports.etcdClient}`;
  const peer = `http://${LOOPBACK}:${ports.etcdPeer}`;
  return [
    `--name=${c.name}`,
    `--data-dir=${p.etcdData}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=${c.name}=${peer}`,
    '--initial-cluster-state=new',
    // A lab etcd on loopback: losing the last writes on a host crash is acceptable, fsync stalls are not.
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ];
}

/** How the cluster's API server is reached from its nodes, when the lab has a network. */
export interface ControlPlaneOptions {
  /** The address nodes reach the API server at (relayed to loopback); the `kubernetes` Service's endpoint. */
  advertiseAddress?: string;
}

export function apiserverArgs(c: ClusterSpec, p: ClusterPaths, ports: ClusterPorts, opts: ControlPlaneOptions = {}): string[] {
  const a = clusterAddressing(c.index);
  const pki = (f: string) => join(p.pki, f);
  return [
    `--etcd-servers=http://${LOOPBACK}:${ports.etcdClient}`,
    `--bind-address=${LOOPBACK}`,
    `--secure-port=${ports.apiserver}`,
    `--advertise-address=${opts.advertiseAddress ?? LOOPBACK}`,
    // Without a lab network the `kubernetes` Service has nowhere to point (loopback is refused).
    ...(opts.advertiseAddress ? [] : ['--endpoint-reconciler-type=none']),
    `--cert-dir=${p.certDir}`,
    `--tls-cert-file=${pki('apiserver.crt')}`,
    `--tls-private-key-file=${pki('apiserver.key')}`,
    `--client-ca-file=${pki('ca.crt')}`,
    '--anonymous-auth=false',
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    '--allow-privileged=true',
    `--service-cluster-ip-range=${a.serviceCIDRs.join(',')}`,
    `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
    `--service-account-key-file=${pki('service-account.pub')}`,
    `--service-account-signing-key-file=${pki('service-account.key')}`,
    `--api-audiences=${SERVICE_ACCOUNT_ISSUER}`,
    '--profiling=false',
    '--event-ttl=1h',
  ];
}

function delegatedAuth(kubeconfig: string): string[] {
  return [`--kubeconfig=${kubeconfig}`, `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`];
}

export function controllerManagerArgs(c: ClusterSpec, p: ClusterPaths, ports: ClusterPorts): string[] {
  const a = clusterAddressing(c.index);
  const pki = (f: string) => join(p.pki, f);
  return [
    ...delegatedAuth(p.controllerManagerKubeconfig),
    `--bind-address=${LOOPBACK}`,
    `--secure-port=${ports.controllerManager}`,
    `--cert-dir=${join(p.certDir, 'kube-controller-manager')}`,
    `--root-ca-file=${pki('ca.crt')}`,
    `--service-account-private-key-file=${pki('service-account.key')}`,
    `--cluster-signing-cert-file=${pki('ca.crt')}`,
    `--cluster-signing-key-file=${pki('ca.key')}`,
    '--use-service-account-credentials=true',
    '--controllers=*,bootstrapsigner,tokencleaner',
    '--allocate-node-cidrs=true',
    `--cluster-cidr=${a.podCIDRs.join(',')}`,
    `--node-cidr-mask-size-ipv4=${a.nodeMaskV4}`,
    `--node-cidr-mask-size-ipv6=${a.nodeMaskV6}`,
    `--service-cluster-ip-range=${a.serviceCIDRs.join(',')}`,
    `--cluster-name=${c.name}`,
    '--leader-elect=true',
    '--profiling=false',
  ];
}

export function schedulerArgs(_c: ClusterSpec, p: ClusterPaths, ports: ClusterPorts): string[] {
  return [
    ...delegatedAuth(p.schedulerKubeconfig),
    `--bind-address=${LOOPBACK}`,
    `--secure-port=${ports.scheduler}`,
    `--cert-dir=${join(p.certDir, 'kube-scheduler')}`,
    '--leader-elect=true',
    '--profiling=false',
  ];
}

export const componentArgs: Record<Component, (c: ClusterSpec, p: ClusterPaths, ports: ClusterPorts, opts?: ControlPlaneOptions) => string[]> = {
  etcd: etcdArgs,
  'kube-apiserver': apiserverArgs,
  'kube-controller-manager': controllerManagerArgs,
  'kube-scheduler': schedulerArgs,
};

/** The URL each component answers health checks on. */
export function healthURL(component: Component, ports: ClusterPorts): string {
  switch (component) {
    case 'etcd':
      return `http://${LOOPBACK}:${ports.etcdClient}/health`;
    case 'kube-apiserver':
      return `https://${LOOPBACK}:${ports.apiserver}/readyz`;
    case 'kube-controller-manager':
      return `https://${LOOPBACK}:${ports.controllerManager}/healthz`;
    case 'kube-scheduler':
      return `https://${LOOPBACK}:${ports.scheduler}/healthz`;
  }
}

export function apiserverURL(ports: ClusterPorts): string {
  return `https://${LOOPBACK}:${ports.apiserver}`;
}
