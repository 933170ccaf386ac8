import { Annotations } from '../../api/labels.js';
import { AddressReasons, AllocationReasons, EventReasons, type AllocationReason } from './errors.js';
import { MinHeap } from './heap.js';
import { formatIP, parseIP, type Address, type Family } from '../../runtime/ip.js';
import { comparePools, isRestricted, poolProblems, poolServes, PoolState, type PoolConfig, type PoolProblem } from './pool.js';
import { requestFingerprint, wantedFamilies, type ServiceView } from './service.js';
import { sharingConflict } from './sharing.js';

/**
 * The allocator's decision core: which Service holds which address. No I/O and no clock; the
 * controller feeds it pools, namespaces and Services and writes back what it decides.
 *
 * Rules (docs/adr/0020-allocator-decisions.md):
 * - Addresses found in Service status are claimed before anything new is allocated (`load`),
 *   and a claim is only refused when it would double-assign an address.
 * - Waiting Services are decided in a fixed order (creationTimestamp, then namespace/name): asking
 *   about one Service first decides every waiting Service that sorts before it, so the addresses
 *   given out do not depend on the order in which events arrived.
 * - An address a Service gives up stays reserved while its status still shows it, so that two
 *   Services never show one address at the same time, even between two writes or across a crash.
 * - An address a Service holds is never taken away because of a pool edit or deletion, only
 *   because of a change to that Service (its request, families, sharing key, ports, type).
 *   When the Service asks for something new, its new addresses are taken before the old ones are
 *   given up, so a request that cannot be met leaves it with what it had.
 */

export interface ConditionState {
  status: 'True' | 'False';
  reason: string;
  message: string;
}

/** What the controller should make the Service say. */
export interface Outcome {
  /** False: not ours (or no longer); the controller removes what it wrote. */
  managed: boolean;
  /** Held addresses, in the order of the Service's ipFamilies. */
  ips: string[];
  /** The pool the addresses are counted in (metallb.io/ip-allocated-from-pool). */
  pool?: string;
  /** ServiceConditions.IPAllocated; set when managed. */
  allocated?: ConditionState;
  /** ServiceConditions.AddressInPool; set when addresses are held. */
  inPool?: ConditionState;
}

/** A one-off event the controller should record on a Service. */
export interface Notice {
  key: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface FamilyCounts {
  /** Addresses the pool can hand out (without the ones avoidBuggyIPs skips). */
  total: bigint;
  /** Addresses of the pool's ranges in use. */
  inUse: number;
  available: bigint;
}

export interface PoolReport {
  name: string;
  config: PoolConfig;
  problems: PoolProblem[];
  ipv4: FamilyCounts;
  ipv6: FamilyCounts;
  /** Services whose addresses are counted in this pool. */
  services: number;
  /** Addresses Services of this pool hold outside its current ranges, sorted, with their holders. */
  outside: { ip: string; services: string[] }[];
}

/** A held address with its canonical text. */
interface Held extends Address {
  ip: string;
}

interface Rec {
  view: ServiceView;
  held: { IPv4?: Held; IPv6?: Held };
  /** Pool the held addresses are counted in; sticky while the Service keeps them. */
  pool: string | undefined;
  /** The request (fingerprint) under which `held` was obtained or last confirmed. */
  basis: string | undefined;
  /** Why the last decision could not give the Service what it asked for. */
  failure: Failure | undefined;
  /** A family PreferDualStack could not get. */
  partial: string | undefined;
  /** Addresses before the last move, for the message. */
  previous: string | undefined;
  /** Addresses given up but still listed in status: reserved until status drops them. */
  lingering: Held[] | undefined;
  /** The view whose sharing key, ports and backends the held addresses were last found fine to share under. */
  shareBasis: ServiceView | undefined;
  queued: boolean;
  removed: boolean;
}

/** The order waiting Services are decided in: creationTimestamp, then namespace/name. */
function before(a: ServiceView, b: ServiceView): boolean {
  return a.created !== b.created ? a.created < b.created : a.key < b.key;
}

type Failure = { reason: AllocationReason; message: string };
type Plan = { ok: true; pool: string; addrs: Address[]; taken: { pool: PoolState; addr: Address }[]; missing: Family[] } | ({ ok: false } & Failure);

const UNMANAGED: Outcome = Object.freeze({ managed: false, ips: [] });

function configKey(c: PoolConfig): string {
  return JSON.stringify([c.name, c.created, c.ranges.map((r) => r.text), c.errors, c.autoAssign, c.avoidBuggyIPs, c.priority, c.namespaces, c.namespaceSelectors, c.serviceSelectors]);
}

const list = (xs: readonly string[]) => xs.join(', ');
const NO_IPS: string[] = [];
const NO_HELD: Held[] = [];

function heldList(rec: Rec): Held[] {
  const { IPv4, IPv6 } = rec.held;
  return IPv4 ? (IPv6 ? [IPv4, IPv6] : [IPv4]) : IPv6 ? [IPv6] : [];
}

const recsOf = (entry: Rec | Rec[] | undefined): Rec[] => (entry === undefined ? [] : Array.isArray(entry) ? entry : [entry]);

/** Whether the sharing rules see two views of a Service alike: when not, it may have to leave a shared address. */
function sameSharing(a: ServiceView | undefined, b: ServiceView): boolean {
  if (!a || a.sharingKey !== b.sharingKey || a.backendKey !== b.backendKey || a.ports.length !== b.ports.length) return false;
  for (let i = 0; i < a.ports.length; i++) if (a.ports[i] !== b.ports[i]) return false;
  return true;
}

const holds = (rec: Rec) => rec.held.IPv4 !== undefined || rec.held.IPv6 !== undefined;

export class Allocator {
  private pools = new Map<string, PoolState>();
  private poolsKey = '';
  /** Pools with serviceAllocation rules, then the others, each in priority order. */
  private pinned: PoolState[] = [];
  private fallback: PoolState[] = [];
  private readonly namespaces = new Map<string, Readonly<Record<string, string>>>();
  private readonly services = new Map<string, Rec>();
  /** Address → the Services holding it (more than one only when they may share). */
  private readonly holders = new Map<string, Rec | Rec[]>();
  /** Addresses given up (or never held) by Services whose status still lists them → those Services. */
  private readonly lingering = new Map<string, Rec[]>();
  /** Sharing key → addresses held by Services with that key → how many of them. */
  private readonly shared = new Map<string, Map<string, { addr: Address; count: number }>>();
  /** Pool → how many Services are counted in it. */
  private readonly members = new Map<string, number>();
  /** Services holding an address outside the ranges of their pool, or whose pool is gone. */
  private readonly outside = new Set<Rec>();
  private readonly queue = new MinHeap<Rec>((a, b) => before(a.view, b.view));
  /** Services that hold less than they asked for; capacity freed anywhere may help them. */
  private readonly waiting = new Set<Rec>();
  private readonly changed = new Set<string>();
  private notices: Notice[] = [];

  // ---------------------------------------------------------------- inputs

  /** The pools of the controller's namespace. Unchanged input is a no-op. */
  setPools(configs: readonly PoolConfig[]): void {
    const sorted = [...configs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const key = JSON.stringify(sorted.map(configKey));
    if (key === this.poolsKey) return;
    this.poolsKey = key;
    const problems = poolProblems(sorted);
    this.pools = new Map(sorted.map((c) => [c.name, new PoolState(c, problems.get(c.name) ?? [])]));
    const ordered = [...this.pools.values()].sort((a, b) => comparePools(a.config, b.config));
    this.pinned = ordered.filter((p) => isRestricted(p.config));
    this.fallback = ordered.filter((p) => !isRestricted(p.config));
    // Every address in use is used in every pool that contains it, whoever holds it.
    for (const rec of this.services.values()) for (const h of [...heldList(rec), ...(rec.lingering ?? [])]) this.markUsed(h);
    for (const rec of this.services.values()) {
      const first = heldList(rec)[0];
      if (first && rec.pool === undefined) this.attribute(rec, this.poolContaining(first)?.name);
      this.refreshOutside(rec);
      if (rec.view.managed) this.touch(rec);
    }
  }

  setNamespace(name: string, labels: Readonly<Record<string, string>>): void {
    const old = this.namespaces.get(name);
    if (old && JSON.stringify(old) === JSON.stringify(labels)) return;
    this.namespaces.set(name, labels);
    for (const rec of this.waiting) if (rec.view.namespace === name) this.touch(rec);
  }

  deleteNamespace(name: string): void {
    this.namespaces.delete(name);
  }

  /** The Services as found at start, claimed in order before anything is allocated. */
  load(views: readonly ServiceView[]): void {
    for (const v of [...views].sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0))) this.upsert(v);
  }

  /** A Service was added or changed. */
  upsert(view: ServiceView): void {
    const rec = this.services.get(view.key);
    if (!rec) return this.create(view);
    if (rec.view.uid !== view.uid) {
      // Deleted and created again under the same name: a new Service.
      this.remove(view.key);
      return this.create(view);
    }
    const old = rec.view;
    rec.view = view;
    if (rec.lingering) this.settleLingering(rec);
    if (old.sharingKey !== view.sharingKey) {
      for (const h of heldList(rec)) {
        if (old.sharingKey) this.unshare(old.sharingKey, h.ip);
        if (view.sharingKey) this.share(view.sharingKey, h);
      }
    }
    this.touch(rec);
  }

  /** A Service was deleted: its addresses are free again. */
  remove(key: string): void {
    const rec = this.services.get(key);
    if (!rec) return;
    rec.removed = true;
    this.waiting.delete(rec);
    this.services.delete(key);
    this.releaseAll(rec);
    if (rec.lingering) this.settleLingering(rec);
  }

  // ---------------------------------------------------------------- decisions

  /**
   * The decision for one Service. Every waiting Service that sorts before it is decided first,
   * in order, so the answer does not depend on which reconcile ran first.
   */
  resolve(key: string): Outcome | undefined {
    const rec = this.services.get(key);
    if (!rec) return undefined;
    for (let next = this.queue.peek(); next && !before(rec.view, next.view); next = this.queue.peek()) {
      this.queue.pop();
      if (!next.queued || next.removed) continue;
      next.queued = false;
      this.evaluate(next);
    }
    return this.outcomeOf(rec);
  }

  /** Decides every waiting Service (tests, benchmarks). */
  resolveAll(): void {
    for (let next = this.queue.pop(); next; next = this.queue.pop()) {
      if (!next.queued || next.removed) continue;
      next.queued = false;
      this.evaluate(next);
    }
  }

  /** Keys of Services whose outcome may have changed since the last call: the controller reconciles them. */
  takeChanged(): string[] {
    const out = [...this.changed];
    this.changed.clear();
    return out;
  }

  takeNotices(): Notice[] {
    const out = this.notices;
    this.notices = [];
    return out;
  }

  // ---------------------------------------------------------------- reports

  poolNames(): string[] {
    return [...this.pools.keys()];
  }

  poolReport(name: string): PoolReport | undefined {
    const p = this.pools.get(name);
    if (!p) return undefined;
    const outside = new Map<string, string[]>();
    for (const rec of this.outside) {
      if (rec.pool !== name) continue;
      for (const h of heldList(rec)) if (!p.contains(h)) outside.set(h.ip, [...(outside.get(h.ip) ?? []), rec.view.key].sort());
    }
    return {
      name,
      config: p.config,
      problems: p.problems,
      ipv4: p.counts('IPv4'),
      ipv6: p.counts('IPv6'),
      services: this.members.get(name) ?? 0,
      outside: [...outside.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([ip, services]) => ({ ip, services })),
    };
  }

  /** Current holders of an address (tests, diagnostics). */
  holdersOf(ip: string): string[] {
    return recsOf(this.holders.get(ip)).map((r) => r.view.key).sort();
  }

  /** The last decision for a Service, without deciding anything. */
  outcome(key: string): Outcome | undefined {
    const rec = this.services.get(key);
    return rec ? this.outcomeOf(rec) : undefined;
  }

  // ---------------------------------------------------------------- bookkeeping

  private create(view: ServiceView): void {
    const rec: Rec = { view, held: {}, pool: undefined, basis: undefined, failure: undefined, partial: undefined, previous: undefined, lingering: undefined, shareBasis: undefined, queued: false, removed: false };
    this.services.set(view.key, rec);
    if (view.managed && view.statusIPs.length > 0) this.claimFromStatus(rec);
    this.touch(rec);
  }

  /** Takes over the addresses status says the Service has, unless that would double-assign one. */
  private claimFromStatus(rec: Rec): void {
    const v = rec.view;
    const wanted = wantedFamilies(v);
    for (const text of v.statusIPs) {
      const addr = parseIP(text);
      if (!addr) continue;
      const ip = formatIP(addr);
      // Only holders count here: a Service that is giving the address up does not make a
      // Service that already showed it next to it lose it.
      const conflict = this.holderConflict(rec, ip);
      // An address refused, or of a family the Service no longer asks for, is still shown until
      // the status is rewritten: reserve it until then.
      if (conflict) {
        this.notice(rec, 'Warning', EventReasons.IPConflict, `status lists ${ip}, but ${conflict}; the older Service keeps it and this one gets another address`);
        this.linger(rec, { ...addr, ip });
      } else if (!wanted.includes(addr.family) || rec.held[addr.family]) this.linger(rec, { ...addr, ip });
      else this.hold(rec, { ...addr, ip });
    }
    const first = heldList(rec)[0];
    if (!first) return;
    rec.basis = requestFingerprint(v);
    rec.shareBasis = v;
    this.attribute(rec, v.allocatedFrom ?? this.poolContaining(first)?.name);
    this.refreshOutside(rec);
  }

  private touch(rec: Rec): void {
    this.changed.add(rec.view.key);
    if (rec.queued) return;
    rec.queued = true;
    this.queue.push(rec);
  }

  private notice(rec: Rec, type: Notice['type'], reason: string, message: string): void {
    this.notices.push({ key: rec.view.key, type, reason, message });
  }

  private markUsed(addr: Address): void {
    for (const p of this.pools.values()) p.mark(addr);
  }

  private hold(rec: Rec, h: Held): void {
    if (rec.held[h.family]?.ip === h.ip) return;
    const entry = this.holders.get(h.ip);
    this.holders.set(h.ip, entry === undefined ? rec : [...recsOf(entry), rec]);
    if (this.lingering.get(h.ip)?.includes(rec)) this.unlinger(rec, h.ip);
    this.markUsed(h);
    rec.held[h.family] = h;
    if (rec.view.sharingKey) this.share(rec.view.sharingKey, h);
  }

  private release(rec: Rec, f: Family): void {
    const h = rec.held[f];
    if (!h) return;
    rec.held[f] = undefined;
    if (rec.view.sharingKey) this.unshare(rec.view.sharingKey, h.ip);
    const rest = recsOf(this.holders.get(h.ip)).filter((r) => r !== rec);
    if (rest.length > 1) this.holders.set(h.ip, rest);
    else if (rest.length === 1) this.holders.set(h.ip, rest[0] as Rec);
    else this.holders.delete(h.ip);
    if (!rec.removed && rec.view.statusIPs.includes(h.ip)) this.linger(rec, h);
    this.freeIfUnused(h);
    // One holder fewer can be enough for a waiting Service: it may share with the others now.
    this.touchWaiting();
    if (!holds(rec)) {
      this.attribute(rec, undefined);
      this.outside.delete(rec);
      rec.basis = undefined;
    }
  }

  /** Once nobody holds an address and no status lists it, it goes back to the pools. */
  private freeIfUnused(h: Held): void {
    if (this.holders.has(h.ip) || this.lingering.has(h.ip)) return;
    for (const p of this.pools.values()) p.unmark(h);
  }

  /** Something that blocked Services may be gone: the waiting ones get another decision. */
  private touchWaiting(except?: Rec): void {
    for (const w of this.waiting) if (w !== except) this.touch(w);
  }

  /** Reserves an address a Service gave up (or never held) while its status still shows it. */
  private linger(rec: Rec, h: Held): void {
    const list = this.lingering.get(h.ip) ?? [];
    if (list.includes(rec)) return;
    this.lingering.set(h.ip, [...list, rec]);
    (rec.lingering ??= []).push(h);
    this.markUsed(h);
  }

  private unlinger(rec: Rec, ip: string): void {
    const rest = (this.lingering.get(ip) ?? []).filter((r) => r !== rec);
    if (rest.length > 0) this.lingering.set(ip, rest);
    else this.lingering.delete(ip);
    rec.lingering = rec.lingering?.filter((h) => h.ip !== ip);
    if (rec.lingering?.length === 0) rec.lingering = undefined;
  }

  /** Frees what a Service gave up once its status no longer lists it (or it is gone). */
  private settleLingering(rec: Rec): void {
    for (const h of rec.lingering ?? []) {
      if (!rec.removed && rec.view.statusIPs.includes(h.ip)) continue;
      this.unlinger(rec, h.ip);
      this.freeIfUnused(h);
      this.touchWaiting();
    }
  }

  private releaseAll(rec: Rec): void {
    this.release(rec, 'IPv4');
    this.release(rec, 'IPv6');
  }

  private share(key: string, h: Held): void {
    let m = this.shared.get(key);
    if (!m) this.shared.set(key, (m = new Map()));
    const e = m.get(h.ip);
    if (e) e.count++;
    else m.set(h.ip, { addr: h, count: 1 });
  }

  private unshare(key: string, ip: string): void {
    const m = this.shared.get(key);
    const e = m?.get(ip);
    if (!m || !e) return;
    if (--e.count === 0) m.delete(ip);
    if (m.size === 0) this.shared.delete(key);
  }

  private attribute(rec: Rec, pool: string | undefined): void {
    if (rec.pool === pool) return;
    if (rec.pool !== undefined) {
      const n = (this.members.get(rec.pool) ?? 1) - 1;
      if (n > 0) this.members.set(rec.pool, n);
      else this.members.delete(rec.pool);
    }
    rec.pool = pool;
    if (pool !== undefined) this.members.set(pool, (this.members.get(pool) ?? 0) + 1);
  }

  /** Whether the Service holds an address its pool does not contain (or its pool is gone). */
  private isOutside(rec: Rec): boolean {
    const p = rec.pool === undefined ? undefined : this.pools.get(rec.pool);
    return holds(rec) && (!p || heldList(rec).some((h) => !p.contains(h)));
  }

  private refreshOutside(rec: Rec): void {
    if (this.isOutside(rec)) this.outside.add(rec);
    else this.outside.delete(rec);
  }

  /** The pool an address is counted in when nothing says otherwise: the first usable one, else any. */
  private poolContaining(addr: Address): PoolState | undefined {
    let any: PoolState | undefined;
    for (const group of [this.pinned, this.fallback]) {
      for (const p of group) {
        if (!p.contains(addr)) continue;
        if (p.usable) return p;
        any ??= p;
      }
    }
    return any;
  }

  /** Why `rec` may not take `ip`: another Service is still seen with it, or a holder may not share it. */
  private conflict(rec: Rec, ip: string): string | undefined {
    const leaving = this.lingering.get(ip)?.find((r) => r !== rec);
    if (leaving) return `${leaving.view.key} is giving it up, but its status still lists it`;
    return this.holderConflict(rec, ip);
  }

  /** Why `rec` may not hold `ip` next to its current holders; undefined when it may. */
  private holderConflict(rec: Rec, ip: string): string | undefined {
    const entry = this.holders.get(ip);
    if (entry === undefined) return undefined;
    for (const other of recsOf(entry)) {
      if (other === rec) continue;
      const why = sharingConflict(rec.view, other.view);
      if (why) return why;
    }
    return undefined;
  }

  // ---------------------------------------------------------------- one Service

  private evaluate(rec: Rec): void {
    const v = rec.view;
    if (!v.managed) {
      this.waiting.delete(rec);
      this.releaseAll(rec);
      rec.failure = rec.partial = rec.previous = undefined;
      return;
    }
    const wanted = wantedFamilies(v);
    const fingerprint = requestFingerprint(v);
    const strict = rec.basis !== fingerprint;
    const before = holds(rec) ? heldList(rec).map((h) => h.ip) : NO_IPS;

    // What can no longer be held: a family the Service stopped asking for, or a share the
    // sharing rules now forbid. Both follow from a change to this Service: when two sharers no
    // longer fit, the one whose sharing key, ports or backends changed is the one that leaves.
    const sharingChanged = !sameSharing(rec.shareBasis, v);
    for (const h of before === NO_IPS ? NO_HELD : heldList(rec)) {
      // An address its status does not show (yet, or any more) is as good as new: Services that
      // are still seen with it count too.
      const check = v.statusIPs.includes(h.ip) ? this.holderConflict(rec, h.ip) : this.conflict(rec, h.ip);
      const why = !wanted.includes(h.family) ? `the Service no longer asks for an ${h.family} address` : sharingChanged ? check : undefined;
      if (why === undefined) continue;
      this.release(rec, h.family);
      this.notice(rec, 'Normal', EventReasons.ClearAssignment, `Released ${h.ip}: ${why}`);
    }
    if (v.request.kind === 'invalid') return this.finish(rec, before, v.request);

    const kept = holds(rec) ? heldList(rec) : NO_HELD;
    if (kept.length > 0 && kept.every((h) => this.satisfies(rec, h, strict))) {
      rec.basis = fingerprint;
      // A new request the held addresses already meet: count them where the request says.
      const first = kept[0];
      if (strict && first && v.request.kind !== 'auto') this.attribute(rec, v.request.pool ?? this.poolContaining(first)?.name);
      const missing = wanted.filter((f) => !rec.held[f]);
      if (missing.length === 0) return this.finish(rec, before);
      if (v.request.kind !== 'ips') {
        // Add the missing family from the pool the others came from (MetalLB does the same), as
        // long as that pool still contains them: a family is not added next to an address its
        // pool no longer has.
        let why = `pool ${rec.pool ?? ''} no longer contains ${list(kept.map((h) => h.ip))}`;
        if (!this.isOutside(rec)) {
          const plan = this.takeFrom(rec, this.pools.get(rec.pool ?? ''), missing, true);
          if (plan.ok) this.commit(rec, plan, fingerprint, false);
          why = plan.ok ? 'none free' : plan.message;
        }
        const still = wanted.filter((f) => !rec.held[f]);
        if (still.length === 0) return this.finish(rec, before);
        if (v.policy !== 'RequireDualStack') return this.finish(rec, before, undefined, `no ${list(still)} address: ${why}`);
      }
    }

    // New addresses, taken before the old ones are given up.
    const plan = this.allocate(rec, wanted);
    if (!plan.ok) return this.finish(rec, before, plan);
    this.commit(rec, plan, fingerprint, true);
    this.finish(rec, before, undefined, plan.missing.length > 0 ? `no ${list(plan.missing)} address in pool ${plan.pool}` : undefined);
  }

  /** Holds the planned addresses; with `replace`, gives up the held ones the plan does not keep. */
  private commit(rec: Rec, plan: Extract<Plan, { ok: true }>, fingerprint: string, replace: boolean): void {
    if (replace) {
      for (const h of heldList(rec)) if (!plan.addrs.some((a) => a.family === h.family && a.value === h.value)) this.release(rec, h.family);
    }
    for (const addr of plan.addrs) this.hold(rec, { family: addr.family, value: addr.value, ip: formatIP(addr) });
    this.attribute(rec, plan.pool);
    rec.basis = fingerprint;
  }

  /** Whether a held address still meets the request (strictly: against the pools as they are now). */
  private satisfies(rec: Rec, h: Held, strict: boolean): boolean {
    const r = rec.view.request;
    switch (r.kind) {
      case 'ips': {
        if (!r.ips.some((a) => a.family === h.family && a.value === h.value)) return false;
        if (!strict) return true;
        const p = r.pool !== undefined ? this.pools.get(r.pool) : this.poolContaining(h);
        return p !== undefined && p.usable && p.contains(h);
      }
      case 'pool': {
        if (!strict) return rec.pool === r.pool;
        const p = this.pools.get(r.pool);
        return p !== undefined && p.contains(h);
      }
      default:
        return !strict || this.poolContaining(h) !== undefined;
    }
  }

  private allocate(rec: Rec, wanted: readonly Family[]): Plan {
    const r = rec.view.request;
    if (r.kind === 'ips') return this.planRequested(rec, r.ips, r.pool);
    if (r.kind === 'pool') {
      const p = this.pools.get(r.pool);
      if (!p) return fail(AllocationReasons.PoolNotFound, `${Annotations.addressPool} names pool ${r.pool}, which does not exist`);
      return this.takeFrom(rec, p, wanted, rec.view.policy === 'PreferDualStack');
    }
    const candidates = this.candidates(rec.view);
    const offers = (p: PoolState) => wanted.every((f) => p.hasFamily(f));
    for (const p of candidates) {
      if (!offers(p)) continue;
      const plan = this.takeFrom(rec, p, wanted, false);
      if (plan.ok) return plan;
    }
    if (rec.view.policy === 'PreferDualStack' && wanted.length > 1) {
      for (const p of candidates) {
        const plan = this.takeFrom(rec, p, wanted, true);
        if (plan.ok) return plan;
      }
    }
    const need = wanted.length > 1 ? `both ${list(wanted)}` : (wanted[0] as string);
    if (candidates.length === 0) {
      return fail(AllocationReasons.NoMatchingPool, `no pool may serve this Service: there is no usable pool with autoAssign: true whose serviceAllocation selects it (a pool with autoAssign: false is used only when ${Annotations.addressPool} names it)`);
    }
    const usable = candidates.filter((p) => (rec.view.policy === 'PreferDualStack' ? wanted.some((f) => p.hasFamily(f)) : offers(p)));
    if (usable.length === 0) return fail(AllocationReasons.NoMatchingPool, `no pool that may serve this Service has ${need} addresses (pools: ${list(candidates.map((p) => p.name))})`);
    return fail(AllocationReasons.PoolExhausted, `no free ${need} address in the pools that may serve this Service: ${list(usable.map((p) => usage(p, wanted)))}`);
  }

  /** Auto-assign pools that may serve the Service: pinned ones first, then the rest, each in priority order. */
  private candidates(v: ServiceView): PoolState[] {
    const nsLabels = this.namespaces.get(v.namespace);
    const out: PoolState[] = [];
    for (const p of this.pinned) if (p.usable && p.config.autoAssign && poolServes(p.config, v, nsLabels)) out.push(p);
    for (const p of this.fallback) if (p.usable && p.config.autoAssign) out.push(p);
    return out;
  }

  /**
   * One address per family from a pool: a compatible shared address when the Service has a
   * sharing key, else the lowest free one. With `partialOK`, success means at least one family.
   */
  private takeFrom(rec: Rec, pool: PoolState | undefined, families: readonly Family[], partialOK: boolean): Plan {
    if (!pool) return fail(AllocationReasons.PoolNotFound, `pool ${rec.pool ?? ''} no longer exists`);
    if (!pool.usable) return fail(AllocationReasons.PoolUnusable, `pool ${pool.name} cannot hand out addresses: ${list(pool.problems.map((x) => x.message))}`);
    const addrs: Address[] = [];
    const taken: { pool: PoolState; addr: Address }[] = [];
    const missing: Family[] = [];
    for (const f of families) {
      const s = rec.view.sharingKey ? this.sharedCandidate(rec, pool, f) : undefined;
      if (s) {
        addrs.push(s);
        continue;
      }
      const a = pool.take(f);
      if (a) {
        addrs.push(a);
        taken.push({ pool, addr: a });
      } else missing.push(f);
    }
    if (missing.length === 0 || (partialOK && addrs.length > 0)) return { ok: true, pool: pool.name, addrs, taken, missing };
    for (const t of taken) t.pool.unmark(t.addr);
    if (missing.some((f) => !pool.hasFamily(f))) return fail(AllocationReasons.NoMatchingPool, `pool ${pool.name} has no ${list(missing.filter((f) => !pool.hasFamily(f)))} addresses`);
    return fail(AllocationReasons.PoolExhausted, `no free ${list(missing)} address: ${usage(pool, missing)}`);
  }

  /** The lowest address of the pool that Services with this sharing key hold and this one may join. */
  private sharedCandidate(rec: Rec, pool: PoolState, f: Family): Address | undefined {
    let best: Address | undefined;
    for (const [ip, e] of this.shared.get(rec.view.sharingKey ?? '') ?? []) {
      if (e.addr.family !== f || (best && e.addr.value >= best.value)) continue;
      if (!pool.contains(e.addr) || pool.refuses(e.addr) || rec.held[f]?.ip === ip || this.conflict(rec, ip)) continue;
      best = e.addr;
    }
    return best;
  }

  /** Checks addresses the Service names (metallb.io/loadBalancerIPs, spec.loadBalancerIP). */
  private planRequested(rec: Rec, ips: Address[], poolName: string | undefined): Plan {
    let chosen: PoolState | undefined;
    for (const addr of ips) {
      const ip = formatIP(addr);
      let p: PoolState | undefined;
      if (poolName !== undefined) {
        p = this.pools.get(poolName);
        if (!p) return fail(AllocationReasons.PoolNotFound, `${Annotations.addressPool} names pool ${poolName}, which does not exist`);
        if (!p.contains(addr)) return fail(AllocationReasons.IPNotInPool, `${ip} is not in pool ${poolName} (${list(p.config.ranges.map((x) => x.text))})`);
      } else {
        p = this.poolContaining(addr);
        if (!p) return fail(AllocationReasons.IPNotInPool, `${ip} is in no IPAddressPool; add it to a pool first`);
      }
      if (!p.usable) return fail(AllocationReasons.PoolUnusable, `${ip} is in pool ${p.name}, which cannot hand out addresses: ${list(p.problems.map((x) => x.message))}`);
      if (p.refuses(addr)) return fail(AllocationReasons.IPNotAllowed, `${ip} ends in .0 or .255 and pool ${p.name} has avoidBuggyIPs: true`);
      if (chosen && chosen !== p) return fail(AllocationReasons.IPNotInPool, `${ip} is in pool ${p.name} but ${formatIP(ips[0] as Address)} is in pool ${chosen.name}; a Service's addresses come from one pool`);
      chosen = p;
      const why = this.conflict(rec, ip);
      if (why) return fail(AllocationReasons.IPInUse, `${ip} is in use: ${why}`);
    }
    return { ok: true, pool: chosen?.name ?? '', addrs: ips, taken: [], missing: [] };
  }

  private finish(rec: Rec, before: string[], failure?: Failure, partial?: string): void {
    rec.failure = failure;
    rec.partial = partial;
    if (before.length === 0) rec.previous = undefined;
    else {
      const now = heldList(rec).map((h) => h.ip);
      if (before.join() !== now.join()) rec.previous = now.length > 0 ? list(before) : undefined;
    }
    if (failure || partial) this.waiting.add(rec);
    else this.waiting.delete(rec);
    const shareBasis = holds(rec) ? rec.view : undefined;
    // A holder that now allows sharing (or shares differently) may let a waiting Service in.
    if (shareBasis && rec.view.sharingKey && !sameSharing(rec.shareBasis, shareBasis)) this.touchWaiting(rec);
    rec.shareBasis = shareBasis;
    this.refreshOutside(rec);
  }

  /** What the Service should say, built when asked (the allocator keeps no messages per Service). */
  private outcomeOf(rec: Rec): Outcome {
    const v = rec.view;
    if (!v.managed) return UNMANAGED;
    const ips: string[] = [];
    for (const f of v.families) {
      const h = rec.held[f];
      if (h) ips.push(h.ip);
    }
    let allocated: ConditionState;
    if (rec.failure) {
      const keeps = ips.length > 0 ? `; the Service keeps ${list(ips)} meanwhile` : '';
      allocated = { status: 'False', reason: rec.failure.reason, message: `${rec.failure.message}${keeps}` };
    } else if (ips.length === 0) {
      allocated = { status: 'False', reason: AllocationReasons.Pending, message: 'waiting for the allocator to decide' };
    } else {
      const from = rec.pool !== undefined ? ` from pool ${rec.pool}` : '';
      const was = rec.previous ? ` (was ${rec.previous})` : '';
      allocated = { status: 'True', reason: AllocationReasons.Allocated, message: `Assigned ${list(ips)}${from}${was}${rec.partial ? `; ${rec.partial}` : ''}` };
    }
    const out: Outcome = { managed: true, ips, allocated };
    if (ips.length > 0) {
      if (rec.pool !== undefined) out.pool = rec.pool;
      out.inPool = this.inPool(rec, ips);
    }
    return out;
  }

  private inPool(rec: Rec, ips: string[]): ConditionState {
    const move = `; to give the Service an address from the current pools, change its ${Annotations.addressPool} or ${Annotations.loadBalancerIPs} annotation, or recreate it`;
    if (rec.pool === undefined) return { status: 'False', reason: AddressReasons.NoPool, message: `${list(ips)} is in no IPAddressPool; the Service keeps it${move}` };
    const p = this.pools.get(rec.pool);
    if (!p) return { status: 'False', reason: AddressReasons.PoolDeleted, message: `pool ${rec.pool} was deleted; the Service keeps ${list(ips)}${move}` };
    const out = heldList(rec).filter((h) => !p.contains(h)).map((h) => h.ip);
    if (out.length > 0) return { status: 'False', reason: AddressReasons.OutsidePool, message: `${list(out)} is no longer in pool ${p.name}; the Service keeps it${move}` };
    return { status: 'True', reason: AddressReasons.InPool, message: `${list(ips)} in pool ${p.name}` };
  }
}

function fail(reason: AllocationReason, message: string): Plan {
  return { ok: false, reason, message };
}

function usage(p: PoolState, families: readonly Family[]): string {
  return `${p.name} (${families.map((f) => `${f} ${p.counts(f).inUse}/${p.counts(f).total} in use`).join(', ')})`;
}
