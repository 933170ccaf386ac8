import { WellKnownCommunity } from './constants.js';
import type { LargeCommunity } from './messages.js';
import { aggregate, formatPrefix, parsePrefix, type Prefix } from './prefix.js';

/**
 * What a speaker wants announced (pure): advertisements as MetalLB's BGPAdvertisement words them
 * (an IP or prefix, communities as text, localPref, aggregation lengths), turned into routes —
 * one per aggregated prefix, merged when several advertisements give the same prefix.
 */

export interface Advertisement {
  /** A load-balancer IP (a host prefix) or a prefix. */
  prefix: string;
  /** `65000:100`, `large:1:2:3`, or a well-known name (`no-export`, `no-advertise`, `no-export-subconfed`). */
  communities?: string[];
  /** Sent to iBGP peers only. */
  localPref?: number;
  /** Roll IPv4 prefixes up to this length (MetalLB's aggregationLength, default 32). */
  aggregationLength?: number;
  /** Roll IPv6 prefixes up to this length (aggregationLengthV6, default 128). */
  aggregationLengthV6?: number;
}

export interface Route {
  prefix: Prefix;
  communities: number[];
  largeCommunities: LargeCommunity[];
  localPref?: number;
}

const WELL_KNOWN_NAMES: Record<string, number> = {
  'no-export': WellKnownCommunity.NO_EXPORT,
  'no-advertise': WellKnownCommunity.NO_ADVERTISE,
  'no-export-subconfed': WellKnownCommunity.NO_EXPORT_SUBCONFED,
};

const u = (s: string, max: number): number | undefined => (/^\d{1,10}$/.test(s) && Number(s) <= max ? Number(s) : undefined);

/** Parse one community text; a standard community is a number, a large one a triple. */
export function parseCommunity(s: string): { standard: number } | { large: LargeCommunity } | undefined {
  const known = WELL_KNOWN_NAMES[s.toLowerCase()];
  if (known !== undefined) return { standard: known };
  const parts = s.split(':');
  if (parts.length === 4 && parts[0] === 'large') {
    const [g, a, b] = [u(parts[1] ?? '', 0xffffffff), u(parts[2] ?? '', 0xffffffff), u(parts[3] ?? '', 0xffffffff)];
    return g === undefined || a === undefined || b === undefined ? undefined : { large: [g, a, b] };
  }
  if (parts.length === 2) {
    const [hi, lo] = [u(parts[0] ?? '', 0xffff), u(parts[1] ?? '', 0xffff)];
    return hi === undefined || lo === undefined ? undefined : { standard: hi * 0x10000 + lo };
  }
  return undefined;
}

export function formatCommunity(c: number): string {
  return `${Math.floor(c / 0x10000)}:${c & 0xffff}`;
}

const sortUnique = <T>(xs: T[], key: (x: T) => string, cmp: (a: T, b: T) => number): T[] => {
  const m = new Map<string, T>();
  for (const x of xs) m.set(key(x), x);
  return [...m.values()].sort(cmp);
};

/**
 * Routes from advertisements. Advertisements that aggregate to the same prefix merge: communities
 * are united (as MetalLB does) and the highest localPref wins. Invalid entries are reported, never
 * silently dropped.
 */
export function routesFromAdvertisements(ads: Advertisement[]): { routes: Route[]; errors: string[] } {
  const errors: string[] = [];
  const merged = new Map<string, Route>();
  const parsedCommunities = new Map<string, ReturnType<typeof parseCommunity>>();
  for (const ad of ads) {
    const p = parsePrefix(ad.prefix);
    if (!p) {
      errors.push(`${JSON.stringify(ad.prefix)} is not an IP address or prefix`);
      continue;
    }
    const aggLen = p.addr.length === 4 ? (ad.aggregationLength ?? 32) : (ad.aggregationLengthV6 ?? 128);
    if (!Number.isInteger(aggLen) || aggLen < 1 || aggLen > p.addr.length * 8) {
      errors.push(`aggregation length ${aggLen} is out of range for ${ad.prefix}`);
      continue;
    }
    const standard: number[] = [];
    const large: LargeCommunity[] = [];
    let bad = false;
    for (const c of ad.communities ?? []) {
      // Thousands of advertisements usually share a few community texts: parse each once.
      let parsed = parsedCommunities.get(c);
      if (!parsedCommunities.has(c)) parsedCommunities.set(c, (parsed = parseCommunity(c)));
      if (!parsed) {
        errors.push(`${JSON.stringify(c)} is not a community (want 65000:100, large:1:2:3 or a well-known name)`);
        bad = true;
      } else if ('standard' in parsed) standard.push(parsed.standard);
      else large.push(parsed.large);
    }
    if (bad) continue;
    const prefix = aggregate(p, aggLen);
    const key = formatPrefix(prefix);
    const prev = merged.get(key);
    const localPref = prev?.localPref === undefined ? ad.localPref : ad.localPref === undefined ? prev.localPref : Math.max(prev.localPref, ad.localPref);
    merged.set(key, {
      prefix,
      communities: [...(prev?.communities ?? []), ...standard],
      largeCommunities: [...(prev?.largeCommunities ?? []), ...large],
      ...(localPref === undefined ? {} : { localPref }),
    });
  }
  const routes = [...merged.values()].map((r) => ({
    ...r,
    communities: r.communities.length < 2 ? r.communities : sortUnique(r.communities, String, (a, b) => a - b),
    largeCommunities: r.largeCommunities.length < 2 ? r.largeCommunities : sortUnique(r.largeCommunities, (x) => x.join(':'), (a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]),
  }));
  return { routes, errors };
}
