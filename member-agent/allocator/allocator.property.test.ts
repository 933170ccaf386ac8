import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { Annotations } from '../../api/labels.js';
import type { IPAddressPoolSpec } from '../../api/metallb.js';
import { Allocator } from './allocator.js';
import { EventReasons } from './errors.js';
import { pool, svc, type ServiceSpecInput } from './fixtures.js';
import type { PoolConfig } from './pool.js';
import type { ServiceView } from './service.js';
import { sharingConflict } from './sharing.js';

/**
 * Random histories against a simulated API server: Services created, changed (by an operator)
 * and deleted, pools edited and deleted, reconciles in any order, and controller restarts that
 * rebuild the allocator from what the API holds. Each reconcile "writes" the decision into the
 * simulated status and feeds the object back, as the informer would.
 *
 * Checked on every write, and at every quiet point:
 * - no address is written to a Service while another Service shows it, unless they may share;
 * - a Service loses an address only after an operator changed that Service (never because of a
 *   pool edit, a pool deletion, a restart, or another Service's change), the one exception being
 *   a restart while two sharers no longer fit because one of them was changed and not yet
 *   reconciled: then the older keeps the address (and the younger is told why).
 */

const NAMES = ['s0', 's1', 's2', 's3', 's4', 's5'] as const;
type Name = (typeof NAMES)[number];

const POOL_MENU: Record<'p' | 'q', (Partial<IPAddressPoolSpec> & { addresses: string[] })[]> = {
  p: [
    { addresses: ['198.51.100.0/29'] },
    { addresses: ['198.51.100.0/30'] },
    { addresses: ['198.51.100.4/30'] },
    { addresses: ['198.51.100.0/29', '2001:db8:100::/126'] },
    { addresses: ['198.51.100.0/29'], avoidBuggyIPs: true },
  ],
  q: [
    { addresses: ['203.0.113.0/30', '2001:db8:100::10/126'] },
    { addresses: ['203.0.113.0/31'], autoAssign: false },
    { addresses: ['198.51.100.6/31'] },
    { addresses: ['203.0.113.0/30'], serviceAllocation: { priority: 1, namespaces: ['default'] } },
  ],
};

const specArb: fc.Arbitrary<ServiceSpecInput> = fc
  .record({
    families: fc.constantFrom<('IPv4' | 'IPv6')[]>(['IPv4'], ['IPv4'], ['IPv4'], ['IPv6'], ['IPv4', 'IPv6'], ['IPv6', 'IPv4']),
    policy: fc.constantFrom('SingleStack', 'PreferDualStack', 'RequireDualStack') as fc.Arbitrary<'SingleStack' | 'PreferDualStack' | 'RequireDualStack'>,
    key: fc.constantFrom(undefined, 'k1', 'k1', 'k1', 'k2'),
    ports: fc.oneof({ weight: 4, arbitrary: fc.constantFrom<string[]>(['TCP/80'], ['UDP/53'], ['TCP/443']) }, { weight: 1, arbitrary: fc.subarray(['TCP/80', 'UDP/53', 'TCP/443', 'UDP/5353'], { minLength: 1 }) }),
    local: fc.constantFrom(false, false, false, true),
    app: fc.constantFrom('a', 'b'),
    pool: fc.constantFrom(undefined, undefined, 'p', 'q', 'missing'),
    ips: fc.constantFrom(undefined, undefined, undefined, '198.51.100.1', '198.51.100.5', '203.0.113.1', '2001:db8:100::1', '198.51.100.2,2001:db8:100::2', '10.0.0.1'),
    type: fc.constantFrom('LoadBalancer', 'LoadBalancer', 'LoadBalancer', 'ClusterIP'),
  })
  .map((r) => ({
    families: r.families,
    // The API server refuses RequireDualStack on one family.
    policy: r.families.length === 1 && r.policy === 'RequireDualStack' ? 'SingleStack' : r.policy,
    ports: r.ports,
    local: r.local,
    selector: { app: r.app },
    type: r.type,
    annotations: {
      ...(r.key ? { [Annotations.allowSharedIP]: r.key } : {}),
      ...(r.pool ? { [Annotations.addressPool]: r.pool } : {}),
      ...(r.ips ? { [Annotations.loadBalancerIPs]: r.ips } : {}),
    },
  }));

type Op =
  | { op: 'create'; name: Name; spec: ServiceSpecInput }
  | { op: 'update'; name: Name; spec: ServiceSpecInput }
  | { op: 'relabel'; name: Name }
  | { op: 'delete'; name: Name }
  | { op: 'reconcile'; name: Name }
  | { op: 'reconcileAll' }
  | { op: 'pool'; name: 'p' | 'q'; choice: number | null }
  | { op: 'restart' };

const nameArb = fc.constantFrom(...NAMES);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('create' as const), name: nameArb, spec: specArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('update' as const), name: nameArb, spec: specArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('relabel' as const), name: nameArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), name: nameArb }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('reconcile' as const), name: nameArb }) },
  { weight: 2, arbitrary: fc.constant({ op: 'reconcileAll' as const }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('pool' as const), name: fc.constantFrom('p' as const, 'q' as const), choice: fc.option(fc.nat(4), { nil: null }) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'restart' as const }) },
);

interface SimService {
  spec: ServiceSpecInput;
  uid: string;
  created: string;
  labels: Record<string, string>;
  /** status.loadBalancer.ingress as the API holds it. */
  status: string[];
  /** metallb.io/ip-allocated-from-pool as the API holds it. */
  poolAnnotation?: string;
  /** An operator changed it since the allocator last wrote it a satisfied status. */
  changed: boolean;
  /** Its specs since its status was last written: another Service may have joined its address under any of them. */
  specsSinceWrite: ServiceSpecInput[];
  /** May lose an address because a restart found it sharing with an incompatible, changed Service. */
  conflictExempt: boolean;
}

class Sim {
  services = new Map<Name, SimService>();
  pools = new Map<'p' | 'q', PoolConfig>();
  allocator = new Allocator();
  tick = 0;
  uids = 0;
  restarts = 0;
  writes = 0;
  /** Writes that moved or dropped an address, and writes that put a second Service on one. */
  moves = 0;
  shares = 0;

  constructor() {
    this.setPool('p', 0);
    this.setPool('q', 0);
    this.allocator.load([]);
  }

  view(name: Name, spec?: ServiceSpecInput): ServiceView {
    const s = this.services.get(name) as SimService;
    const sp = spec ?? s.spec;
    const annotations = { ...sp.annotations, ...(s.poolAnnotation ? { [Annotations.ipAllocatedFromPool]: s.poolAnnotation } : {}) };
    return svc(name, { ...sp, annotations, uid: s.uid, created: s.created, labels: s.labels, status: s.status });
  }

  setPool(name: 'p' | 'q', choice: number | null): void {
    if (choice === null) this.pools.delete(name);
    else {
      const menu = POOL_MENU[name];
      const spec = menu[choice % menu.length] as Partial<IPAddressPoolSpec> & { addresses: string[] };
      // Pool p is always the older: the overlap rule then has a fixed answer.
      this.pools.set(name, pool(name, spec.addresses, spec, name === 'p' ? '2026-01-01T00:00:00Z' : '2026-01-01T00:00:01Z'));
    }
    this.allocator.setPools([...this.pools.values()]);
  }

  apply(o: Op): void {
    switch (o.op) {
      case 'create':
      case 'update': {
        const s = this.services.get(o.name);
        if (!s && o.op === 'update') return;
        if (s) {
          s.spec = o.spec;
          s.changed = true;
          s.specsSinceWrite.push(o.spec);
          // The API server clears the load-balancer status when the type changes away.
          if (o.spec.type !== 'LoadBalancer') s.status = [];
        } else {
          // Some Services share a creation second: the name then decides the order.
          this.tick += this.uids % 3 === 0 ? 0 : 1;
          this.services.set(o.name, { spec: o.spec, uid: `u${this.uids++}`, created: `2026-01-01T01:00:${String(this.tick % 60).padStart(2, '0')}Z`, labels: {}, status: [], changed: false, conflictExempt: false, specsSinceWrite: [o.spec] });
        }
        this.allocator.upsert(this.view(o.name));
        return;
      }
      case 'relabel': {
        const s = this.services.get(o.name);
        if (!s) return;
        s.labels = s.labels.x ? {} : { x: 'y' };
        this.allocator.upsert(this.view(o.name));
        return;
      }
      case 'delete':
        if (this.services.delete(o.name)) this.allocator.remove(`default/${o.name}`);
        return;
      case 'reconcile':
        return this.reconcile(o.name);
      case 'reconcileAll':
        for (const n of NAMES) this.reconcile(n);
        return;
      case 'pool':
        return this.setPool(o.name, o.choice);
      case 'restart':
        return this.restart();
    }
  }

  restart(): void {
    this.restarts++;
    // Who may lose an address to the reload's conflict rule: a sharer of a changed Service that no longer fits.
    for (const [n, s] of this.services) {
      for (const [m, t] of this.services) {
        if (n === m || !t.changed || !s.status.some((ip) => t.status.includes(ip))) continue;
        if (sharingConflict(this.view(n), this.view(m))) s.conflictExempt = true;
      }
    }
    this.allocator = new Allocator();
    this.allocator.setPools([...this.pools.values()]);
    this.allocator.load([...this.services.keys()].map((n) => this.view(n)));
  }

  reconcile(name: Name): void {
    const s = this.services.get(name);
    const outcome = this.allocator.resolve(`default/${name}`);
    if (!s || !outcome) return;
    const before = s.status;
    const after = outcome.ips;
    this.writes++;
    const lost = before.filter((ip) => !after.includes(ip));
    if (lost.length > 0 && !s.changed && !s.conflictExempt) {
      throw new Error(`${name} lost ${lost.join(', ')} (had ${before.join(', ')}, now ${after.join(', ') || 'nothing'}) without an operator's change to it`);
    }
    if (lost.length > 0) this.moves++;
    for (const ip of after.filter((x) => !before.includes(x))) {
      for (const [other, o] of this.services) {
        if (other === name || !o.status.includes(ip)) continue;
        this.shares++;
        // Fine if they may share now, or could when the allocator decided (the other was
        // changed since, and will move when reconciled: it is the one that changed).
        const why = o.specsSinceWrite.map((spec) => sharingConflict(this.view(name), this.view(other, spec)));
        if (why.every((w) => w !== undefined)) throw new Error(`${ip} written to ${name} while ${other} shows it: ${why.join('; ')}`);
      }
    }
    if (!outcome.managed || outcome.allocated?.status === 'True') {
      s.changed = false;
      s.conflictExempt = false;
    }
    if (before.join() === after.join() && s.poolAnnotation === outcome.pool) return;
    s.status = [...after];
    s.poolAnnotation = outcome.pool;
    s.specsSinceWrite = [s.spec];
    // The write comes back through the informer.
    this.allocator.upsert(this.view(name));
  }

  /**
   * Reconcile as the controller does until its queue is empty: every Service once, then every
   * Service the allocator says may have changed. Then everything must hold together.
   */
  settle(): void {
    for (const n of NAMES) this.reconcile(n);
    for (let round = 0; ; round++) {
      const keys = this.allocator.takeChanged();
      if (keys.length === 0) break;
      if (round > 50) throw new Error(`no quiet point after 50 rounds: ${keys.join(', ')} keep changing`);
      for (const k of keys) this.reconcile(k.slice('default/'.length) as Name);
    }
    const byIP = new Map<string, Name[]>();
    for (const [n, s] of this.services) for (const ip of s.status) byIP.set(ip, [...(byIP.get(ip) ?? []), n]);
    for (const [ip, holders] of byIP) {
      for (const a of holders) {
        for (const b of holders) {
          if (a < b) expect({ ip, a, b, conflict: sharingConflict(this.view(a), this.view(b)) }).toEqual({ ip, a, b, conflict: undefined });
        }
      }
    }
    for (const [n, s] of this.services) {
      const o = this.allocator.outcome(`default/${n}`);
      expect({ n, ips: o?.ips }).toEqual({ n, ips: s.status });
      // A Service holding addresses holds one per family at most.
      const families = s.status.map((ip) => (ip.includes(':') ? 6 : 4));
      expect(new Set(families).size).toBe(families.length);
    }
  }
}

describe('the allocator under random histories', () => {
  test('never two Services on one address unless they may share, never an address lost without an operator change', () => {
    let restarts = 0;
    let writes = 0;
    let moves = 0;
    let shares = 0;
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 80, size: 'max' }), (ops) => {
        const sim = new Sim();
        for (const o of ops) sim.apply(o);
        sim.settle();
        // A restart at a quiet point changes nothing at all.
        const before = [...sim.services.entries()].map(([n, s]) => [n, s.status]);
        sim.restart();
        sim.settle();
        expect([...sim.services.entries()].map(([n, s]) => [n, s.status])).toEqual(before);
        restarts += sim.restarts;
        writes += sim.writes;
        moves += sim.moves;
        shares += sim.shares;
      }),
      { numRuns: 500 },
    );
    // The histories did exercise what they claim to.
    expect(restarts).toBeGreaterThan(1_000);
    expect(writes).toBeGreaterThan(8_000);
    expect(moves).toBeGreaterThan(80);
    expect(shares).toBeGreaterThan(10);
  });

  test('the same Services and pools give the same addresses whatever the order of events', () => {
    const servicesArb = fc.uniqueArray(fc.record({ name: fc.constantFrom(...NAMES), spec: specArb, second: fc.nat(3) }), { selector: (s) => s.name, minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(servicesArb, fc.nat(4), fc.nat(3), fc.infiniteStream(fc.nat()), (list, p, q, shuffle) => {
        const views = list.map((s) => svc(s.name, { ...s.spec, created: `2026-01-01T00:00:0${s.second}Z` }));
        const pools = [pool('p', POOL_MENU.p[p]!.addresses, POOL_MENU.p[p]), pool('q', POOL_MENU.q[q]!.addresses, POOL_MENU.q[q], '2026-01-01T00:00:01Z')];
        const run = () => {
          const order = (xs: ServiceView[]) => [...xs].map((v) => ({ v, r: shuffle.next().value })).sort((a, b) => a.r - b.r).map((x) => x.v);
          const a = new Allocator();
          a.setPools(pools);
          a.load([]);
          for (const v of order(views)) a.upsert(v);
          for (const v of order(views)) a.resolve(v.key);
          return views.map((v) => [v.key, a.outcome(v.key)?.ips]);
        };
        expect(run()).toEqual(run());
      }),
      { numRuns: 300 },
    );
  });

  test('a reload claims in order: the same statuses give the same result whatever the list order', () => {
    const withStatus = fc.uniqueArray(
      fc.record({ name: fc.constantFrom(...NAMES), spec: specArb, status: fc.subarray(['198.51.100.1', '198.51.100.2', '2001:db8:100::1']), second: fc.nat(3) }),
      { selector: (s) => s.name, minLength: 1, maxLength: 6 },
    );
    fc.assert(
      fc.property(withStatus, fc.infiniteStream(fc.nat()), (list, shuffle) => {
        const views = list.map((s) => svc(s.name, { ...s.spec, status: s.status, created: `2026-01-01T00:00:0${s.second}Z` }));
        const run = () => {
          const a = new Allocator();
          a.setPools([pool('p', ['198.51.100.0/29', '2001:db8:100::/126'])]);
          a.load([...views].map((v) => ({ v, r: shuffle.next().value })).sort((x, y) => x.r - y.r).map((x) => x.v));
          a.resolveAll();
          const notices = a.takeNotices().filter((n) => n.reason === EventReasons.IPConflict).map((n) => n.key).sort();
          return { ips: views.map((v) => [v.key, a.outcome(v.key)?.ips]), notices };
        };
        expect(run()).toEqual(run());
      }),
      { numRuns: 300 },
    );
  });
});
