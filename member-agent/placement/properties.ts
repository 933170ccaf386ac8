import { ClusterProperties } from '../../api/labels.js';
import type { PropertyValue, ResourceUsage } from '../../api/cluster.js';

/**
 * The properties a member reports to the hub, from its Nodes. Pure. CPU is summed in millicores
 * and memory in bytes, then written as Kubernetes quantities.
 */

export interface NodeLike {
  metadata: { name?: string };
  spec?: { unschedulable?: boolean };
  status?: { capacity?: Record<string, string>; allocatable?: Record<string, string> };
}

function milli(q: string | undefined): number {
  if (!q) return 0;
  if (q.endsWith('m')) return Number(q.slice(0, -1)) || 0;
  return Math.round((Number(q) || 0) * 1000);
}

function bytes(q: string | undefined): number {
  if (!q) return 0;
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  if (!m?.[1]) return 0;
  const mult: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Math.round(Number(m[1]) * (m[2] ? (mult[m[2]] ?? 1) : 1));
}

const cpu = (m: number) => (m % 1000 === 0 ? String(m / 1000) : `${m}m`);
const mem = (b: number) => (b % 2 ** 20 === 0 ? `${b / 2 ** 20}Mi` : b % 2 ** 10 === 0 ? `${b / 2 ** 10}Ki` : String(b));

export function clusterProperties(nodes: readonly NodeLike[], kubernetesVersion: string, now: string): { properties: Record<string, PropertyValue>; resourceUsage: ResourceUsage } {
  let capCPU = 0;
  let capMem = 0;
  let allocCPU = 0;
  let allocMem = 0;
  for (const n of nodes) {
    capCPU += milli(n.status?.capacity?.cpu);
    capMem += bytes(n.status?.capacity?.memory);
    allocCPU += milli(n.status?.allocatable?.cpu);
    allocMem += bytes(n.status?.allocatable?.memory);
  }
  const p = (value: string): PropertyValue => ({ value, observationTime: now });
  return {
    properties: {
      [ClusterProperties.nodeCount]: p(String(nodes.length)),
      [ClusterProperties.kubernetesVersion]: p(kubernetesVersion),
    },
    resourceUsage: {
      capacity: { cpu: cpu(capCPU), memory: mem(capMem) },
      allocatable: { cpu: cpu(allocCPU), memory: mem(allocMem) },
      // Pods' requests are not subtracted yet: available is what is allocatable.
      available: { cpu: cpu(allocCPU), memory: mem(allocMem) },
      observationTime: now,
    },
  };
}
