import type { AgentConfig } from './config.js';

/** The Node and its Lease as a kubelet would write them, from the agent's configuration. */

const LAB_CAPACITY = { cpu: '8', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' };

export function nodeManifest(cfg: AgentConfig) {
  const labels: Record<string, string> = {
    'kubernetes.io/hostname': cfg.node.name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'fleetlb.io/lab-node': 'true',
  };
  // Region labels a node may set on itself (NodeRestriction allows topology.kubernetes.io/*).
  if (cfg.location) labels['topology.kubernetes.io/region'] = cfg.location;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: cfg.node.name, labels },
    spec: { podCIDR: cfg.node.podCIDRs[0], podCIDRs: [...cfg.node.podCIDRs] },
  };
}

export function nodeStatus(cfg: AgentConfig, now: Date, bootID: string) {
  const t = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const cond = (type: string, status: 'True' | 'False', reason: string, message: string) => ({ type, status, reason, message, lastHeartbeatTime: t, lastTransitionTime: t });
  return {
    addresses: [
      { type: 'InternalIP', address: cfg.node.lan.v4 },
      { type: 'InternalIP', address: cfg.node.lan.v6 },
      { type: 'Hostname', address: cfg.node.name },
    ],
    capacity: LAB_CAPACITY,
    allocatable: LAB_CAPACITY,
    conditions: [
      cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'lab node agent has sufficient memory available'),
      cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'lab node agent has no disk pressure'),
      cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'lab node agent has sufficient PID available'),
      cond('NetworkUnavailable', 'False', 'RouteCreated', 'lab network routes every pod CIDR'),
      cond('Ready', 'True', 'KubeletReady', 'lab node agent is posting ready status'),
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      machineID: cfg.node.name,
      systemUUID: cfg.node.name,
      bootID,
      kernelVersion: 'lab',
      osImage: 'fleetlb lab node',
      containerRuntimeVersion: 'fleetlb-lab://1',
      kubeletVersion: cfg.kubernetesVersion,
      kubeProxyVersion: cfg.kubernetesVersion,
      operatingSystem: 'linux',
      architecture: 'amd64',
    },
  };
}

/** The heartbeat Lease in kube-node-lease, renewed every 10 s as kubelets do. */
export function leaseSpec(cfg: AgentConfig, renew: Date) {
  return {
    holderIdentity: cfg.node.name,
    leaseDurationSeconds: 40,
    renewTime: renew.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z'),
  };
}
