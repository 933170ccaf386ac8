import { familyBits, formatIP, overlaps, parseIP, parseRange, type Family, type IPRange } from '../runtime/ip.js';
import { ErrorCodes, FleetlbError } from '../runtime/errors.js';

/**
 * `fleetlb pool suggest`: the subnet arithmetic sipcalc prints, and a block of addresses at the top
 * of the subnet that stays clear of everything the cluster already uses. Pure: the caller gathers
 * the addresses to avoid (nodes, pods, services, existing pools).
 */

export interface AvoidRange {
  range: IPRange;
  /** What uses it, for the report ("node member-1-node-1", "pod CIDR of …"). */
  why: string;
}

export interface SubnetFacts {
  family: Family;
  host: string;
  network: string;
  prefixLength: number;
  /** Dotted mask for IPv4; undefined for IPv6. */
  netmask?: string;
  /** IPv4 only: IPv6 has no broadcast address. */
  broadcast?: string;
  size: bigint;
  networkRange: [string, string];
  usableRange: [string, string];
}

export interface Suggestion {
  subnet: SubnetFacts;
  /** Inclusive start-end, as an IPAddressPool entry; undefined when no block of `count` fits. */
  range?: string;
  count: number;
  /** The used ranges that lie inside the subnet (those the suggestion stepped around). */
  avoided: AvoidRange[];
}

function subnetOf(cidr: string): { host: bigint; family: Family; bits: number; first: bigint; last: bigint } {
  const slash = cidr.indexOf('/');
  const host = parseIP(slash < 0 ? cidr : cidr.slice(0, slash));
  const r = parseRange(cidr);
  if (slash < 0 || !host || !r.ok) {
    throw new FleetlbError(ErrorCodes.CLI_USAGE, `--cidr ${cidr} is not an address with a prefix length, such as 172.19.0.1/16 or 2001:db8:0:1::1/64.`);
  }
  return { host: host.value, family: host.family, bits: Number(cidr.slice(slash + 1)), first: r.range.first, last: r.range.last };
}

export function subnetFacts(cidr: string): SubnetFacts {
  const s = subnetOf(cidr);
  const ip = (value: bigint) => formatIP({ family: s.family, value });
  const size = s.last - s.first + 1n;
  const v4 = s.family === 'IPv4';
  // IPv4 keeps network and broadcast out of use (except /31 and /32, RFC 3021); IPv6 only the
  // subnet-router anycast address (RFC 4291 §2.6.1) below /127.
  const firstUsable = v4 ? (s.bits >= 31 ? s.first : s.first + 1n) : s.bits >= 127 ? s.first : s.first + 1n;
  const lastUsable = v4 && s.bits < 31 ? s.last - 1n : s.last;
  const maskBits = familyBits(s.family);
  const mask = ((1n << BigInt(maskBits)) - 1n) ^ ((1n << BigInt(maskBits - s.bits)) - 1n);
  return {
    family: s.family,
    host: ip(s.host),
    network: ip(s.first),
    prefixLength: s.bits,
    netmask: v4 ? ip(mask) : undefined,
    broadcast: v4 ? ip(s.last) : undefined,
    size,
    networkRange: [ip(s.first), ip(s.last)],
    usableRange: [ip(firstUsable), ip(lastUsable)],
  };
}

/**
 * The highest block of `count` usable addresses that overlaps nothing in `avoid` and is not the
 * host address itself (on a bridge like KinD's, that is the gateway).
 */
export function suggestPool(cidr: string, count: number, avoid: readonly AvoidRange[]): Suggestion {
  if (!Number.isInteger(count) || count < 1) throw new FleetlbError(ErrorCodes.CLI_USAGE, `--count ${count} is not a positive whole number.`);
  const facts = subnetFacts(cidr);
  const s = subnetOf(cidr);
  const lo = parseIP(facts.usableRange[0])!.value;
  const hi0 = parseIP(facts.usableRange[1])!.value;
  const subnet: IPRange = { family: s.family, first: s.first, last: s.last, text: cidr };
  const hostRange: AvoidRange = { range: { family: s.family, first: s.host, last: s.host, text: facts.host }, why: 'the host address given in --cidr' };
  const inside = [hostRange, ...avoid].filter((a) => overlaps(a.range, subnet));
  const want = BigInt(count);
  let hi = hi0;
  while (hi - want + 1n >= lo) {
    const block: IPRange = { family: s.family, first: hi - want + 1n, last: hi, text: '' };
    const hits = inside.filter((a) => overlaps(a.range, block));
    if (hits.length === 0) {
      const ip = (value: bigint) => formatIP({ family: s.family, value });
      return { subnet: facts, range: `${ip(block.first)}-${ip(block.last)}`, count, avoided: inside.filter((a) => a !== hostRange) };
    }
    // Step below the lowest used address inside the block: nothing above it can start a block.
    hi = hits.reduce((m, a) => (a.range.first < m ? a.range.first : m), hits[0]!.range.first) - 1n;
  }
  return { subnet: facts, count, avoided: inside.filter((a) => a !== hostRange) };
}

/** The report, laid out like sipcalc's so people who know it find their lines. */
export function formatSuggestion(s: Suggestion): string {
  const f = s.subnet;
  const row = (k: string, v: string) => `${k.padEnd(24)}- ${v}`;
  const lines = [`-[${f.family === 'IPv4' ? 'ipv4' : 'ipv6'} : ${f.host}/${f.prefixLength}]`, '', '[CIDR]', row('Host address', f.host), row('Network address', f.network)];
  if (f.netmask) lines.push(row('Network mask', f.netmask));
  lines.push(row('Network mask (bits)', String(f.prefixLength)));
  if (f.broadcast) lines.push(row('Broadcast address', f.broadcast));
  lines.push(row('Addresses in network', f.size.toString()), row('Network range', `${f.networkRange[0]} - ${f.networkRange[1]}`), row('Usable range', `${f.usableRange[0]} - ${f.usableRange[1]}`), '', '[Suggested pool]');
  if (s.range) lines.push(row('Addresses', `${s.range}  (${s.count} addresses)`));
  else lines.push(row('Addresses', `none: no free block of ${s.count} addresses in this subnet`));
  for (const a of s.avoided) lines.push(row('Avoided', `${a.range.text}  (${a.why})`));
  return lines.join('\n') + '\n';
}
