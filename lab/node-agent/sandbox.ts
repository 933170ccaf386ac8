import { ip, netnsList, netnsPids, run, sysctl } from '../netns.js';

/**
 * A pod's network: its own namespace with a veth to the node, routed (not bridged) as the CNI
 * ptp plugin does. The node side of every pod veth carries the same gateway addresses
 * (169.254.1.1 and fe80::1), so each pod's default route is the same and answers come from the
 * node itself. The agent runs inside the node's namespace, so unqualified `ip` acts on the node.
 */

const GATEWAY_V4 = '169.254.1.1';
const GATEWAY_V6 = 'fe80::1';

export interface Sandbox {
  netns: string;
  /** Node-side veth name (≤ 15 characters). */
  veth: string;
  ips: string[];
}

export async function createSandbox(sb: Sandbox): Promise<void> {
  await removeSandbox(sb);
  await run('ip', ['netns', 'add', sb.netns]);
  await ip(['link', 'set', 'lo', 'up'], sb.netns);
  await sysctl(sb.netns, { 'net.ipv6.conf.all.accept_dad': 0, 'net.ipv6.conf.default.accept_dad': 0 });
  await ip(['link', 'add', sb.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', sb.netns]);
  for (const addr of sb.ips) {
    const v6 = addr.includes(':');
    await ip(['addr', 'add', `${addr}/${v6 ? 128 : 32}`, 'dev', 'eth0', ...(v6 ? ['nodad'] : [])], sb.netns);
  }
  await ip(['link', 'set', 'eth0', 'up'], sb.netns);
  await ip(['link', 'set', sb.veth, 'up']);
  await ip(['addr', 'add', `${GATEWAY_V4}/32`, 'dev', sb.veth]);
  await ip(['addr', 'add', `${GATEWAY_V6}/64`, 'dev', sb.veth, 'nodad']);
  await ip(['route', 'add', GATEWAY_V4, 'dev', 'eth0', 'scope', 'link'], sb.netns);
  await ip(['route', 'add', 'default', 'via', GATEWAY_V4, 'dev', 'eth0'], sb.netns);
  await ip(['-6', 'route', 'add', 'default', 'via', GATEWAY_V6, 'dev', 'eth0'], sb.netns);
  for (const addr of sb.ips) await ip([...(addr.includes(':') ? ['-6'] : []), 'route', 'replace', addr, 'dev', sb.veth]);
}

/** Remove the namespace (and with it the veth and routes); ends any process still inside. */
export async function removeSandbox(sb: Pick<Sandbox, 'netns'>): Promise<void> {
  if (!(await netnsList()).includes(sb.netns)) return;
  for (const pid of await netnsPids(sb.netns)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await run('ip', ['netns', 'del', sb.netns]).catch(() => {});
}

/** Sandboxes a previous run of this node's agent left behind. */
export async function leftoverSandboxes(prefix: string): Promise<string[]> {
  return (await netnsList()).filter((n) => n.startsWith(prefix));
}
