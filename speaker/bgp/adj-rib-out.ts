import { Afi, AsPathSegmentType, HEADER_LENGTH, MAX_MESSAGE_LENGTH, Origin, Safi } from './constants.js';
import { encodeAttributes, type CodecContext } from './attributes.js';
import type { PathAttributes, UpdateMessage } from './messages.js';
import { formatPrefix, nlriLength, type AfiValue, type Prefix } from './prefix.js';
import type { Route } from './routes.js';
import { endOfRib } from './update.js';

/**
 * The Adj-RIB-Out of one session (pure): the attributes each route gets towards this peer, the
 * UPDATE messages that bring the peer from what it has to what we want (withdrawals first, then
 * announcements, many prefixes per UPDATE when their attributes match, each message ≤ 4096
 * octets), the whole table again for a route refresh, End-of-RIB markers and a full withdrawal.
 */

export interface OutboundParams {
  localAsn: number;
  ebgp: boolean;
  fourOctetAs: boolean;
  /** Families negotiated with the peer. */
  ipv4: boolean;
  ipv6: boolean;
  /** Next hop self: normally the session's local address of that family. */
  nextHopV4?: string;
  nextHopV6?: string;
  /** Sent after the global IPv6 next hop when the peer is on-link (RFC 2545). */
  nextHopV6LinkLocal?: string;
  /** LOCAL_PREF for iBGP routes that set none (RFC 4271 suggests 100). */
  defaultLocalPref?: number;
}

const sameFamily = (afi: AfiValue) => (p: Prefix) => p.afi === afi;

export class AdjRibOut {
  private desired = new Map<string, Route>();
  /** What the peer has: prefix → the key of the attributes it was sent with. */
  private advertised = new Map<string, { prefix: Prefix; attrKey: string }>();
  readonly ctx: CodecContext;

  constructor(private readonly params: OutboundParams) {
    this.ctx = { fourOctetAs: params.fourOctetAs, ebgp: params.ebgp };
  }

  /** Whether a route can go to this peer: its family negotiated and a next hop of that family known. */
  canSend(p: Prefix): boolean {
    return p.afi === Afi.IPV4 ? this.params.ipv4 && !!this.params.nextHopV4 : this.params.ipv6 && !!this.params.nextHopV6;
  }

  /** Routes we want announced that this peer cannot take, for status. */
  unsendable(): string[] {
    return [...this.desired.values()].filter((r) => !this.canSend(r.prefix)).map((r) => formatPrefix(r.prefix));
  }

  get advertisedCount(): number {
    return this.advertised.size;
  }

  advertisedPrefixes(): string[] {
    return [...this.advertised.keys()];
  }

  setRoutes(routes: Route[]): void {
    this.desired = new Map(routes.map((r) => [formatPrefix(r.prefix), r]));
  }

  /** Attributes of a route towards this peer (without NLRI / MP_REACH). */
  attributesFor(r: Route): PathAttributes {
    const a: PathAttributes = {
      origin: Origin.IGP,
      asPath: this.params.ebgp ? [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [this.params.localAsn] }] : [],
    };
    if (r.prefix.afi === Afi.IPV4) a.nextHop = this.params.nextHopV4;
    if (!this.params.ebgp) a.localPref = r.localPref ?? this.params.defaultLocalPref ?? 100;
    if (r.communities.length) a.communities = r.communities;
    if (r.largeCommunities.length) a.largeCommunities = r.largeCommunities;
    return a;
  }

  /** Routes with equal keys share UPDATEs. Memoised per route object: a table holds thousands. */
  private attrKey(r: Route): string {
    let k = this.keys.get(r);
    if (k === undefined) {
      const a = this.attributesFor(r);
      k = JSON.stringify([r.prefix.afi, a.localPref, a.communities, a.largeCommunities, a.nextHop]);
      this.keys.set(r, k);
    }
    return k;
  }

  private keys = new WeakMap<Route, string>();

  /** UPDATEs that bring the peer from what it has to what we want; records the result as sent. */
  changes(): UpdateMessage[] {
    const withdraw: Prefix[] = [];
    for (const [k, v] of this.advertised) {
      const want = this.desired.get(k);
      if (!want || !this.canSend(want.prefix)) {
        withdraw.push(v.prefix);
        this.advertised.delete(k);
      }
    }
    const announce: Route[] = [];
    for (const [k, r] of this.desired) {
      if (!this.canSend(r.prefix)) continue;
      const key = this.attrKey(r);
      if (this.advertised.get(k)?.attrKey === key) continue;
      announce.push(r);
      this.advertised.set(k, { prefix: r.prefix, attrKey: key });
    }
    return [...this.withdrawals(withdraw), ...this.announcements(announce)];
  }

  /** Every route we want this peer to have, again (initial table, route refresh); `afi` limits it to one family. */
  fullTable(afi?: number): UpdateMessage[] {
    const routes = [...this.desired.values()].filter((r) => this.canSend(r.prefix) && (afi === undefined || r.prefix.afi === afi));
    for (const r of routes) this.advertised.set(formatPrefix(r.prefix), { prefix: r.prefix, attrKey: this.attrKey(r) });
    return this.announcements(routes);
  }

  /** End-of-RIB markers for the negotiated families. */
  endOfRib(): UpdateMessage[] {
    const out: UpdateMessage[] = [];
    if (this.params.ipv4) out.push(endOfRib(Afi.IPV4, Safi.UNICAST));
    if (this.params.ipv6) out.push(endOfRib(Afi.IPV6, Safi.UNICAST));
    return out;
  }

  /** Withdraw everything the peer has from us. */
  withdrawAll(): UpdateMessage[] {
    const all = [...this.advertised.values()].map((v) => v.prefix);
    this.advertised.clear();
    return this.withdrawals(all);
  }

  private withdrawals(prefixes: Prefix[]): UpdateMessage[] {
    const out: UpdateMessage[] = [];
    // IPv4: the classic withdrawn-routes field. Fixed part: header, two length fields.
    for (const chunk of pack(prefixes.filter(sameFamily(Afi.IPV4)), HEADER_LENGTH + 4)) {
      out.push({ type: 'update', withdrawn: chunk, attributes: {}, nlri: [] });
    }
    // IPv6: MP_UNREACH_NLRI (up to 4 octets of attribute header, AFI/SAFI).
    for (const chunk of pack(prefixes.filter(sameFamily(Afi.IPV6)), HEADER_LENGTH + 4 + 4 + 3)) {
      out.push({ type: 'update', withdrawn: [], attributes: { mpUnreach: { afi: Afi.IPV6, safi: Safi.UNICAST, withdrawn: chunk } }, nlri: [] });
    }
    return out;
  }

  private announcements(routes: Route[]): UpdateMessage[] {
    const groups = new Map<string, Route[]>();
    for (const r of routes) {
      const k = this.attrKey(r);
      const g = groups.get(k);
      if (g) g.push(r);
      else groups.set(k, [r]);
    }
    const out: UpdateMessage[] = [];
    for (const group of groups.values()) {
      const first = group[0];
      if (!first) continue;
      const attributes = this.attributesFor(first);
      const prefixes = group.map((r) => r.prefix);
      if (first.prefix.afi === Afi.IPV4) {
        const fixed = HEADER_LENGTH + 4 + encodeAttributes(attributes, this.ctx).length;
        for (const chunk of pack(prefixes, fixed)) out.push({ type: 'update', withdrawn: [], attributes, nlri: chunk });
      } else {
        const nextHops = [this.params.nextHopV6 ?? '::'];
        if (this.params.nextHopV6LinkLocal) nextHops.push(this.params.nextHopV6LinkLocal);
        const mp = (nlri: Prefix[]) => ({ ...attributes, mpReach: { afi: Afi.IPV6, safi: Safi.UNICAST, nextHops, nlri } });
        // The MP_REACH_NLRI header may grow to the extended (4-octet) form: count it as such.
        const fixed = HEADER_LENGTH + 4 + encodeAttributes(mp([]), this.ctx).length + 1;
        for (const chunk of pack(prefixes, fixed)) out.push({ type: 'update', withdrawn: [], attributes: mp(chunk), nlri: [] });
      }
    }
    return out;
  }
}

/** Split prefixes into runs whose NLRI fit in a message after `fixed` octets. */
function pack(prefixes: Prefix[], fixed: number): Prefix[][] {
  const out: Prefix[][] = [];
  let cur: Prefix[] = [];
  let size = fixed;
  for (const p of prefixes) {
    const n = nlriLength(p);
    if (size + n > MAX_MESSAGE_LENGTH && cur.length) {
      out.push(cur);
      cur = [];
      size = fixed;
    }
    cur.push(p);
    size += n;
  }
  if (cur.length) out.push(cur);
  return out;
}
