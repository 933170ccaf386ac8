import type { BGPAdvertisement, BGPPeer, Community } from '../../api/metallb.js';
import { eligibility, selectsNode, type AdvertisementSelection } from '../eligibility.js';
import type { SpeakerView } from '../view.js';
import { BGP_PORT } from './constants.js';
import type { PeerConfig } from './peer.js';
import { parseAddress } from './prefix.js';
import { parseCommunity, type Advertisement } from './routes.js';
import { validateSessionConfig } from './session.js';

/**
 * What this node's BGP speaker should do (pure): which BGPPeers it opens sessions to, with what
 * session configuration, and which routes go to each — from the speaker's view (Services,
 * endpoints, nodes, pools) and the BGP objects (BGPPeer, BGPAdvertisement, Community). Fields the
 * speaker cannot honour are reported, never silently ignored.
 */

export interface BgpObjects {
  peers: readonly BGPPeer[];
  advertisements: readonly BGPAdvertisement[];
  communities: readonly Community[];
}

export interface PeerPlan {
  /** namespace/name of the BGPPeer. */
  key: string;
  name: string;
  namespace: string;
  /** Undefined when the peer cannot be served (see problems). */
  config?: PeerConfig;
  /** The TCP MD5 key comes from this Secret (key `password`), resolved at the edge. */
  passwordSecret?: { namespace: string; name: string };
  routes: Advertisement[];
  /** Fields we do not support: reported on the BGPPeer's status. */
  unsupported: string[];
  /** Invalid configuration: the session is not opened. */
  errors: string[];
}

export interface BgpPlan {
  peers: PeerPlan[];
  /** Service key → the BGPPeers (names) its addresses go to from this node, and those addresses. */
  services: Map<string, { namespace: string; name: string; peers: string[]; ips: string[] }>;
  /** Problems with advertisements (bad community), for events/logs. */
  problems: string[];
}

export interface BGPAdvertisementFacts extends AdvertisementSelection {
  namespace: string;
  peers: readonly string[];
  communities: readonly string[];
  localPref?: number;
  aggregationLength?: number;
  aggregationLengthV6?: number;
}

/** A Go duration ("90s", "1m30s", "500ms") in milliseconds; undefined when it is not one. */
export function parseGoDuration(s: string): number | undefined {
  if (s === '0') return 0;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(s))) {
    total += Number(m[1]) * (unit[m[2] ?? ''] ?? NaN);
    end = re.lastIndex;
  }
  return end === s.length && end > 0 && Number.isFinite(total) ? total : undefined;
}

/** Resolve Community aliases (Community objects of the namespace) to values parseCommunity knows. */
export function resolveCommunities(values: readonly string[], communities: readonly Community[]): { values: string[]; errors: string[] } {
  const alias = new Map<string, string>();
  for (const c of communities) for (const e of c.spec?.communities ?? []) alias.set(e.name, e.value);
  const out: string[] = [];
  const errors: string[] = [];
  for (const v of values) {
    if (parseCommunity(v)) out.push(v);
    else if (alias.has(v) && parseCommunity(alias.get(v) ?? '')) out.push(alias.get(v) ?? '');
    else errors.push(`community ${JSON.stringify(v)} is neither a value (65000:100, large:1:2:3, no-export…) nor a Community alias`);
  }
  return { values: out, errors };
}

export function advertisementFacts(a: BGPAdvertisement): BGPAdvertisementFacts {
  const s = a.spec ?? {};
  return {
    name: a.metadata.name ?? '',
    namespace: a.metadata.namespace ?? '',
    ipAddressPools: s.ipAddressPools ?? [],
    ipAddressPoolSelectors: s.ipAddressPoolSelectors ?? [],
    nodeSelectors: s.nodeSelectors ?? [],
    serviceSelectors: s.serviceSelectors ?? [],
    peers: s.peers ?? [],
    communities: s.communities ?? [],
    ...(s.localPref !== undefined ? { localPref: s.localPref } : {}),
    ...(s.aggregationLength !== undefined ? { aggregationLength: s.aggregationLength } : {}),
    ...(s.aggregationLengthV6 !== undefined ? { aggregationLengthV6: s.aggregationLengthV6 } : {}),
  };
}

/** Session configuration from a BGPPeer, with what we cannot honour and what is invalid. */
export function peerConfig(p: BGPPeer, defaults: { routerId?: string }): Pick<PeerPlan, 'config' | 'passwordSecret' | 'unsupported' | 'errors'> {
  const s = p.spec;
  const unsupported: string[] = [];
  const errors: string[] = [];
  if (s.vrf) unsupported.push(`vrf ${JSON.stringify(s.vrf)}: fleetlb's speaker opens sessions in the default VRF only, so this peer gets no session`);
  if (s.interface) unsupported.push(`interface ${JSON.stringify(s.interface)} (BGP unnumbered): give peerAddress instead; this peer gets no session`);
  if (s.dynamicASN) unsupported.push(`dynamicASN ${JSON.stringify(s.dynamicASN)}: give peerASN instead; this peer gets no session`);
  if (s.localASN !== undefined) unsupported.push('localASN is not supported: the session uses myASN');
  if (s.bfdProfile) unsupported.push(`bfdProfile ${JSON.stringify(s.bfdProfile)}: BFD is not supported; the session relies on the hold timer`);
  if (s.disableMP) unsupported.push('disableMP is not supported: one multiprotocol session carries both families');
  const blocking = !!(s.vrf || s.interface || s.dynamicASN);
  const ms = (field: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const d = parseGoDuration(v);
    if (d === undefined) errors.push(`${field} ${JSON.stringify(v)} is not a duration`);
    return d;
  };
  const hold = ms('holdTime', s.holdTime);
  const keepalive = ms('keepaliveTime', s.keepaliveTime);
  const connect = ms('connectTime', s.connectTime);
  const routerId = s.routerID ?? (s.sourceAddress && parseAddress(s.sourceAddress)?.addr.length === 4 ? s.sourceAddress : defaults.routerId);
  if (!routerId) errors.push('no routerID, and the node has no IPv4 address to use as one');
  if (s.peerAddress === undefined && !s.interface) errors.push('peerAddress is required');
  if (blocking || errors.length || s.peerASN === undefined || s.peerAddress === undefined) {
    return { unsupported, errors };
  }
  const config: PeerConfig = {
    localAsn: s.myASN,
    peerAsn: s.peerASN,
    peerAddress: s.peerAddress,
    routerId: routerId ?? '',
    ...(s.peerPort !== undefined && s.peerPort !== BGP_PORT ? { peerPort: s.peerPort } : {}),
    ...(s.sourceAddress ? { sourceAddress: s.sourceAddress } : {}),
    ...(hold !== undefined ? { holdTimeSec: Math.round(hold / 1000) } : {}),
    ...(keepalive !== undefined ? { keepaliveTimeSec: Math.max(1, Math.round(keepalive / 1000)) } : {}),
    // MetalLB's connectTime: the wait between connection attempts (FRR's "timers connect").
    ...(connect !== undefined ? { connectRetry: { initialMs: connect, maxMs: connect } } : {}),
    ...(s.ebgpMultiHop ? { multiHop: true } : {}),
    ...(s.enableGracefulRestart ? { gracefulRestart: { restartTimeSec: 120 } } : {}),
    ...(s.password ? { password: s.password } : {}),
  };
  errors.push(...validateSessionConfig(config));
  if (errors.length) return { unsupported, errors };
  return {
    config,
    ...(s.passwordSecret?.name && !s.password ? { passwordSecret: { namespace: s.passwordSecret.namespace ?? p.metadata.namespace ?? '', name: s.passwordSecret.name } } : {}),
    unsupported,
    errors,
  };
}

/** The plan for `view.node`; `routerId` is the node's IPv4 address, for peers that set none. */
export function planBgp(view: SpeakerView, objs: BgpObjects, defaults: { routerId?: string } = {}): BgpPlan {
  const me = view.nodes.find((n) => n.name === view.node);
  const plan: BgpPlan = { peers: [], services: new Map(), problems: [] };
  if (!me) return plan;
  const ads = objs.advertisements.map(advertisementFacts);
  const mine = objs.peers
    .filter((p) => selectsNode({ name: '', nodeSelectors: p.spec.nodeSelectors ?? [] }, me))
    .map((p) => ({ name: p.metadata.name ?? '', namespace: p.metadata.namespace ?? '', ...peerConfig(p, defaults) }));
  // Routes go only to peers that get a session: ServiceBGPStatus must not name the others.
  const byPeer = new Map<string, Advertisement[]>(mine.filter((p) => p.config).map((p) => [p.name, []]));
  const reported = new Set<string>();
  for (const svc of view.services) {
    const to = new Set<string>();
    const sent = new Set<string>();
    for (const ip of svc.ips) {
      const e = eligibility(svc, ip, ads, view.pools, view.nodes);
      if (!e.nodes.includes(view.node)) continue;
      for (const ad of e.advertisements) {
        if (!selectsNode(ad, me)) continue;
        const c = resolveCommunities(ad.communities, objs.communities.filter((x) => x.metadata.namespace === ad.namespace));
        for (const err of c.errors) {
          const msg = `BGPAdvertisement ${ad.namespace}/${ad.name}: ${err}`;
          if (!reported.has(msg)) plan.problems.push(msg);
          reported.add(msg);
        }
        const route: Advertisement = {
          prefix: ip,
          communities: c.values,
          ...(ad.localPref !== undefined ? { localPref: ad.localPref } : {}),
          ...(ad.aggregationLength !== undefined ? { aggregationLength: ad.aggregationLength } : {}),
          ...(ad.aggregationLengthV6 !== undefined ? { aggregationLengthV6: ad.aggregationLengthV6 } : {}),
        };
        for (const [peer, routes] of byPeer) {
          if (ad.peers.length > 0 && !ad.peers.includes(peer)) continue;
          routes.push(route);
          to.add(peer);
          sent.add(ip);
        }
      }
    }
    if (to.size) plan.services.set(svc.key, { namespace: svc.namespace, name: svc.name, peers: [...to].sort(), ips: [...sent] });
  }
  for (const p of mine) plan.peers.push({ key: `${p.namespace}/${p.name}`, ...p, routes: byPeer.get(p.name) ?? [] });
  return plan;
}
