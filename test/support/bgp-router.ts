import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { NetworkState } from '../../lab/lab-network.js';
import { frrInstanceDir, type FrrInstance } from '../../lab/router.js';

/** Reading the lab router (BIRD or FRR) and acting in lab namespaces, for the BGP tests. */

export interface LabNet {
  dir: string;
  network: NetworkState;
}

/**
 * Run a command in a lab namespace ('router' or a node name). (Not TestLab.exec: its runCommand
 * writes stdin to commands that exit without reading it, and an EPIPE from that escapes.)
 */
export function nsExec(lab: LabNet, where: string, command: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const net = lab.network;
  const netns = where === 'router' ? net.plan.router.netns : net.plan.nodes.find((n) => n.name === where)?.netns;
  if (!netns) throw new Error(`no lab namespace ${where}`);
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', netns, ...command], { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], timeout: 30_000 });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    if (input !== undefined && child.stdin) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(input);
    }
  });
}

/**
 * What the router knows about one prefix: BGP paths with attributes (text) and the kernel route.
 * BIRD shows every session's paths; FRR its eBGP bgpd's, the only one that feeds the kernel (the
 * iBGP and MD5 ones: frrPaths).
 */
export async function routerView(lab: LabNet, prefix: string): Promise<{ bgp: string; kernel: string }> {
  const v6 = prefix.includes(':');
  const bgp = lab.network.router === 'bird'
    ? await nsExec(lab, 'router', ['birdc', '-s', join(lab.dir, 'router', 'bird.ctl'), 'show', 'route', 'all', 'for', prefix])
    : await nsExec(lab, 'router', ['vtysh', '--vty_socket', frrInstanceDir(lab.dir, 'ebgp'), '-c', `show bgp ${v6 ? 'ipv6' : 'ipv4'} unicast ${prefix}`]);
  const kernel = await nsExec(lab, 'router', ['ip', ...(v6 ? ['-6'] : []), 'route', 'show', prefix.replace(/\/(32|128)$/, '')]);
  return { bgp: bgp.stdout, kernel: kernel.stdout };
}

/** One path of FRR's BGP table, from `show bgp … json`. */
export interface FrrPath {
  /** The global next hop (IPv6 paths also carry a link-local one). */
  nextHop: string;
  localPref: number | undefined;
  /** AS numbers separated by spaces; '' for a path from our own AS. */
  asPath: string;
  communities: string[];
  large: string[];
  /** Chosen for forwarding: the best path or one of its equal-cost multipaths. */
  used: boolean;
  internal: boolean;
}

interface FrrJsonPath {
  aspath?: { string?: string; length?: number };
  locPrf?: number;
  valid?: boolean;
  multipath?: boolean;
  bestpath?: { overall?: boolean };
  community?: { list?: string[] };
  largeCommunity?: { list?: string[] };
  nexthops?: { ip?: string; scope?: string }[];
  peer?: { type?: string };
}

/** Paths of `show bgp <family> unicast PREFIX json` (none when the prefix is not in the table). */
export function parseFrrPaths(json: string): FrrPath[] {
  const parsed = JSON.parse(json || '{}') as { paths?: FrrJsonPath[] };
  return (parsed.paths ?? []).map((p) => ({
    nextHop: (p.nexthops ?? []).find((n) => n.scope !== 'link-local')?.ip ?? '',
    localPref: p.locPrf,
    asPath: p.aspath?.length ? (p.aspath.string ?? '') : '',
    communities: p.community?.list ?? [],
    large: p.largeCommunity?.list ?? [],
    used: p.valid === true && (p.multipath === true || p.bestpath?.overall === true),
    internal: p.peer?.type === 'internal',
  }));
}

/** An FRR instance's paths for one prefix. */
export async function frrPaths(lab: LabNet, prefix: string, instance: FrrInstance): Promise<FrrPath[]> {
  const family = prefix.includes(':') ? 'ipv6' : 'ipv4';
  const r = await nsExec(lab, 'router', ['vtysh', '--vty_socket', frrInstanceDir(lab.dir, instance), '-c', `show bgp ${family} unicast ${prefix} json`]);
  if (r.code !== 0) throw new Error(`vtysh (${instance}): ${r.stderr}`);
  return parseFrrPaths(r.stdout);
}

/** The distinct next hops FRR forwards a prefix to (ECMP), sorted. */
export function usedNextHops(paths: FrrPath[]): string[] {
  return [...new Set(paths.filter((p) => p.used).map((p) => p.nextHop))].sort();
}

/** Kernel next hops of a route (`via X` of one or several nexthop lines). */
export function nextHops(kernel: string): string[] {
  return [...kernel.matchAll(/via (?:inet6 )?(\S+)/g)].map((m) => m[1] ?? '').sort();
}

export const hasCommunity = (text: string, hi: number, lo: number) => new RegExp(`\\(${hi},${lo}\\)|Community: .*\\b${hi}:${lo}\\b`).test(text);
export const hasLarge = (text: string, g: number, a: number, b: number) => new RegExp(`\\(${g}, ${a}, ${b}\\)|Large Community: .*\\b${g}:${a}:${b}\\b`).test(text);

/** Drop BGP in and out of a node (nothing sent, no FIN, no RST): a silently cut link. */
export function cutBgpRules(table: string, ports: number[]): string {
  const set = `{ ${ports.join(', ')} }`;
  return `table inet ${table} {\n chain in { type filter hook input priority -10; tcp sport ${set} drop; }\n chain out { type filter hook output priority -10; tcp dport ${set} drop; }\n}\n`;
}
