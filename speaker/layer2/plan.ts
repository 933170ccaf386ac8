import { eligibility, selectsNode } from '../eligibility.js';
import type { SpeakerView } from '../view.js';
import { electAnnouncer } from './election.js';

/**
 * What this node announces over layer 2: for each Service, every address whose elected announcer
 * is this node, and from which interfaces. The election hashes the Service's first address, so
 * all addresses of a Service (IPv4 and IPv6) land on one node, as MetalLB does. Pure.
 */

export interface L2ServicePlan {
  key: string;
  namespace: string;
  name: string;
  uid: string;
  ips: string[];
  /** Interfaces the advertisements name for this node; empty: every usable interface. */
  interfaces: string[];
}

export interface L2Plan {
  /** Services this node announces, by key. */
  services: Map<string, L2ServicePlan>;
  /** Announcer of each covered address (for logs and tests), by IP. */
  announcers: Map<string, string | undefined>;
}

export function layer2Plan(view: SpeakerView): L2Plan {
  const services = new Map<string, L2ServicePlan>();
  const announcers = new Map<string, string | undefined>();
  const self = view.nodes.find((n) => n.name === view.node);
  for (const svc of view.services) {
    const electBy = svc.ips[0];
    if (!electBy) continue;
    for (const ip of svc.ips) {
      const e = eligibility(svc, ip, view.l2Advertisements, view.pools, view.nodes);
      if (e.advertisements.length === 0) continue;
      const winner = electAnnouncer(electBy, e.nodes);
      announcers.set(ip, winner);
      if (winner !== view.node || !self) continue;
      const mine = e.advertisements.filter((a) => selectsNode(a, self));
      const interfaces = mine.some((a) => a.interfaces.length === 0) ? [] : [...new Set(mine.flatMap((a) => a.interfaces))].sort();
      const plan = services.get(svc.key) ?? { key: svc.key, namespace: svc.namespace, name: svc.name, uid: svc.uid, ips: [], interfaces };
      plan.ips.push(ip);
      if (plan.interfaces.length > 0) plan.interfaces = interfaces.length === 0 ? [] : [...new Set([...plan.interfaces, ...interfaces])].sort();
      services.set(svc.key, plan);
    }
  }
  return { services, announcers };
}
