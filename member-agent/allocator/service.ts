import type { Condition } from '../../api/meta.js';
import { Annotations, DeprecatedMetalLBAnnotations } from '../../api/labels.js';
import type { KubeObject } from '../../runtime/resource.js';
import { AllocationReasons, type AllocationReason } from './errors.js';
import { canonicalIP, formatIP, parseIP, type Address, type Family } from '../../runtime/ip.js';

/** A core/v1 Service, as JSON, with the fields the allocator reads and writes. */
export interface ServiceObject extends KubeObject {
  spec?: {
    type?: string;
    loadBalancerClass?: string;
    loadBalancerIP?: string;
    ipFamilies?: string[];
    ipFamilyPolicy?: string;
    ports?: { name?: string; protocol?: string; port: number }[];
    externalTrafficPolicy?: string;
    selector?: Record<string, string>;
  };
  status?: {
    loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] };
    conditions?: Condition[];
  };
}

export type IPFamilyPolicy = 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';

/** What the Service asks for. */
export type Request =
  | { kind: 'auto' }
  | { kind: 'pool'; pool: string }
  | { kind: 'ips'; ips: Address[]; pool?: string }
  | { kind: 'invalid'; reason: AllocationReason; message: string };

/** Everything the allocator needs to know about a Service, parsed once. */
export interface ServiceView {
  key: string;
  namespace: string;
  uid: string;
  /** creationTimestamp; with the key, the order in which waiting Services are served. */
  created: string;
  labels: Readonly<Record<string, string>>;
  /** type LoadBalancer and of the class this allocator serves. */
  managed: boolean;
  /** spec.ipFamilies (primary first); IPv4 when the server did not say. */
  families: readonly Family[];
  policy: IPFamilyPolicy;
  /** `PROTOCOL/port` of every port, for the sharing rules. */
  ports: readonly string[];
  sharingKey?: string;
  /** '' for externalTrafficPolicy Cluster, the selector for Local: Local Services share only with the same pods. */
  backendKey: string;
  request: Request;
  /** Deprecated annotation names the Service uses. */
  deprecated: readonly string[];
  /** Addresses in status.loadBalancer.ingress, canonical: what was assigned before a restart, and what the world still sees. */
  statusIPs: readonly string[];
  /** metallb.io/ip-allocated-from-pool as found. */
  allocatedFrom?: string;
}

export interface ViewOptions {
  /** Serve only Services of this spec.loadBalancerClass; undefined serves only class-less ones (MetalLB's default). */
  loadBalancerClass?: string;
}

type AnnotationName = keyof typeof DeprecatedMetalLBAnnotations;

/** An annotation by its current name, else by its metallb.universe.tf name (recorded as deprecated). */
function annotation(ann: Readonly<Record<string, string>>, name: AnnotationName, deprecated: string[]): string | undefined {
  const current = ann[Annotations[name]];
  if (current !== undefined) return current;
  const old = ann[DeprecatedMetalLBAnnotations[name]];
  if (old !== undefined && name !== 'ipAllocatedFromPool') deprecated.push(DeprecatedMetalLBAnnotations[name]);
  return old;
}

// Shared empty values: the allocator keeps a view per Service, so a few bytes each add up.
const NONE: readonly string[] = Object.freeze([]);
const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});
const AUTO: Request = Object.freeze({ kind: 'auto' });

/**
 * Interned strings and one-port lists: a cluster has few namespaces and few distinct ports, and
 * the allocator keeps a view per Service. Bounded, so a cluster with unusually many does not
 * grow them without limit: past the bound, values are simply not shared.
 */
const namespaces = new Map<string, string>();
const portNames = new Map<string, string>();
const singlePorts = new Map<string, readonly string[]>();

function intern<T>(cache: Map<string, T>, key: string, bound: number, make?: () => T): T {
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const value = make ? make() : (key as T);
  if (cache.size < bound) cache.set(key, value);
  return value;
}

function portsOf(ports: readonly { protocol?: string; port: number }[]): readonly string[] {
  const names = ports.map((p) => intern(portNames, `${p.protocol ?? 'TCP'}/${p.port}`, 20_000));
  if (names.length !== 1) return names;
  const only = names[0] as string;
  return intern(singlePorts, only, 20_000, () => Object.freeze([only]));
}

const invalid = (reason: AllocationReason, message: string): Request => ({ kind: 'invalid', reason, message });

function policyOf(s: string | undefined): IPFamilyPolicy {
  return s === 'PreferDualStack' || s === 'RequireDualStack' ? s : 'SingleStack';
}

const V4: readonly Family[] = Object.freeze(['IPv4']);
const V6: readonly Family[] = Object.freeze(['IPv6']);
const V4V6: readonly Family[] = Object.freeze(['IPv4', 'IPv6']);
const V6V4: readonly Family[] = Object.freeze(['IPv6', 'IPv4']);

/** The four possible family lists, shared. */
function familyList(first: Family | undefined, second?: Family): readonly Family[] {
  if (first === 'IPv6') return second === 'IPv4' ? V6V4 : V6;
  if (first === 'IPv4') return second === 'IPv6' ? V4V6 : V4;
  return V4;
}

function familiesOf(list: string[] | undefined): readonly Family[] {
  const known = (list ?? []).filter((f): f is Family => f === 'IPv4' || f === 'IPv6');
  return familyList(known[0], known.find((f) => f !== known[0]));
}

function requestOf(svc: ServiceObject, families: readonly Family[], policy: IPFamilyPolicy, deprecated: string[]): Request {
  const ann = svc.metadata.annotations ?? {};
  const pool = annotation(ann, 'addressPool', deprecated)?.trim() || undefined;
  const ipsText = annotation(ann, 'loadBalancerIPs', deprecated);
  const specIP = svc.spec?.loadBalancerIP?.trim() || undefined;
  const ipsName = ann[Annotations.loadBalancerIPs] !== undefined ? Annotations.loadBalancerIPs : DeprecatedMetalLBAnnotations.loadBalancerIPs;
  if (ipsText !== undefined && specIP !== undefined) {
    return invalid(AllocationReasons.InvalidAnnotation, `${ipsName} and spec.loadBalancerIP are both set; use only ${Annotations.loadBalancerIPs}`);
  }
  const texts = ipsText !== undefined ? ipsText.split(',').map((s) => s.trim()).filter((s) => s !== '') : specIP !== undefined ? [specIP] : [];
  const source = ipsText !== undefined ? ipsName : 'spec.loadBalancerIP';
  if (ipsText !== undefined && texts.length === 0) return invalid(AllocationReasons.InvalidAnnotation, `${ipsName} is empty; give one address per family, comma-separated, or remove it`);
  if (texts.length === 0) return pool ? { kind: 'pool', pool } : AUTO;
  const ips: Address[] = [];
  for (const t of texts) {
    const a = parseIP(t);
    if (!a) return invalid(AllocationReasons.InvalidAnnotation, `${source}: "${t}" is not an IP address`);
    if (ips.some((x) => x.family === a.family)) return invalid(AllocationReasons.InvalidAnnotation, `${source} lists two ${a.family} addresses; give at most one per family`);
    ips.push(a);
  }
  for (const a of ips) {
    if (!families.includes(a.family)) {
      return invalid(AllocationReasons.IPFamilyMismatch, `${source} asks for ${a.family} address ${formatIP(a)} but the Service's ipFamilies are [${families.join(', ')}]`);
    }
  }
  if (policy === 'RequireDualStack' && ips.length < families.length) {
    return invalid(AllocationReasons.IPFamilyMismatch, `the Service is RequireDualStack but ${source} gives only a ${ips[0]?.family} address; give one address per family`);
  }
  ips.sort((a, b) => families.indexOf(a.family) - families.indexOf(b.family));
  return pool ? { kind: 'ips', ips, pool } : { kind: 'ips', ips };
}

/** Reads a Service into the allocator's view of it. Pure: the same object gives the same view. */
export function serviceView(svc: ServiceObject, opts: ViewOptions = {}): ServiceView {
  const namespace = svc.metadata.namespace ?? '';
  const name = svc.metadata.name ?? '';
  const spec = svc.spec ?? {};
  const deprecated: string[] = [];
  const policy = policyOf(spec.ipFamilyPolicy);
  // A SingleStack Service has one family whatever ipFamilies lists (the API server keeps one).
  const listed = familiesOf(spec.ipFamilies);
  const families = policy === 'SingleStack' ? familyList(listed[0]) : listed;
  const classOK = opts.loadBalancerClass === undefined ? spec.loadBalancerClass === undefined : spec.loadBalancerClass === opts.loadBalancerClass;
  const managed = spec.type === 'LoadBalancer' && classOK;
  const ann = svc.metadata.annotations ?? {};
  const sharingKey = annotation(ann, 'allowSharedIP', deprecated)?.trim() || undefined;
  const selector = spec.selector ?? {};
  const backendKey =
    spec.externalTrafficPolicy === 'Local'
      ? Object.keys(selector)
          .sort()
          .map((k) => `${k}=${selector[k]}`)
          .join(',')
      : '';
  return {
    key: `${namespace}/${name}`,
    namespace: intern(namespaces, namespace, 10_000),
    uid: svc.metadata.uid ?? '',
    created: svc.metadata.creationTimestamp ?? '',
    labels: svc.metadata.labels ?? NO_LABELS,
    managed,
    families,
    policy,
    ports: portsOf(spec.ports ?? []),
    sharingKey,
    backendKey,
    request: managed ? requestOf(svc, families, policy, deprecated) : AUTO,
    deprecated: managed && deprecated.length > 0 ? deprecated : NONE,
    statusIPs: svc.status?.loadBalancer?.ingress?.length ? svc.status.loadBalancer.ingress.flatMap((i) => canonicalIP(i.ip ?? '') ?? []) : NONE,
    allocatedFrom: annotation(ann, 'ipAllocatedFromPool', []),
  };
}

/** The families to hold addresses of, primary first. */
export function wantedFamilies(v: ServiceView): readonly Family[] {
  if (v.request.kind === 'ips') return familyList(v.request.ips[0]?.family, v.request.ips[1]?.family);
  return v.policy === 'SingleStack' ? familyList(v.families[0]) : v.families;
}

/** What the request amounts to, as a string: a change to it is an operator's change to the Service. */
export function requestFingerprint(v: ServiceView): string {
  const r = v.request;
  switch (r.kind) {
    case 'ips':
      return `ips:${r.ips.map(formatIP).join(',')}@${r.pool ?? ''}`;
    case 'pool':
      return `pool:${r.pool}`;
    case 'invalid':
      return `invalid:${r.message}`;
    default:
      return 'auto';
  }
}
