import { readFile, readdir, access } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';

/**
 * Which interfaces layer 2 announces from (MetalLB's rules): up with a carrier, broadcast-capable,
 * ARP-enabled, not a loopback, not enslaved to a bond or bridge, not matching an exclude pattern;
 * NDP also needs an IPv6 link-local address to answer from.
 */

export interface LinkFacts {
  name: string;
  /** /sys/class/net/NAME/flags */
  flags: number;
  /** /sys/class/net/NAME/carrier is 1 */
  carrier: boolean;
  /** Has a master (bond or bridge port). */
  enslaved: boolean;
  /** IPv6 link-local address, if any. */
  linkLocal?: string;
}

const IFF_UP = 0x1;
const IFF_BROADCAST = 0x2;
const IFF_LOOPBACK = 0x8;
const IFF_NOARP = 0x80;

/** MetalLB's metallb-excludel2 defaults: interfaces of container runtimes and CNIs. */
export const DEFAULT_EXCLUDED_INTERFACES: readonly string[] = ['^docker.*', '^cbr.*', '^dummy.*', '^virbr.*', '^lxcbr.*', '^veth.*', '^lo$', '^cali.*', '^tunl.*', '^flannel.*', '^kube-ipvs.*', '^cni.*', '^nodelocaldns.*', '^lxc.*'];

export function usableInterfaces(links: readonly LinkFacts[], exclude: readonly RegExp[]): LinkFacts[] {
  return links
    .filter((l) => (l.flags & IFF_UP) !== 0 && (l.flags & IFF_BROADCAST) !== 0 && (l.flags & (IFF_LOOPBACK | IFF_NOARP)) === 0)
    .filter((l) => l.carrier && !l.enslaved && !exclude.some((re) => re.test(l.name)))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** The interfaces an announcement uses: those named (if any), among the usable ones. */
export function pickInterfaces(usable: readonly LinkFacts[], named: readonly string[]): LinkFacts[] {
  return named.length === 0 ? [...usable] : usable.filter((l) => named.includes(l.name));
}

/**
 * Why an address this node won cannot be announced, or undefined when it can: none of the
 * interfaces the advertisements name is usable here (absent, down, no carrier, excluded), or the
 * node has no usable interface at all. The speaker turns this into an `announceFailed` event.
 */
export function announceFailure(node: string, usable: readonly LinkFacts[], named: readonly string[]): string | undefined {
  if (pickInterfaces(usable, named).length > 0) return undefined;
  if (named.length === 0) return `node "${node}" has no usable interface to announce from (up, with a carrier, broadcast-capable and not excluded)`;
  return `the interfaces the L2Advertisement(s) name (${named.join(', ')}) are not usable on node "${node}" (usable: ${usable.map((l) => l.name).join(', ') || 'none'})`;
}

/** Read the links of this network namespace from /sys and os.networkInterfaces(). */
export async function readLinks(): Promise<LinkFacts[]> {
  const addrs = networkInterfaces();
  const out: LinkFacts[] = [];
  for (const name of await readdir('/sys/class/net').catch(() => [] as string[])) {
    const dir = `/sys/class/net/${name}`;
    const flags = parseInt(await readFile(`${dir}/flags`, 'utf8').catch(() => '0'), 16);
    // Reading carrier of a link that is administratively down fails (EINVAL): no carrier.
    const carrier = (await readFile(`${dir}/carrier`, 'utf8').catch(() => '0')).trim() === '1';
    const enslaved = await access(`${dir}/master`).then(
      () => true,
      () => false,
    );
    const ll = (addrs[name] ?? []).find((a) => a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80:'));
    out.push({ name, flags: Number.isNaN(flags) ? 0 : flags, carrier, enslaved, ...(ll ? { linkLocal: ll.address.split('%')[0] } : {}) });
  }
  return out;
}
