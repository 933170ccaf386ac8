import { describe, expect, test } from '@jest/globals';
import { apiserverArgs, clusterPaths, clusterPorts, controllerManagerArgs, etcdArgs, healthURL, schedulerArgs, type ClusterSpec } from './control-plane.js';

const member: ClusterSpec = { name: 'member-1', index: 1, role: 'member', location: 'eastus' };
const paths = clusterPaths('/lab', 'member-1');
const ports = clusterPorts(25000, 1);

const flag = (args: string[], name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=').slice(1).join('=');

describe('control-plane components', () => {
  test('each cluster has its own block of ports', () => {
    expect(clusterPorts(25000, 0)).toEqual({ etcdClient: 25000, etcdPeer: 25001, apiserver: 25002, controllerManager: 25003, scheduler: 25004 });
    expect(ports.apiserver).toBe(25012);
  });

  test('the apiserver refuses anonymous requests and authorises with Node and RBAC', () => {
    const args = apiserverArgs(member, paths, ports);
    expect(flag(args, 'anonymous-auth')).toBe('false');
    expect(flag(args, 'authorization-mode')).toBe('Node,RBAC');
    expect(flag(args, 'client-ca-file')).toBe('/lab/clusters/member-1/pki/ca.crt');
    expect(flag(args, 'service-cluster-ip-range')).toBe('198.19.16.0/20,2001:db8:2000::10:0/108');
    expect(flag(args, 'etcd-servers')).toBe('http://127.0.0.1:25010');
    expect(flag(args, 'bind-address')).toBe('127.0.0.1');
    expect(flag(args, 'service-account-signing-key-file')).toBeDefined();
  });

  test('the controller-manager signs service-account tokens and allocates a /24 and a /64 per node', () => {
    const args = controllerManagerArgs(member, paths, ports);
    expect(flag(args, 'use-service-account-credentials')).toBe('true');
    expect(flag(args, 'service-account-private-key-file')).toBe('/lab/clusters/member-1/pki/service-account.key');
    expect(flag(args, 'cluster-cidr')).toBe('198.18.16.0/20,2001:db8:1000:10::/60');
    expect(flag(args, 'node-cidr-mask-size-ipv4')).toBe('24');
    expect(flag(args, 'node-cidr-mask-size-ipv6')).toBe('64');
    expect(flag(args, 'kubeconfig')).toBe(paths.controllerManagerKubeconfig);
  });

  test('every component writes only inside the lab directory', () => {
    for (const args of [etcdArgs(member, paths, ports), apiserverArgs(member, paths, ports), controllerManagerArgs(member, paths, ports), schedulerArgs(member, paths, ports)]) {
      for (const a of args) {
        const value = a.split('=').slice(1).join('=');
        if (value.startsWith('/')) expect(value.startsWith('/lab/')).toBe(true);
      }
    }
    expect(flag(schedulerArgs(member, paths, ports), 'cert-dir')).toBe('/lab/clusters/member-1/serving-certs/kube-scheduler');
  });

  test('health endpoints', () => {
    expect(healthURL('etcd', ports)).toBe('http://127.0.0.1:25010/health');
    expect(healthURL('kube-apiserver', ports)).toBe('https://127.0.0.1:25012/readyz');
  });
});
