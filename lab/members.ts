import { ErrorCodes, FleetlbError } from '../runtime/errors.js';
import { MAX_CLUSTERS } from './address-plan.js';
import type { ClusterSpec } from './control-plane.js';

export const HUB_NAME = 'hub';
export const DEFAULT_MEMBERS = 'member-1=eastus,member-2=eastus,member-3=westus';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function bad(message: string): never {
  throw new FleetlbError(ErrorCodes.LAB_BAD_MEMBERS, message);
}

/**
 * `member-1=eastus,member-2=eastus` → the fleet: the hub (index 0) and each member with its
 * location label. Names are DNS labels because they become namespace and object names.
 */
export function parseMembers(text: string): ClusterSpec[] {
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) bad(`--members is empty: give NAME=LOCATION pairs, e.g. ${DEFAULT_MEMBERS}.`);
  if (items.length > MAX_CLUSTERS - 1) bad(`--members lists ${items.length} clusters; the lab's address plan has room for ${MAX_CLUSTERS - 1}.`);
  const seen = new Set<string>();
  const members = items.map((item, i): ClusterSpec => {
    const [name = '', location, ...rest] = item.split('=');
    if (location === undefined || rest.length > 0) bad(`--members entry '${item}' is not NAME=LOCATION (e.g. member-1=eastus).`);
    if (!DNS_LABEL.test(name) || name.length > 40) bad(`--members name '${name}' must be a lowercase DNS label of at most 40 characters (letters, digits, '-').`);
    if (name === HUB_NAME) bad(`--members cannot use the name '${HUB_NAME}': it is the hub's.`);
    if (seen.has(name)) bad(`--members names '${name}' twice.`);
    if (!LABEL_VALUE.test(location) || location.length > 63 || location === '') bad(`--members location '${location}' for ${name} is not a valid label value.`);
    seen.add(name);
    return { name, index: i + 1, role: 'member', location };
  });
  return [{ name: HUB_NAME, index: 0, role: 'hub' }, ...members];
}

export function formatMembers(clusters: ClusterSpec[]): string {
  return clusters.filter((c) => c.role === 'member').map((c) => `${c.name}=${c.location ?? ''}`).join(',');
}
