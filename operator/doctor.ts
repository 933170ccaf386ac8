import { parse, parseDocument } from 'yaml';
import { overlaps, parseRange, type IPRange } from '../runtime/ip.js';
import type { AvoidRange } from './pool-suggest.js';

/**
 * `fleetlb doctor`: checks over facts gathered from a cluster. Pure: the command gathers, these
 * functions judge, so every rule is unit-tested and the command stays a thin shell.
 */

export type Severity = 'ok' | 'warning' | 'error';

export interface Finding {
  severity: Severity;
  /** Short name of the check ("kube-proxy", "pools", "services", "speakers", "bgp"). */
  check: string;
  message: string;
  /** What to do about it, when something is wrong. */
  fix?: string;
}

export interface KubeProxyFacts {
  /** The kube-proxy ConfigMap's KubeProxyConfiguration text, when there is one. */
  config?: string;
  /** Where it came from, for messages (kube-system/kube-proxy, key config.conf). */
  source?: string;
}

export interface PoolFacts {
  namespace: string;
  name: string;
  addresses: string[];
}

export interface ServiceFacts {
  namespace: string;
  name: string;
  hasAddress: boolean;
  /** The allocator's IPAllocated condition, if any. */
  allocated?: { status: string; reason?: string; message?: string };
  loadBalancerClass?: string;
}

/** mode and ipvs.strictARP of a KubeProxyConfiguration. */
export function kubeProxySettings(config: string): { mode: string; strictARP: boolean } {
  const doc = parse(config) as { mode?: string; ipvs?: { strictARP?: boolean } } | null;
  // An empty mode means the platform default: iptables on Linux.
  return { mode: doc?.mode ? doc.mode : 'iptables', strictARP: doc?.ipvs?.strictARP === true };
}

export function checkKubeProxy(f: KubeProxyFacts): Finding[] {
  if (f.config === undefined) {
    return [{ severity: 'ok', check: 'kube-proxy', message: 'no kube-proxy ConfigMap in kube-system (kube-proxy configured by flags, or another service proxy); nothing to check' }];
  }
  let s: { mode: string; strictARP: boolean };
  try {
    s = kubeProxySettings(f.config);
  } catch {
    return [{ severity: 'warning', check: 'kube-proxy', message: `${f.source ?? 'the kube-proxy configuration'} is not valid YAML; cannot check its mode` }];
  }
  if (s.mode !== 'ipvs') return [{ severity: 'ok', check: 'kube-proxy', message: `mode ${s.mode}: strictARP is not needed` }];
  if (s.strictARP) return [{ severity: 'ok', check: 'kube-proxy', message: 'mode ipvs with strictARP: true' }];
  return [{
    severity: 'error',
    check: 'kube-proxy',
    message: 'mode ipvs with strictARP: false: every node answers ARP for load-balancer addresses through kube-ipvs0, so layer-2 announcements break',
    fix: 'run fleetlb doctor --fix (it shows the change to the kube-proxy ConfigMap first), then restart kube-proxy',
  }];
}

/** The KubeProxyConfiguration with ipvs.strictARP set true, keeping comments and layout. */
export function withStrictARP(config: string): string {
  const doc = parseDocument(config);
  doc.setIn(['ipvs', 'strictARP'], true);
  return doc.toString();
}

/** A minimal line diff (`-`/`+` lines with two lines of context), enough to show a small edit. */
export function lineDiff(before: string, after: string): string {
  const a = before.split('\n');
  const b = after.split('\n');
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length - 1;
  let endB = b.length - 1;
  while (endA >= start && endB >= start && a[endA] === b[endB]) {
    endA--;
    endB--;
  }
  const ctx = 2;
  const out: string[] = [];
  for (let i = Math.max(0, start - ctx); i < start; i++) out.push(`  ${a[i]}`);
  for (let i = start; i <= endA; i++) out.push(`- ${a[i]}`);
  for (let i = start; i <= endB; i++) out.push(`+ ${b[i]}`);
  for (let i = endA + 1; i <= Math.min(a.length - 1, endA + ctx); i++) out.push(`  ${a[i]}`);
  return out.join('\n') + '\n';
}

const rangesOf = (p: PoolFacts): IPRange[] => p.addresses.flatMap((a) => {
  const r = parseRange(a);
  return r.ok ? [r.range] : [];
});

export function checkPools(pools: readonly PoolFacts[], used: readonly AvoidRange[]): Finding[] {
  const out: Finding[] = [];
  for (const p of pools) {
    const bad = p.addresses.filter((a) => !parseRange(a).ok);
    if (bad.length) out.push({ severity: 'error', check: 'pools', message: `pool ${p.namespace}/${p.name} has entries that are not addresses: ${bad.join(', ')}`, fix: 'fix spec.addresses (the allocator ignores the pool until then)' });
    for (const r of rangesOf(p)) {
      for (const u of used) {
        if (overlaps(r, u.range)) out.push({ severity: 'error', check: 'pools', message: `pool ${p.namespace}/${p.name} (${r.text}) overlaps ${u.why} (${u.range.text})`, fix: 'take the pool\'s addresses from outside the cluster\'s node, pod and service ranges (fleetlb pool suggest)' });
      }
    }
  }
  for (let i = 0; i < pools.length; i++) {
    for (let j = i + 1; j < pools.length; j++) {
      const a = pools[i]!;
      const b = pools[j]!;
      const hit = rangesOf(a).find((ra) => rangesOf(b).some((rb) => overlaps(ra, rb)));
      if (hit) out.push({ severity: 'error', check: 'pools', message: `pools ${a.namespace}/${a.name} and ${b.namespace}/${b.name} share addresses (${hit.text})`, fix: 'make the pools disjoint; the allocator refuses overlapping pools' });
    }
  }
  if (out.length === 0) out.push({ severity: 'ok', check: 'pools', message: pools.length === 0 ? 'no IPAddressPools yet (fleetlb lb create …)' : `${pools.length} pool(s), none overlapping each other or the cluster's addresses` });
  return out;
}

export function checkServices(services: readonly ServiceFacts[]): Finding[] {
  const pending = services.filter((s) => !s.hasAddress);
  if (pending.length === 0) return [{ severity: 'ok', check: 'services', message: `${services.length} LoadBalancer Service(s), all with an address` }];
  return pending.map((s) => {
    const why = s.allocated?.status === 'False'
      ? `${s.allocated.reason ?? 'not allocated'}: ${s.allocated.message ?? ''}`.trim()
      : s.loadBalancerClass
        ? `it asks for loadBalancerClass ${s.loadBalancerClass}, which fleetlb's allocator serves only when started with --load-balancer-class`
        : 'the allocator has written no condition on it: is fleetlb member-agent (allocator) running?';
    return { severity: 'error' as const, check: 'services', message: `Service ${s.namespace}/${s.name} has no external IP: ${why}` };
  });
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}

const mark: Record<Severity, string> = { ok: 'ok  ', warning: 'warn', error: 'FAIL' };

export function formatFindings(findings: readonly Finding[]): string {
  const lines = findings.map((f) => `[${mark[f.severity]}] ${f.check}: ${f.message}${f.fix ? `\n       fix: ${f.fix}` : ''}`);
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.filter((f) => f.severity === 'warning').length;
  lines.push('', errors === 0 && warnings === 0 ? 'No problems found.' : `${errors} problem(s), ${warnings} warning(s).`);
  return lines.join('\n') + '\n';
}

export interface SpeakerNodeFacts {
  name: string;
  /** The node carries node.kubernetes.io/exclude-from-external-load-balancers. */
  excluded: boolean;
  /** When its speaker last renewed its Lease (ms since epoch), and for how long that holds. */
  leaseRenewedAt?: number;
  leaseDurationMs?: number;
}

/**
 * Every node that may announce needs a live speaker (a fresh Lease): a node without one is left
 * out of every election, and with externalTrafficPolicy Local its pods are never reached.
 */
export function checkSpeakers(nodes: readonly SpeakerNodeFacts[], advertisements: number, now: number): Finding[] {
  if (advertisements === 0) return [{ severity: 'ok', check: 'speakers', message: 'no L2Advertisement or BGPAdvertisement: nothing for the speakers to announce yet' }];
  const candidates = nodes.filter((n) => !n.excluded);
  const down = candidates.filter((n) => n.leaseRenewedAt === undefined || now > n.leaseRenewedAt + (n.leaseDurationMs ?? 0));
  if (down.length === candidates.length && candidates.length > 0) {
    return [{ severity: 'error', check: 'speakers', message: `no speaker is running: none of the ${candidates.length} eligible node(s) has a live speaker, so no address is announced`, fix: 'apply deploy/speaker (fleetlb install --role member) and check the fleetlb-speaker DaemonSet\'s pods' }];
  }
  if (down.length === 0) return [{ severity: 'ok', check: 'speakers', message: `a live speaker on each of the ${candidates.length} eligible node(s)` }];
  return down.map((n) => ({
    severity: 'error' as const,
    check: 'speakers',
    message: `node ${n.name} is eligible but its speaker is ${n.leaseRenewedAt === undefined ? 'not running' : 'not renewing its Lease'}: it announces nothing and is left out of elections`,
    fix: `check the fleetlb-speaker pod on ${n.name} (kubectl -n fleetlb-system get pods -o wide), or label the node node.kubernetes.io/exclude-from-external-load-balancers`,
  }));
}

export interface BGPPeerFacts {
  name: string;
  sessions: { node: string; state: string; lastError?: string }[];
  /** The Supported condition's message when it is False. */
  unsupported?: string;
}

export function checkBGP(peers: readonly BGPPeerFacts[]): Finding[] {
  if (peers.length === 0) return [{ severity: 'ok', check: 'bgp', message: 'no BGPPeers' }];
  const out: Finding[] = [];
  for (const p of peers) {
    if (p.unsupported) out.push({ severity: 'warning', check: 'bgp', message: `BGPPeer ${p.name}: ${p.unsupported}` });
    if (p.sessions.length === 0) out.push({ severity: 'error', check: 'bgp', message: `BGPPeer ${p.name} has no session on any node`, fix: 'check its nodeSelectors and that speakers run on the selected nodes' });
    for (const s of p.sessions) {
      if (s.state !== 'Established') out.push({ severity: 'error', check: 'bgp', message: `BGP session of ${s.node} to ${p.name} is ${s.state}${s.lastError ? `: ${s.lastError}` : ''}`, fix: 'check the router side (AS numbers, address, password) and TCP port 179 from the node' });
    }
  }
  if (out.length === 0) out.push({ severity: 'ok', check: 'bgp', message: `${peers.length} peer(s), every session Established` });
  return out;
}
