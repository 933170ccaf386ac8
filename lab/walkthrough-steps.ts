import { contains, parseIP, parseRange } from '../runtime/ip.js';
import type { NetworkPlan } from './network-plan.js';

/**
 * The Fleet Manager walkthrough (MISSION.md, seed 001) as data: the commands in order, what each
 * must print before the next may run, and the values later steps take from earlier output (the
 * external IP). Pure. `npm run demo` plays it and the end-to-end test runs the very same list
 * (lab/walkthrough-runner.ts), so the test checks exactly what the demo shows.
 */

/** Values a step takes from earlier output, e.g. `ip` from the MultiClusterService. */
export type Captures = Record<string, string>;

export interface StepContext {
  /** Kubeconfig file of a lab cluster. */
  kubeconfig: (cluster: string) => string;
  /** Absolute path of a file of the repository, e.g. `examples/kuard/crp-2.yaml`. */
  repoFile: (path: string) => string;
  values: Captures;
}

/** Repeat the command until `check` passes (returns undefined) or the bound is reached. */
export interface Until {
  /** What is missing in this output, or undefined when it is what the walkthrough shows. */
  check: (out: string, values: Captures) => string | undefined;
  timeoutMs: number;
  /** What the runner says it is waiting for. */
  waitingFor: string;
}

export interface CommandStep {
  kind: 'kubectl' | 'fleetlb';
  id: string;
  /** The walkthrough's words before the command. */
  say: string;
  /** kubectl: the cluster whose kubeconfig the command runs with (shown as KUBECONFIG=…). */
  cluster?: string;
  args: (ctx: StepContext) => string[];
  /** A repository file shown before the command (the walkthrough's crp-2.yaml). */
  show?: string;
  until?: Until;
  capture?: (out: string) => Captures;
}

export interface CurlStep {
  kind: 'curl';
  id: string;
  say: string;
  /** The lab namespace the requests come from. */
  from: string;
  /** host:port, IPv6 in brackets. */
  target: (values: Captures) => string;
  /** At least this many requests, then more until every cluster of `expect` answered, at most `max`. */
  min: number;
  max: number;
  expect: string[];
  /** Before counting: how long the first answer may take (the VIP announced, pods ready). */
  firstAnswerMs: number;
}

export type Step = CommandStep | CurlStep;

export const WALKTHROUGH_NAMESPACE = 'kuard-demo';
export const WALKTHROUGH_SERVICE = 'kuard';
export const KUARD_PORT = 8080;
/** Name of the load balancer (`fleetlb lb create`) that gives each member its address pool. */
export const LOAD_BALANCER = 'kuard-vips';

/** A lab member: its name and its index in the lab (the hub is 0). */
export interface LabMember {
  name: string;
  index: number;
}

/**
 * Each member's slice of the lab's VIP ranges (198.51.100.0/24, 2001:db8:100::/64): disjoint, so
 * two members never answer for the same address on the shared LAN. Member index i gets
 * 198.51.100.(16·i)/28 and 2001:db8:100::i:0/112.
 */
export function memberPool(index: number): { v4: string; v6: string } {
  if (!Number.isInteger(index) || index < 1 || index > 15) throw new RangeError(`no VIP slice for cluster index ${index} (1–15)`);
  return { v4: `198.51.100.${16 * index}/28`, v6: `2001:db8:100::${index.toString(16)}:0/112` };
}

export function inPool(ip: string, index: number): boolean {
  const a = parseIP(ip);
  if (!a) return false;
  const p = memberPool(index);
  return [p.v4, p.v6].some((cidr) => {
    const r = parseRange(cidr);
    return r.ok && contains(r.range, a);
  });
}

/**
 * Rows of a kubectl table, keyed by its header (NAME, IS-VALID, …). Cells are cut at the header's
 * column starts (kubectl aligns them so), because an empty cell is blank, not a word.
 */
export function kubectlTable(out: string): Record<string, string>[] {
  const [header, ...lines] = out.replace(/\s+$/, '').split('\n').filter((l) => l.trim() !== '');
  if (!header) return [];
  const starts = [...header.matchAll(/\S+/g)].map((m) => ({ name: m[0], at: m.index }));
  return lines.map((l) => Object.fromEntries(starts.map((c, i) => [c.name, l.slice(c.at, starts[i + 1]?.at ?? l.length).trim()])));
}

const rowNamed = (out: string, name: string) => kubectlTable(out).find((r) => r.NAME === name);

/** What `kubectl get clusterresourceplacements` lacks before kuard-demo is SCHEDULED and APPLIED. */
export function crpMissing(out: string, name = WALKTHROUGH_NAMESPACE): string | undefined {
  const r = rowNamed(out, name);
  if (!r) return `no row ${name}`;
  if (r.SCHEDULED !== 'True') return `SCHEDULED is ${r.SCHEDULED || 'empty'}`;
  if (r.APPLIED !== 'True') return `APPLIED is ${r.APPLIED || 'empty'}`;
  return undefined;
}

/** What `kubectl get serviceexport` lacks before it prints `kuard True False`. */
export function exportMissing(out: string, name = WALKTHROUGH_SERVICE): string | undefined {
  const r = rowNamed(out, name);
  if (!r) return `no row ${name}`;
  if (r['IS-VALID'] !== 'True') return `IS-VALID is ${r['IS-VALID'] || 'empty'}`;
  if (r['IS-CONFLICTED'] !== 'False') return `IS-CONFLICTED is ${r['IS-CONFLICTED'] || 'empty'}`;
  return undefined;
}

/** What `kubectl get multiclusterservice` lacks before it shows an EXTERNAL-IP of the member's pool and IS-VALID True. */
export function mcsMissing(out: string, memberIndex: number, name = WALKTHROUGH_SERVICE): string | undefined {
  const r = rowNamed(out, name);
  if (!r) return `no row ${name}`;
  const ip = r['EXTERNAL-IP'] ?? '';
  if (!ip || ip === '<none>') return 'no EXTERNAL-IP yet';
  if (!inPool(ip, memberIndex)) return `EXTERNAL-IP ${ip} is not from the member's pool ${Object.values(memberPool(memberIndex)).join(', ')}`;
  if (r['IS-VALID'] !== 'True') return `IS-VALID is ${r['IS-VALID'] || 'empty'}`;
  return undefined;
}

export const externalIP = (out: string, name = WALKTHROUGH_SERVICE): string | undefined => {
  const ip = rowNamed(out, name)?.['EXTERNAL-IP'];
  return ip && ip !== '<none>' ? ip : undefined;
};

/** `host:port`, with an IPv6 host in brackets. */
export const hostPort = (ip: string, port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

/** The page context kuard prints on the line `grep addrs` finds. */
export interface KuardAnswer {
  hostname: string;
  addrs: string[];
}

export function parseKuardAnswer(line: string): KuardAnswer | undefined {
  const addrs = /"addrs":(\[[^\]]*\])/.exec(line)?.[1];
  const hostname = /"hostname":"([^"]*)"/.exec(line)?.[1];
  if (!addrs || hostname === undefined) return undefined;
  try {
    const list = JSON.parse(addrs) as unknown;
    return Array.isArray(list) && list.every((a) => typeof a === 'string') ? { hostname, addrs: list as string[] } : undefined;
  } catch {
    return undefined;
  }
}

/** The lab node (and so the cluster) whose pod CIDRs hold an address. */
export function podOrigin(plan: Pick<NetworkPlan, 'nodes'>, address: string): { node: string; cluster: string } | undefined {
  const a = parseIP(address);
  if (!a) return undefined;
  for (const n of plan.nodes) {
    for (const cidr of n.podCIDRs) {
      const r = parseRange(cidr);
      if (r.ok && contains(r.range, a)) return { node: n.name, cluster: n.cluster };
    }
  }
  return undefined;
}

/** The part of kuard's page line worth printing: its hostname and addresses. */
export function shortAnswer(a: KuardAnswer): string {
  return `"hostname":"${a.hostname}","addrs":${JSON.stringify(a.addrs)}`;
}

export type AdvertiseMode = 'ARP' | 'BGP' | 'Both';

/**
 * Each member gets an address pool and its advertisement the Azure Arc way (`fleetlb lb create`,
 * as `az k8s-runtime load-balancer create`); for BGP also a peer, the lab router.
 */
export function poolSteps(members: readonly LabMember[], mode: AdvertiseMode, router?: { asn: number; address: string; myAsn: number }): Step[] {
  const steps: Step[] = [];
  for (const m of members) {
    const p = memberPool(m.index);
    steps.push({
      kind: 'fleetlb',
      id: `pool-${m.name}`,
      say: `Give ${m.name} its share of the lab's load-balancer addresses, announced by ${mode === 'ARP' ? 'ARP/NDP (layer 2)' : mode === 'BGP' ? 'BGP to the lab router' : 'ARP/NDP and BGP'}:`,
      args: (ctx) => ['lb', 'create', LOAD_BALANCER, '--addresses', `${p.v4},${p.v6}`, '--advertise-mode', mode, '--kubeconfig', ctx.kubeconfig(m.name)],
    });
    if (mode !== 'ARP' && router) {
      steps.push({
        kind: 'fleetlb',
        id: `bgp-peer-${m.name}`,
        say: `Peer ${m.name}'s nodes (AS ${router.myAsn}) with the lab router (AS ${router.asn} at ${router.address}):`,
        args: (ctx) => ['bgp-peer', 'create', 'lab-router', '--my-asn', String(router.myAsn), '--peer-asn', String(router.asn), '--peer-address', router.address, '--kubeconfig', ctx.kubeconfig(m.name)],
      });
    }
  }
  return steps;
}

export interface WalkthroughOptions {
  /** The members in eastus that get the workload (the walkthrough's aks-member-1 and -2). */
  eastus: [LabMember, LabMember];
  /** How long each check may take to show what the walkthrough shows (default 180 s: a busy machine is slow). */
  waitMs?: number;
  curls?: { min: number; max: number };
}

/** The walkthrough, step by step, as MISSION.md gives it. */
export function walkthroughSteps(o: WalkthroughOptions): Step[] {
  const [m1, m2] = o.eastus;
  const wait = o.waitMs ?? 180_000;
  const ns = WALKTHROUGH_NAMESPACE;
  const exportSteps = [m1, m2].map((m): Step => ({
    kind: 'kubectl',
    id: `serviceexport-${m.name}`,
    say: `Check on ${m.name} (eastus) that the Service is exported: IS-VALID True, IS-CONFLICTED False (it can take a minute to propagate).`,
    cluster: m.name,
    args: () => ['get', 'serviceexport', WALKTHROUGH_SERVICE, '--namespace', ns],
    until: { check: (out) => exportMissing(out), timeoutMs: wait, waitingFor: `ServiceExport ${ns}/${WALKTHROUGH_SERVICE} on ${m.name} to be valid and not conflicted` },
  }));
  return [
    {
      kind: 'kubectl',
      id: 'namespace',
      say: 'Create a namespace on the fleet\'s hub cluster:',
      cluster: 'hub',
      args: () => ['create', 'namespace', ns],
    },
    {
      kind: 'kubectl',
      id: 'export-service',
      say: 'Apply the Deployment, Service and ServiceExport:',
      cluster: 'hub',
      args: (ctx) => ['apply', '-f', ctx.repoFile('examples/kuard/kuard-export-service.yaml')],
    },
    {
      kind: 'kubectl',
      id: 'crp',
      say: 'Place the namespace, and everything in it, on the member clusters in eastus (crp-2.yaml):',
      cluster: 'hub',
      show: 'examples/kuard/crp-2.yaml',
      args: (ctx) => ['apply', '-f', ctx.repoFile('examples/kuard/crp-2.yaml')],
    },
    {
      kind: 'kubectl',
      id: 'crp-status',
      say: 'Check the status of the ClusterResourcePlacement:',
      cluster: 'hub',
      args: () => ['get', 'clusterresourceplacements'],
      until: { check: (out) => crpMissing(out), timeoutMs: wait, waitingFor: `ClusterResourcePlacement ${ns} to be scheduled and applied` },
    },
    ...exportSteps,
    {
      kind: 'kubectl',
      id: 'mcs',
      say: `Create a MultiClusterService on ${m1.name} to load-balance across the endpoints of both clusters:`,
      cluster: m1.name,
      args: (ctx) => ['apply', '-f', ctx.repoFile('examples/kuard/kuard-mcs.yaml')],
    },
    {
      kind: 'kubectl',
      id: 'mcs-status',
      say: 'Check that the MultiClusterService is valid and has an external IP:',
      cluster: m1.name,
      args: () => ['get', 'multiclusterservice', WALKTHROUGH_SERVICE, '--namespace', ns],
      until: { check: (out) => mcsMissing(out, m1.index), timeoutMs: wait, waitingFor: `MultiClusterService ${ns}/${WALKTHROUGH_SERVICE} on ${m1.name} to get an external IP and be valid` },
      capture: (out): Captures => {
        const ip = externalIP(out);
        return ip ? { ip } : {};
      },
    },
    {
      kind: 'curl',
      id: 'curl',
      say: `Ask the external IP several times, from the lab's client: the pods answering come from ${m1.name} and ${m2.name}.`,
      from: 'client',
      target: (v) => hostPort(v.ip ?? '', KUARD_PORT),
      min: o.curls?.min ?? 8,
      max: o.curls?.max ?? 30,
      expect: [m1.name, m2.name],
      firstAnswerMs: wait,
    },
    ...[m1, m2].map((m): Step => ({
      kind: 'kubectl',
      id: `pods-${m.name}`,
      say: `The pods and their addresses on ${m.name}:`,
      cluster: m.name,
      args: () => ['get', 'pods', '-n', ns, '-o', 'wide'],
    })),
  ];
}
