import { parseAllDocuments } from 'yaml';
import { MetalLBBGPPeerStorageVersion, MetalLBGroup, MetalLBVersion } from '../api/groups.js';
import { FleetLBNamespace } from '../api/labels.js';
import type { LabelSelector } from '../api/meta.js';
import type {
  BFDProfile,
  BGPAdvertisement,
  BGPPeer,
  Community,
  IPAddressPool,
  L2Advertisement,
} from '../api/metallb.js';
import { ErrorCodes, FleetlbError } from '../runtime/errors.js';

/**
 * The legacy MetalLB ConfigMap (`data.config`, MetalLB ≤ 0.12) turned into metallb.io custom
 * resources. Pure: text in, objects and notes out. Every key of the legacy format is either mapped
 * or named in a note, so nothing is dropped silently.
 */

export type ConvertedObject = IPAddressPool | L2Advertisement | BGPAdvertisement | BGPPeer | Community | BFDProfile;

export interface Conversion {
  objects: ConvertedObject[];
  /** One line per legacy setting that has no equivalent or changed meaning; empty when all mapped. */
  notes: string[];
}

export interface ConvertOptions {
  /** Namespace of the resulting objects; fleetlb's allocator and speakers read fleetlb-system. */
  namespace?: string;
}

type Dict = Record<string, unknown>;

const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);

class Reader {
  constructor(readonly notes: string[]) {}

  fail(path: string, what: string): never {
    throw new FleetlbError(ErrorCodes.CONVERT_INVALID_CONFIG, `The MetalLB configuration is invalid at ${path}: ${what}.`);
  }

  dict(v: unknown, path: string): Dict {
    if (!isDict(v)) this.fail(path, 'expected a mapping');
    return v;
  }

  list(v: unknown, path: string): unknown[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(path, 'expected a list');
    return v;
  }

  string(v: unknown, path: string): string {
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'number') return String(v);
    this.fail(path, 'expected a non-empty string');
  }

  optString(v: unknown, path: string): string | undefined {
    return v === undefined || v === null ? undefined : this.string(v, path);
  }

  uint(v: unknown, path: string, max = 2 ** 32 - 1): number {
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > max) this.fail(path, `expected a whole number from 0 to ${max}`);
    return n;
  }

  optUint(v: unknown, path: string, max?: number): number | undefined {
    return v === undefined || v === null ? undefined : this.uint(v, path, max);
  }

  bool(v: unknown, path: string): boolean | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') this.fail(path, 'expected true or false');
    return v;
  }

  /** Notes every key of `d` that the caller did not consume. */
  rest(d: Dict, known: readonly string[], path: string): void {
    for (const k of Object.keys(d)) if (!known.includes(k)) this.notes.push(`${path}.${k}: not a MetalLB setting fleetlb knows; left out`);
  }
}

function meta(name: string, namespace: string) {
  return { name, namespace };
}

function selector(r: Reader, v: unknown, path: string): LabelSelector {
  const d = r.dict(v, path);
  r.rest(d, ['match-labels', 'match-expressions'], path);
  const out: LabelSelector = {};
  if (d['match-labels'] !== undefined) {
    const labels = r.dict(d['match-labels'], `${path}.match-labels`);
    out.matchLabels = Object.fromEntries(Object.entries(labels).map(([k, val]) => [k, r.string(val, `${path}.match-labels.${k}`)]));
  }
  const exprs = r.list(d['match-expressions'], `${path}.match-expressions`);
  if (exprs.length > 0) {
    out.matchExpressions = exprs.map((e, i) => {
      const p = `${path}.match-expressions[${i}]`;
      const x = r.dict(e, p);
      r.rest(x, ['key', 'operator', 'values'], p);
      const values = r.list(x.values, `${p}.values`).map((val, j) => r.string(val, `${p}.values[${j}]`));
      return { key: r.string(x.key, `${p}.key`), operator: r.string(x.operator, `${p}.operator`), ...(values.length ? { values } : {}) };
    });
  }
  return out;
}

/** Legacy durations are Go durations already ("90s", "1m30s"); a bare number meant seconds. */
function duration(r: Reader, v: unknown, path: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return `${v}s`;
  const s = r.string(v, path);
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(s)) r.fail(path, `"${s}" is not a duration such as 90s or 1m30s`);
  return s;
}

/** RFC 1123 label-ish names: the legacy format allowed anything, object names do not. */
function objectName(r: Reader, raw: string, path: string): string {
  const name = raw.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  if (name === '' || name.length > 253) r.fail(path, `"${raw}" cannot be made into an object name`);
  if (name !== raw) r.notes.push(`${path}: "${raw}" is not a valid object name; named "${name}"`);
  return name;
}

function peers(r: Reader, cfg: Dict, ns: string): BGPPeer[] {
  return r.list(cfg.peers, 'peers').map((p, i) => {
    const path = `peers[${i}]`;
    const d = r.dict(p, path);
    r.rest(d, ['my-asn', 'peer-asn', 'peer-address', 'source-address', 'peer-port', 'hold-time', 'keepalive-time', 'router-id', 'node-selectors', 'password', 'bfd-profile', 'ebgp-multihop', 'vrf'], path);
    const spec: BGPPeer['spec'] = {
      myASN: r.uint(d['my-asn'], `${path}.my-asn`),
      peerASN: r.uint(d['peer-asn'], `${path}.peer-asn`),
      peerAddress: r.string(d['peer-address'], `${path}.peer-address`),
    };
    const src = r.optString(d['source-address'], `${path}.source-address`);
    if (src) spec.sourceAddress = src;
    const port = r.optUint(d['peer-port'], `${path}.peer-port`, 16384);
    if (port !== undefined) spec.peerPort = port;
    const hold = duration(r, d['hold-time'], `${path}.hold-time`);
    if (hold) spec.holdTime = hold;
    const keepalive = duration(r, d['keepalive-time'], `${path}.keepalive-time`);
    if (keepalive) spec.keepaliveTime = keepalive;
    const routerID = r.optString(d['router-id'], `${path}.router-id`);
    if (routerID) spec.routerID = routerID;
    const selectors = r.list(d['node-selectors'], `${path}.node-selectors`).map((s, j) => selector(r, s, `${path}.node-selectors[${j}]`));
    if (selectors.length) spec.nodeSelectors = selectors;
    const password = r.optString(d.password, `${path}.password`);
    if (password) {
      spec.password = password;
      r.notes.push(`${path}.password: copied in clear into BGPPeer peer-${i + 1}; consider a Secret and spec.passwordSecret`);
    }
    const bfd = r.optString(d['bfd-profile'], `${path}.bfd-profile`);
    if (bfd) spec.bfdProfile = bfd;
    const multihop = r.bool(d['ebgp-multihop'], `${path}.ebgp-multihop`);
    if (multihop !== undefined) spec.ebgpMultiHop = multihop;
    const vrf = r.optString(d.vrf, `${path}.vrf`);
    if (vrf) {
      spec.vrf = vrf;
      r.notes.push(`${path}.vrf: kept, but fleetlb's speaker does not support VRFs and reports it on the peer's status`);
    }
    return { apiVersion: `${MetalLBGroup}/${MetalLBBGPPeerStorageVersion}`, kind: 'BGPPeer', metadata: meta(`peer-${i + 1}`, ns), spec };
  });
}

function bfdProfiles(r: Reader, cfg: Dict, ns: string): BFDProfile[] {
  const fields = {
    'receive-interval': 'receiveInterval',
    'transmit-interval': 'transmitInterval',
    'detect-multiplier': 'detectMultiplier',
    'echo-interval': 'echoInterval',
    'minimum-ttl': 'minimumTtl',
  } as const;
  return r.list(cfg['bfd-profiles'], 'bfd-profiles').map((p, i) => {
    const path = `bfd-profiles[${i}]`;
    const d = r.dict(p, path);
    r.rest(d, ['name', 'echo-mode', 'passive-mode', ...Object.keys(fields)], path);
    const spec: NonNullable<BFDProfile['spec']> = {};
    for (const [legacy, field] of Object.entries(fields)) {
      const n = r.optUint(d[legacy], `${path}.${legacy}`);
      if (n !== undefined) spec[field] = n;
    }
    const echo = r.bool(d['echo-mode'], `${path}.echo-mode`);
    if (echo !== undefined) spec.echoMode = echo;
    const passive = r.bool(d['passive-mode'], `${path}.passive-mode`);
    if (passive !== undefined) spec.passiveMode = passive;
    const name = objectName(r, r.string(d.name, `${path}.name`), `${path}.name`);
    return { apiVersion: `${MetalLBGroup}/${MetalLBVersion}`, kind: 'BFDProfile', metadata: meta(name, ns), spec };
  });
}

function communities(r: Reader, cfg: Dict, ns: string): { objects: Community[]; aliases: Set<string> } {
  if (cfg['bgp-communities'] === undefined || cfg['bgp-communities'] === null) return { objects: [], aliases: new Set() };
  const d = r.dict(cfg['bgp-communities'], 'bgp-communities');
  const list = Object.entries(d).map(([name, value]) => ({ name, value: r.string(value, `bgp-communities.${name}`) }));
  if (list.length === 0) return { objects: [], aliases: new Set() };
  return {
    objects: [{ apiVersion: `${MetalLBGroup}/${MetalLBVersion}`, kind: 'Community', metadata: meta('communities', ns), spec: { communities: list } }],
    aliases: new Set(list.map((c) => c.name)),
  };
}

const COMMUNITY = /^(\d{1,5}:\d{1,5}|large:\d+:\d+:\d+)$/;

function pools(r: Reader, cfg: Dict, ns: string, aliases: Set<string>): ConvertedObject[] {
  const out: ConvertedObject[] = [];
  const seen = new Set<string>();
  r.list(cfg['address-pools'], 'address-pools').forEach((p, i) => {
    const path = `address-pools[${i}]`;
    const d = r.dict(p, path);
    r.rest(d, ['name', 'protocol', 'addresses', 'auto-assign', 'avoid-buggy-ips', 'bgp-advertisements'], path);
    const name = objectName(r, r.string(d.name, `${path}.name`), `${path}.name`);
    if (seen.has(name)) r.fail(`${path}.name`, `the pool name "${name}" is used twice`);
    seen.add(name);
    const addresses = r.list(d.addresses, `${path}.addresses`).map((a, j) => r.string(a, `${path}.addresses[${j}]`));
    if (addresses.length === 0) r.fail(`${path}.addresses`, 'a pool needs at least one address range');
    const protocol = r.string(d.protocol, `${path}.protocol`);
    if (protocol !== 'layer2' && protocol !== 'bgp') r.fail(`${path}.protocol`, `"${protocol}" is not layer2 or bgp`);
    const spec: IPAddressPool['spec'] = { addresses };
    const auto = r.bool(d['auto-assign'], `${path}.auto-assign`);
    if (auto !== undefined) spec.autoAssign = auto;
    const buggy = r.bool(d['avoid-buggy-ips'], `${path}.avoid-buggy-ips`);
    if (buggy !== undefined) spec.avoidBuggyIPs = buggy;
    out.push({ apiVersion: `${MetalLBGroup}/${MetalLBVersion}`, kind: 'IPAddressPool', metadata: meta(name, ns), spec });

    if (protocol === 'layer2') {
      if (d['bgp-advertisements'] !== undefined) r.notes.push(`${path}.bgp-advertisements: ignored, the pool's protocol is layer2 (as MetalLB did)`);
      out.push({ apiVersion: `${MetalLBGroup}/${MetalLBVersion}`, kind: 'L2Advertisement', metadata: meta(`l2-${name}`, ns), spec: { ipAddressPools: [name] } });
      return;
    }
    const ads = r.list(d['bgp-advertisements'], `${path}.bgp-advertisements`);
    // A bgp pool without advertisements was announced with the defaults: one plain advertisement.
    const specs = ads.length === 0 ? [{}] : ads.map((a, j) => r.dict(a, `${path}.bgp-advertisements[${j}]`));
    specs.forEach((a, j) => {
      const ap = `${path}.bgp-advertisements[${j}]`;
      r.rest(a, ['aggregation-length', 'aggregation-length-v6', 'localpref', 'communities'], ap);
      const spec: NonNullable<BGPAdvertisement['spec']> = { ipAddressPools: [name] };
      const agg = r.optUint(a['aggregation-length'], `${ap}.aggregation-length`, 32);
      if (agg !== undefined) spec.aggregationLength = agg;
      const agg6 = r.optUint(a['aggregation-length-v6'], `${ap}.aggregation-length-v6`, 128);
      if (agg6 !== undefined) spec.aggregationLengthV6 = agg6;
      const pref = r.optUint(a.localpref, `${ap}.localpref`);
      if (pref !== undefined) spec.localPref = pref;
      const comms = r.list(a.communities, `${ap}.communities`).map((c, k) => {
        const value = r.string(c, `${ap}.communities[${k}]`);
        if (!aliases.has(value) && !COMMUNITY.test(value)) r.fail(`${ap}.communities[${k}]`, `"${value}" is neither a community value nor an alias in bgp-communities`);
        return value;
      });
      if (comms.length) spec.communities = comms;
      const adName = specs.length === 1 ? `bgp-${name}` : `bgp-${name}-${j + 1}`;
      out.push({ apiVersion: `${MetalLBGroup}/${MetalLBVersion}`, kind: 'BGPAdvertisement', metadata: meta(adName, ns), spec });
    });
  });
  return out;
}

/** The `config` text of the ConfigMap, whether given the ConfigMap itself or only its config. */
function legacyConfigText(text: string): { config: unknown; source: string } {
  const docs = parseAllDocuments(text);
  const parsed = docs.map((d) => {
    if (d.errors.length) throw new FleetlbError(ErrorCodes.CONVERT_INVALID_CONFIG, `The input is not valid YAML: ${d.errors[0]!.message.split('\n')[0]}.`);
    return d.toJS() as unknown;
  }).filter((d) => d !== null && d !== undefined);
  const configMaps = parsed.filter((d) => isDict(d) && d.kind === 'ConfigMap');
  if (configMaps.length > 1) throw new FleetlbError(ErrorCodes.CONVERT_INVALID_CONFIG, 'The input holds several ConfigMaps; give the MetalLB one (metallb-system/config) alone.');
  const cm = configMaps[0];
  if (isDict(cm)) {
    const data = isDict(cm.data) ? cm.data : {};
    if (typeof data.config !== 'string') throw new FleetlbError(ErrorCodes.CONVERT_INVALID_CONFIG, 'The ConfigMap has no data.config; MetalLB\'s legacy configuration lives there.');
    const inner = parseAllDocuments(data.config);
    if (inner.length !== 1 || inner[0]!.errors.length) throw new FleetlbError(ErrorCodes.CONVERT_INVALID_CONFIG, 'data.config of the ConfigMap is not one valid YAML document.');
    const md = isDict(cm.metadata) ? cm.metadata : {};
    return { config: inner[0]!.toJS(), source: `ConfigMap ${String(md.namespace ?? 'default')}/${String(md.name ?? '')}` };
  }
  if (parsed.length !== 1) throw new FleetlbError(ErrorCodes.CONVERT_INVALID_CONFIG, 'The input is neither a ConfigMap nor one legacy MetalLB configuration document.');
  return { config: parsed[0], source: 'configuration' };
}

export function convertMetalLBConfig(text: string, opts: ConvertOptions = {}): Conversion {
  const ns = opts.namespace ?? FleetLBNamespace;
  const notes: string[] = [];
  const r = new Reader(notes);
  const { config } = legacyConfigText(text);
  const cfg = r.dict(config, 'config');
  r.rest(cfg, ['peers', 'bgp-communities', 'address-pools', 'bfd-profiles'], 'config');
  const comm = communities(r, cfg, ns);
  const objects: ConvertedObject[] = [...pools(r, cfg, ns, comm.aliases), ...peers(r, cfg, ns), ...comm.objects, ...bfdProfiles(r, cfg, ns)];
  const profiles = new Set(objects.filter((o) => o.kind === 'BFDProfile').map((o) => o.metadata.name));
  for (const o of objects) {
    if (o.kind === 'BGPPeer' && o.spec.bfdProfile && !profiles.has(o.spec.bfdProfile)) {
      notes.push(`BGPPeer ${o.metadata.name}: bfd-profile "${o.spec.bfdProfile}" is not defined in bfd-profiles`);
    }
  }
  if (objects.some((o) => o.kind === 'BFDProfile') || objects.some((o) => o.kind === 'BGPPeer' && o.spec.bfdProfile)) {
    notes.push('bfd-profiles: converted, but fleetlb\'s speaker runs no BFD sessions; peers fail over on the BGP hold timer');
  }
  return { objects, notes };
}
