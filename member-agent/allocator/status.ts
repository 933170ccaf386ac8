import { Annotations } from '../../api/labels.js';
import type { Condition } from '../../api/meta.js';
import type { IPAddressPool, IPAddressPoolStatus } from '../../api/metallb.js';
import { findCondition, setCondition, type ConditionInput } from '../../runtime/conditions.js';
import type { EventType } from '../../runtime/events.js';
import type { ConditionState, Outcome, PoolReport } from './allocator.js';
import { EventReasons, PoolConditions, PoolReasons, ServiceConditions } from './errors.js';
import type { ServiceObject } from './service.js';

/**
 * What the controller writes, computed from what the core decided and what the object says now.
 * Pure, so that "write only what changed, and emit an event only on a change" is unit-tested.
 */

export interface EventToRecord {
  type: EventType;
  reason: string;
  message: string;
}

export interface ServicePlan {
  /** New value of metallb.io/ip-allocated-from-pool: a string to set, null to remove, undefined to leave. */
  annotation?: string | null;
  /** The status to apply (server-side, our field manager), or undefined when it is already right. */
  status?: { loadBalancer: { ingress: { ip: string }[] }; conditions: Condition[] };
  events: EventToRecord[];
}

const OURS = new Set<string>(Object.values(ServiceConditions));

function same(c: Condition | undefined, want: ConditionState | undefined, generation: number | undefined): boolean {
  if (!c || !want) return c === undefined && want === undefined;
  return c.status === want.status && c.reason === want.reason && c.message === want.message && c.observedGeneration === generation;
}

/** Whether we ever managed this Service: it carries one of our conditions. */
export function carriesOurConditions(svc: ServiceObject): boolean {
  return (svc.status?.conditions ?? []).some((c) => OURS.has(c.type));
}

export function servicePlan(svc: ServiceObject, outcome: Outcome, now: Date = new Date()): ServicePlan {
  const generation = svc.metadata.generation;
  const current = svc.status?.conditions ?? [];
  const currentPool = svc.metadata.annotations?.[Annotations.ipAllocatedFromPool];
  const currentIPs = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '');
  if (!outcome.managed) {
    // Not ours. A LoadBalancer Service of another class belongs to another allocator (maybe
    // another fleetlb): never touch it. A Service that stopped being a LoadBalancer loses what
    // an allocator wrote on it.
    if (svc.spec?.type === 'LoadBalancer' || !carriesOurConditions(svc)) return { events: [] };
    return {
      ...(currentPool !== undefined ? { annotation: null } : {}),
      status: { loadBalancer: { ingress: [] }, conditions: [] },
      events: [],
    };
  }
  const plan: ServicePlan = { events: [] };
  const wantPool = outcome.pool ?? null;
  if ((currentPool ?? null) !== wantPool) plan.annotation = wantPool;

  const allocatedNow = findCondition(current, ServiceConditions.IPAllocated);
  const inPoolNow = findCondition(current, ServiceConditions.AddressInPool);
  const statusChanged =
    currentIPs.join(',') !== outcome.ips.join(',') || !same(allocatedNow, outcome.allocated, generation) || !same(inPoolNow, outcome.inPool, generation);
  if (statusChanged) {
    let conditions: Condition[] = current.filter((c) => OURS.has(c.type));
    const wanted: ConditionInput[] = [];
    if (outcome.allocated) wanted.push({ type: ServiceConditions.IPAllocated, ...outcome.allocated });
    if (outcome.inPool) wanted.push({ type: ServiceConditions.AddressInPool, ...outcome.inPool });
    for (const w of wanted) conditions = setCondition(conditions, w, generation, now);
    conditions = conditions.filter((c) => wanted.some((w) => w.type === c.type));
    plan.status = { loadBalancer: { ingress: outcome.ips.map((ip) => ({ ip })) }, conditions };
  }

  const a = outcome.allocated;
  if (a && (!allocatedNow || allocatedNow.status !== a.status || allocatedNow.reason !== a.reason || allocatedNow.message !== a.message)) {
    plan.events.push(a.status === 'True' ? { type: 'Normal', reason: EventReasons.IPAllocated, message: a.message } : { type: 'Warning', reason: EventReasons.AllocationFailed, message: a.message });
  }
  const p = outcome.inPool;
  if (p && (inPoolNow ? inPoolNow.status !== p.status || inPoolNow.reason !== p.reason : p.status === 'False')) {
    plan.events.push({ type: p.status === 'True' ? 'Normal' : 'Warning', reason: p.reason, message: p.message });
  }
  return plan;
}

export type PoolStatus = IPAddressPoolStatus & { conditions?: Condition[] };
export type PoolObject = IPAddressPool & { status?: PoolStatus };

export interface PoolPlan {
  status?: PoolStatus;
  events: EventToRecord[];
}

/** The API's integers are int64, JSON numbers doubles: counts beyond 2^53 are reported as 2^53 - 1. */
const count = (b: bigint) => (b > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(b));

const SHOWN = 10;

export function poolStatusPlan(pool: PoolObject, r: PoolReport, now: Date = new Date()): PoolPlan {
  const generation = pool.metadata.generation;
  const current = pool.status?.conditions ?? [];
  const ready: ConditionInput =
    r.problems.length === 0
      ? { type: PoolConditions.Ready, status: 'True', reason: PoolReasons.Valid, message: `${count(r.ipv4.total)} IPv4 and ${count(r.ipv6.total)} IPv6 addresses to hand out` }
      : {
          type: PoolConditions.Ready,
          status: 'False',
          reason: (r.problems[0] as (typeof r.problems)[number]).reason,
          message: `${r.problems.map((p) => p.message).join('; ')}; no new addresses are handed out from this pool until this is fixed, and Services keep the ones they have`,
        };
  const shown = r.outside.slice(0, SHOWN).map((o) => `${o.ip} (${o.services.join(', ')})`);
  const more = r.outside.length > SHOWN ? ` and ${r.outside.length - SHOWN} more` : '';
  const outside: ConditionInput =
    r.outside.length > 0
      ? {
          type: PoolConditions.AddressesOutsideRanges,
          status: 'True',
          reason: PoolReasons.ServicesHoldRemovedAddresses,
          message: `${r.outside.length} address(es) in use are outside spec.addresses: ${shown.join(', ')}${more}; the Services keep them until they are changed or the addresses are added back`,
        }
      : { type: PoolConditions.AddressesOutsideRanges, status: 'False', reason: PoolReasons.AllAddressesInRanges, message: 'every address in use is inside spec.addresses' };
  let conditions = current;
  for (const c of [ready, outside]) conditions = setCondition(conditions, c, generation, now);
  const status: PoolStatus = {
    assignedIPv4: r.ipv4.inUse,
    availableIPv4: count(r.ipv4.available),
    assignedIPv6: r.ipv6.inUse,
    availableIPv6: count(r.ipv6.available),
    conditions,
  };
  const s = pool.status ?? {};
  const unchanged =
    s.assignedIPv4 === status.assignedIPv4 &&
    s.availableIPv4 === status.availableIPv4 &&
    s.assignedIPv6 === status.assignedIPv6 &&
    s.availableIPv6 === status.availableIPv6 &&
    [ready, outside].every((c) => same(findCondition(current, c.type), c as ConditionState, generation));
  const events: EventToRecord[] = [];
  const readyNow = findCondition(current, PoolConditions.Ready);
  if (ready.status === 'False' && (readyNow?.status !== 'False' || readyNow.message !== ready.message)) events.push({ type: 'Warning', reason: EventReasons.PoolInvalid, message: ready.message });
  if (ready.status === 'True' && readyNow?.status === 'False') events.push({ type: 'Normal', reason: EventReasons.PoolValid, message: ready.message });
  if (outside.status === 'True' && findCondition(current, outside.type)?.status !== 'True') events.push({ type: 'Warning', reason: EventReasons.AddressesOutsideRanges, message: outside.message });
  return unchanged ? { events } : { status, events };
}
