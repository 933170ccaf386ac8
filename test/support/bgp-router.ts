import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { NetworkState } from '../../lab/lab-network.js';

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

/** What the router knows about one prefix: BGP paths with attributes (text) and the kernel route. */
export async function routerView(lab: LabNet, prefix: string): Promise<{ bgp: string; kernel: string }> {
  const v6 = prefix.includes(':');
  const bgp = lab.network.router === 'bird'
    ? await nsExec(lab, 'router', ['birdc', '-s', join(lab.dir, 'router', 'bird.ctl'), 'show', 'route', 'all', 'for', prefix])
    : await nsExec(lab, 'router', ['vtysh', '--vty_socket', join(lab.dir, 'router'), '-c', `show bgp ${v6 ? 'ipv6' : 'ipv4'} unicast ${prefix}`]);
  const kernel = await nsExec(lab, 'router', ['ip', ...(v6 ? ['-6'] : []), 'route', 'show', prefix.replace(/\/(32|128)$/, '')]);
  return { bgp: bgp.stdout, kernel: kernel.stdout };
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
