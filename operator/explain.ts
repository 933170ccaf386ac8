/**
 * `fleetlb explain service|mcs`: one screen answering "why does / doesn't my IP work". Pure: the
 * command gathers the facts (Service, endpoints, speakers' status objects, BGP sessions, events,
 * the MultiClusterService and its import); these functions say what they mean.
 */

export interface EndpointCounts {
  ready: number;
  /** Serving but terminating: still answering while it drains. */
  terminating: number;
  notReady: number;
}

export interface BGPSessionFact {
  peer: string;
  address: string;
  state: string;
  establishedSince?: string;
  lastError?: string;
}

export interface ServiceFacts {
  namespace: string;
  name: string;
  type: string;
  externalTrafficPolicy?: string;
  ports: string[];
  ips: string[];
  pool?: string;
  /** The allocator's IPAllocated condition. */
  allocated?: { status: string; reason?: string; message?: string };
  /** Endpoints by node (or by source cluster for an imported service). */
  endpoints: Record<string, EndpointCounts>;
  /** Names of advertisements that cover the Service's pool. */
  l2Advertisements: string[];
  bgpAdvertisements: string[];
  /** From ServiceL2Status objects: who answers ARP/NDP. */
  l2: { node: string; interfaces: string[] }[];
  /** From ServiceBGPStatus objects and the peers' session status, per announcing node. */
  bgp: { node: string; sessions: BGPSessionFact[] }[];
  events: { type: string; reason: string; message: string; age: string; object: string }[];
}

export interface MCSFacts {
  namespace: string;
  name: string;
  serviceImport: string;
  valid?: { status: string; reason?: string; message?: string };
  /** Clusters the ServiceImport lists (exporting clusters). */
  clusters: string[];
  derivedService?: string;
}

const total = (c: EndpointCounts) => c.ready + c.terminating + c.notReady;

/** What is wrong, in the order a user would fix it; empty when the IP should work. */
export function problems(s: ServiceFacts): string[] {
  const out: string[] = [];
  if (s.type !== 'LoadBalancer') return [`${s.namespace}/${s.name} is a ${s.type} Service; only type LoadBalancer gets an external IP`];
  if (s.ips.length === 0) {
    out.push(s.allocated?.status === 'False' ? `no IP: ${s.allocated.reason ?? ''}: ${s.allocated.message ?? ''}` : 'no IP yet: the allocator has not decided (is fleetlb member-agent running?)');
    return out;
  }
  const counts = Object.values(s.endpoints);
  const ready = counts.reduce((n, c) => n + c.ready, 0);
  if (ready === 0) out.push(counts.length === 0 ? 'no endpoints: the Service selects no pod (or no cluster exports one)' : 'no ready endpoint: nothing is announced until a pod is ready');
  if (s.l2Advertisements.length === 0 && s.bgpAdvertisements.length === 0) out.push(`pool ${s.pool ?? '?'} is in no L2Advertisement or BGPAdvertisement: the IP is allocated but never announced`);
  if (ready > 0 && s.l2Advertisements.length > 0 && s.l2.length === 0) out.push('an L2Advertisement covers the pool but no speaker announces the IP: no eligible node with a running speaker (nodeSelectors, exclude-from-external-load-balancers, externalTrafficPolicy Local without a local endpoint)');
  if (ready > 0 && s.bgpAdvertisements.length > 0 && s.bgp.length === 0) out.push('a BGPAdvertisement covers the pool but no node announces it: no eligible node, or no BGPPeer selects the nodes');
  for (const n of s.bgp) for (const p of n.sessions) if (p.state !== 'Established') out.push(`BGP session of ${n.node} to ${p.peer} (${p.address}) is ${p.state}${p.lastError ? `: ${p.lastError}` : ''}`);
  return out;
}

function section(title: string, lines: string[]): string[] {
  return [title, ...(lines.length ? lines.map((l) => `  ${l}`) : ['  <none>'])];
}

export function formatServiceReport(s: ServiceFacts, mcs?: MCSFacts): string {
  const lines: string[] = [];
  if (mcs) {
    lines.push(`MultiClusterService ${mcs.namespace}/${mcs.name} → ServiceImport ${mcs.serviceImport}${mcs.derivedService ? ` → Service ${mcs.derivedService}` : ''}`);
    if (mcs.valid) lines.push(`  Valid: ${mcs.valid.status}${mcs.valid.reason ? ` (${mcs.valid.reason})` : ''}${mcs.valid.message ? `: ${mcs.valid.message}` : ''}`);
    lines.push(`  Exporting clusters: ${mcs.clusters.length ? mcs.clusters.join(', ') : '<none>'}`, '');
  }
  lines.push(`Service ${s.namespace}/${s.name} (${s.type}${s.externalTrafficPolicy ? `, externalTrafficPolicy ${s.externalTrafficPolicy}` : ''}) ports ${s.ports.join(', ') || '<none>'}`);
  lines.push(`  IP: ${s.ips.join(', ') || '<none>'}${s.pool ? ` from pool ${s.pool}` : ''}`);
  if (s.allocated) lines.push(`  IPAllocated: ${s.allocated.status}${s.allocated.reason ? ` (${s.allocated.reason})` : ''}${s.allocated.message ? `: ${s.allocated.message}` : ''}`);
  lines.push('');
  const where = mcs ? 'Endpoints by cluster' : 'Endpoints by node';
  lines.push(...section(where, Object.entries(s.endpoints).sort().map(([k, c]) => `${k}: ${c.ready} ready${c.terminating ? `, ${c.terminating} terminating` : ''}${c.notReady ? `, ${c.notReady} not ready` : ''} (of ${total(c)})`)));
  lines.push('');
  lines.push(...section('Announced', [
    ...s.l2.map((a) => `ARP/NDP from node ${a.node}${a.interfaces.length ? ` on ${a.interfaces.join(', ')}` : ''}`),
    ...s.bgp.map((b) => `BGP from node ${b.node} to ${b.sessions.map((p) => `${p.peer} (${p.address}, ${p.state}${p.establishedSince ? ` since ${p.establishedSince}` : ''})`).join(', ') || '<no peer>'}`),
  ]));
  lines.push(`  advertisements: ${[...s.l2Advertisements.map((a) => `L2Advertisement ${a}`), ...s.bgpAdvertisements.map((a) => `BGPAdvertisement ${a}`)].join(', ') || '<none cover the pool>'}`);
  lines.push('');
  const p = problems(s);
  lines.push(...(p.length ? section('Why it may not work', p) : ['Diagnosis: the IP is allocated, has ready endpoints and is announced.']));
  lines.push('');
  lines.push(...section('Recent events', s.events.slice(-8).map((e) => `${e.age.padStart(4)} ${e.type.padEnd(7)} ${e.reason.padEnd(18)} ${e.object}: ${e.message}`)));
  return lines.join('\n') + '\n';
}

/** "12s", "5m", "3h", "2d": kubectl's short ages. */
export function shortAge(fromIso: string | undefined, now: number): string {
  if (!fromIso) return '?';
  const s = Math.max(0, Math.floor((now - Date.parse(fromIso)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
