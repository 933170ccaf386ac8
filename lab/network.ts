import { setTimeout as sleep } from 'node:timers/promises';
import { ip, netnsList, netnsPids, run, sysctl } from './netns.js';
import { allNetns, nodeApiservers, podRoutes, VIP_POOL_V4, VIP_POOL_V6, type NetworkPlan } from './network-plan.js';

/**
 * Builds and removes the lab network of a plan (see network-plan.ts). Everything lives in the
 * lab's own namespaces; the host's namespace is never touched, so two labs can run side by side.
 */

const COMMON_SYSCTLS = {
  // Addresses usable at once: no duplicate-address detection delay in a lab we fully control.
  'net.ipv6.conf.all.accept_dad': 0,
  'net.ipv6.conf.default.accept_dad': 0,
  'net.ipv4.conf.all.rp_filter': 0,
  'net.ipv4.conf.default.rp_filter': 0,
};

const NODE_SYSCTLS = {
  ...COMMON_SYSCTLS,
  'net.ipv4.ip_forward': 1,
  'net.ipv6.conf.all.forwarding': 1,
  // MetalLB's strictARP: a node answers ARP only for addresses on the asking interface, so a
  // load-balancer IP that kube-proxy accepts locally is announced by the speaker alone.
  'net.ipv4.conf.all.arp_ignore': 1,
  'net.ipv4.conf.all.arp_announce': 2,
};

async function attach(plan: NetworkPlan, netns: string, port: string, v4: string, v6: string): Promise<void> {
  await ip(['link', 'add', port, 'netns', plan.lanNetns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
  await ip(['link', 'set', port, 'master', plan.bridge, 'up'], plan.lanNetns);
  await ip(['addr', 'add', `${v4}/24`, 'dev', 'eth0'], netns);
  await ip(['addr', 'add', `${v6}/64`, 'dev', 'eth0', 'nodad'], netns);
  await ip(['link', 'set', 'eth0', 'up'], netns);
}

export async function createNetwork(plan: NetworkPlan, progress: (l: string) => void = () => {}): Promise<void> {
  for (const ns of allNetns(plan)) {
    await run('ip', ['netns', 'add', ns]);
    await ip(['link', 'set', 'lo', 'up'], ns);
    await sysctl(ns, ns === plan.lanNetns ? COMMON_SYSCTLS : plan.nodes.some((n) => n.netns === ns) ? NODE_SYSCTLS : { ...COMMON_SYSCTLS, 'net.ipv4.ip_forward': 1, 'net.ipv6.conf.all.forwarding': 1 });
  }
  await ip(['link', 'add', plan.bridge, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0'], plan.lanNetns);
  await ip(['link', 'set', plan.bridge, 'up'], plan.lanNetns);

  await attach(plan, plan.router.netns, 'p-router', plan.router.lan.v4, plan.router.lan.v6);
  await attach(plan, plan.client.netns, 'p-client', plan.client.lan.v4, plan.client.lan.v6);
  for (const [i, n] of plan.nodes.entries()) await attach(plan, n.netns, `p-node${i}`, n.lan.v4, n.lan.v6);

  // The client reaches everything through the router, as a user behind a real router does.
  await ip(['route', 'add', 'default', 'via', plan.router.lan.v4], plan.client.netns);
  await ip(['-6', 'route', 'add', 'default', 'via', plan.router.lan.v6], plan.client.netns);
  // The router reaches load-balancer IPs on the LAN (layer 2) unless BGP teaches it a better
  // (longer) route, and every node's pods.
  await ip(['route', 'add', VIP_POOL_V4, 'dev', 'eth0'], plan.router.netns);
  await ip(['-6', 'route', 'add', VIP_POOL_V6, 'dev', 'eth0'], plan.router.netns);
  for (const n of plan.nodes) {
    await ip(['route', 'add', n.podCIDRs[0], 'via', n.lan.v4], plan.router.netns);
    await ip(['-6', 'route', 'add', n.podCIDRs[1], 'via', n.lan.v6], plan.router.netns);
  }
  for (const n of plan.nodes) {
    for (const r of podRoutes(plan, n)) await ip([...(r.cidr.includes(':') ? ['-6'] : []), 'route', 'add', r.cidr, 'via', r.via], n.netns);
    // Replies to the client and router leave by the LAN.
    await ip(['route', 'add', 'default', 'via', plan.router.lan.v4], n.netns);
    await ip(['-6', 'route', 'add', 'default', 'via', plan.router.lan.v6], n.netns);
    // The API servers' addresses (its cluster's, the hub's) are local; the node agent relays them.
    for (const [, address] of nodeApiservers(plan, n)) await ip(['addr', 'add', `${address}/32`, 'dev', 'lo'], n.netns);
  }
  progress(`network: LAN ${plan.lanNetns}, router, client and ${plan.nodes.length} nodes`);
}

/** Namespaces of this lab that exist now, including pod namespaces made by node agents. */
export async function labNetns(labId: string): Promise<string[]> {
  const prefix = `fl-${labId}-`;
  return (await netnsList()).filter((n) => n.startsWith(prefix));
}

/**
 * Remove every namespace of the lab. Processes still inside one (the lab stopped its own by PID
 * before) are ended by PID first; a namespace deleted while in use would linger invisibly.
 */
export async function destroyNetwork(labId: string): Promise<{ namespaces: number; strays: number[] }> {
  const names = await labNetns(labId);
  const strays: number[] = [];
  for (const ns of names) for (const pid of await netnsPids(ns)) strays.push(pid);
  const signal = (sig: NodeJS.Signals) => {
    for (const pid of strays) {
      try {
        process.kill(pid, sig);
      } catch {
        /* gone */
      }
    }
  };
  if (strays.length > 0) {
    signal('SIGTERM');
    for (let i = 0; i < 40 && (await Promise.all(names.map(netnsPids))).some((p) => p.length > 0); i++) await sleep(100);
    signal('SIGKILL');
  }
  for (const ns of names) await run('ip', ['netns', 'del', ns]).catch(() => {});
  return { namespaces: names.length, strays };
}
