/**
 * The lab's address plan (MISSION.md): every cluster gets its own slice, indexed by its position
 * in the fleet (hub = 0, members 1..15). Pure functions, so tests and the network code agree.
 */

export const MAX_CLUSTERS = 16;

export interface ClusterAddressing {
  /** /20 of 198.19.0.0/16 and /108 of 2001:db8:2000::/96. */
  serviceCIDRs: [string, string];
  /** /20 of 198.18.0.0/16 and /60 of 2001:db8:1000::/52; a /24 and a /64 per node. */
  podCIDRs: [string, string];
  nodeMaskV4: 24;
  nodeMaskV6: 64;
  /** First address of the IPv4 service range: the `kubernetes` Service. */
  kubernetesServiceIP: string;
}

export function clusterAddressing(index: number): ClusterAddressing {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_CLUSTERS) {
    throw new RangeError(`cluster index ${index} outside 0..${MAX_CLUSTERS - 1}`);
  }
  const third = index * 16;
  const v6 = (index * 16).toString(16);
  return {
    serviceCIDRs: [`198.19.${third}.0/20`, index === 0 ? '2001:db8:2000::/108' : `2001:db8:2000::${v6}:0/108`],
    podCIDRs: [`198.18.${third}.0/20`, index === 0 ? '2001:db8:1000::/60' : `2001:db8:1000:${v6}::/60`],
    nodeMaskV4: 24,
    nodeMaskV6: 64,
    kubernetesServiceIP: `198.19.${third}.1`,
  };
}
