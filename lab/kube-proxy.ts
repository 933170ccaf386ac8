import { stringify } from 'yaml';

/**
 * Real kube-proxy in every node namespace, against its own cluster, so ClusterIP, NodePort and
 * load-balancer ingress IPs are forwarded by the node's kernel as in production.
 */

export type ProxyMode = 'iptables' | 'nftables';

export function kubeProxyConfig(opts: { kubeconfig: string; node: string; clusterCIDRs: string[]; mode: ProxyMode }): string {
  return stringify({
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    clientConnection: { kubeconfig: opts.kubeconfig },
    hostnameOverride: opts.node,
    mode: opts.mode,
    clusterCIDR: opts.clusterCIDRs.join(','),
    bindAddress: '0.0.0.0',
    // Each node has its own namespace, so these fixed ports never collide.
    healthzBindAddress: '0.0.0.0:10256',
    metricsBindAddress: '127.0.0.1:10249',
    // Leave the conntrack limits of the machine alone: a namespace cannot raise them anyway.
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
    iptables: { syncPeriod: '30s', minSyncPeriod: '1s' },
    nftables: { syncPeriod: '30s', minSyncPeriod: '1s' },
  });
}
