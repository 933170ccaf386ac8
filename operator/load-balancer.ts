import { MetalLBBGPPeerStorageVersion, MetalLBGroup, MetalLBVersion } from '../api/groups.js';
import { Labels } from '../api/labels.js';
import type { BGPAdvertisement, BGPPeer, BGPPeerSpec, IPAddressPool, L2Advertisement } from '../api/metallb.js';
import { ErrorCodes, FleetlbError } from '../runtime/errors.js';
import { parseIP, parseRange } from '../runtime/ip.js';

/**
 * What `fleetlb lb create` and `fleetlb bgp-peer create` write, as Azure Arc's
 * `az k8s-runtime load-balancer create` / `bgp-peer create` do: a load balancer is an
 * IPAddressPool of its name plus, by advertise mode, an L2Advertisement (ARP), a BGPAdvertisement
 * (BGP), or both, each of the same name and selecting that pool. Pure: flags in, objects out.
 */

export const AdvertiseModes = ['ARP', 'BGP', 'Both'] as const;
export type AdvertiseMode = (typeof AdvertiseModes)[number];

export type LoadBalancerObject = IPAddressPool | L2Advertisement | BGPAdvertisement;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function checkName(name: string, what: string): string {
  if (!DNS_LABEL.test(name)) throw new FleetlbError(ErrorCodes.CLI_USAGE, `${what} "${name}" is not a valid name: use lower-case letters, digits and '-', at most 63, starting and ending with a letter or digit.`);
  return name;
}

/** `ARP`, `bgp`, `both` …: the Arc values, case-insensitive; anything else is refused. */
export function parseAdvertiseMode(text: string): AdvertiseMode {
  const mode = AdvertiseModes.find((m) => m.toLowerCase() === text.trim().toLowerCase());
  if (!mode) throw new FleetlbError(ErrorCodes.CLI_USAGE, `--advertise-mode "${text}" is not one of ${AdvertiseModes.join(', ')}.`);
  return mode;
}

/** `--addresses` as Arc takes it: comma-separated CIDRs or start-end ranges, each checked. */
export function parseAddresses(text: string): string[] {
  const entries = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (entries.length === 0) throw new FleetlbError(ErrorCodes.CLI_USAGE, '--addresses is empty: give CIDRs or ranges, e.g. 198.51.100.0/28,198.51.100.100-198.51.100.120.');
  for (const e of entries) {
    const r = parseRange(e);
    if (!r.ok) throw new FleetlbError(ErrorCodes.CLI_USAGE, `--addresses: ${r.error}.`);
  }
  return entries;
}

export const usesL2 = (m: AdvertiseMode): boolean => m === 'ARP' || m === 'Both';
export const usesBGP = (m: AdvertiseMode): boolean => m === 'BGP' || m === 'Both';

export function loadBalancerObjects(name: string, namespace: string, addresses: string[], mode: AdvertiseMode): LoadBalancerObject[] {
  checkName(name, 'the load balancer');
  const metadata = { name, namespace, labels: { [Labels.loadBalancer]: name } };
  const apiVersion = `${MetalLBGroup}/${MetalLBVersion}` as const;
  const out: LoadBalancerObject[] = [{ apiVersion, kind: 'IPAddressPool', metadata, spec: { addresses } }];
  if (usesL2(mode)) out.push({ apiVersion, kind: 'L2Advertisement', metadata, spec: { ipAddressPools: [name] } });
  if (usesBGP(mode)) out.push({ apiVersion, kind: 'BGPAdvertisement', metadata, spec: { ipAddressPools: [name] } });
  return out;
}

/** The advertise mode a set of existing objects amounts to (for `lb list`), or undefined. */
export function modeOf(kinds: ReadonlySet<string>): AdvertiseMode | undefined {
  const l2 = kinds.has('L2Advertisement');
  const bgp = kinds.has('BGPAdvertisement');
  return l2 && bgp ? 'Both' : l2 ? 'ARP' : bgp ? 'BGP' : undefined;
}

export interface BGPPeerFlags {
  myAsn: string;
  peerAsn: string;
  peerAddress: string;
  peerPort?: string;
  holdTime?: string;
  keepaliveTime?: string;
  sourceAddress?: string;
  passwordSecret?: string;
  ebgpMultiHop?: boolean;
  nodeSelector?: string;
}

function asn(text: string, flag: string): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 4294967295) throw new FleetlbError(ErrorCodes.CLI_USAGE, `${flag} "${text}" is not an AS number (1 to 4294967295).`);
  return n;
}

function goDuration(text: string, flag: string): string {
  const t = text.trim();
  if (/^\d+$/.test(t)) return `${t}s`;
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(t)) throw new FleetlbError(ErrorCodes.CLI_USAGE, `${flag} "${text}" is not a duration such as 90s or 1m30s.`);
  return t;
}

/** `k=v,k2=v2` into matchLabels. */
function labelSelector(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new FleetlbError(ErrorCodes.CLI_USAGE, `--node-selector "${pair}" is not key=value.`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

export function bgpPeerObject(name: string, namespace: string, f: BGPPeerFlags): BGPPeer {
  checkName(name, 'the BGP peer');
  if (!parseIP(f.peerAddress.trim())) throw new FleetlbError(ErrorCodes.CLI_USAGE, `--peer-address "${f.peerAddress}" is not an IP address.`);
  const spec: BGPPeerSpec = { myASN: asn(f.myAsn, '--my-asn'), peerASN: asn(f.peerAsn, '--peer-asn'), peerAddress: f.peerAddress.trim() };
  if (f.peerPort !== undefined) {
    const p = Number(f.peerPort);
    if (!Number.isInteger(p) || p < 1 || p > 16384) throw new FleetlbError(ErrorCodes.CLI_USAGE, `--peer-port "${f.peerPort}" is not a port from 1 to 16384.`);
    spec.peerPort = p;
  }
  if (f.holdTime !== undefined) spec.holdTime = goDuration(f.holdTime, '--hold-time');
  if (f.keepaliveTime !== undefined) spec.keepaliveTime = goDuration(f.keepaliveTime, '--keepalive-time');
  if (f.sourceAddress !== undefined) {
    if (!parseIP(f.sourceAddress.trim())) throw new FleetlbError(ErrorCodes.CLI_USAGE, `--source-address "${f.sourceAddress}" is not an IP address.`);
    spec.sourceAddress = f.sourceAddress.trim();
  }
  if (f.passwordSecret !== undefined) spec.passwordSecret = { name: checkName(f.passwordSecret, '--password-secret'), namespace };
  if (f.ebgpMultiHop) spec.ebgpMultiHop = true;
  if (f.nodeSelector !== undefined) spec.nodeSelectors = [{ matchLabels: labelSelector(f.nodeSelector) }];
  return {
    apiVersion: `${MetalLBGroup}/${MetalLBBGPPeerStorageVersion}`,
    kind: 'BGPPeer',
    metadata: { name, namespace, labels: { [Labels.bgpPeer]: name } },
    spec,
  };
}
