import { Labels } from '../api/labels.js';
import type { KubeObject } from '../runtime/resource.js';

/**
 * What ServiceL2Status and ServiceBGPStatus share: one object per Service and node, keyed by the
 * Service, and the diff that makes this node's objects match what it announces. Pure.
 */

interface ServiceStatusObject extends KubeObject {
  status?: { node?: string; serviceName?: string; serviceNamespace?: string };
}

export const serviceKeyOf = (o: ServiceStatusObject): string =>
  `${o.status?.serviceNamespace ?? o.metadata.labels?.[Labels.metallbServiceNamespace] ?? ''}/${o.status?.serviceName ?? o.metadata.labels?.[Labels.metallbServiceName] ?? ''}`;

/** Objects to delete (unwanted, duplicate or without status), kept ones whose content differs, and keys to create. */
export function changesByService<O extends ServiceStatusObject, W>(existing: readonly O[], desired: ReadonlyMap<string, W>, differs: (o: O, want: W) => boolean) {
  const out = { create: [] as W[], update: [] as { object: O; want: W }[], delete: [] as O[] };
  const kept = new Set<string>();
  for (const o of existing) {
    const key = serviceKeyOf(o);
    const want = desired.get(key);
    if (!want || kept.has(key) || !o.status?.node) {
      out.delete.push(o);
      continue;
    }
    kept.add(key);
    if (differs(o, want)) out.update.push({ object: o, want });
  }
  for (const [key, want] of desired) if (!kept.has(key)) out.create.push(want);
  return out;
}
