import { Annotations } from '../../api/labels.js';

/**
 * MetalLB's IP sharing rules (metallb.md §2): two Services may hold one address only if both carry
 * the same non-empty `metallb.io/allow-shared-ip` key, their protocol/port pairs do not overlap,
 * and they send traffic to the same backends (for externalTrafficPolicy Local, the same
 * selector; Cluster Services all have the same, empty, backend key).
 */
export interface Shareable {
  key: string;
  sharingKey?: string;
  /** `PROTOCOL/port` pairs. */
  ports: readonly string[];
  backendKey: string;
}

/** Why `a` may not share an address with `b`, in words; undefined when it may. */
export function sharingConflict(a: Shareable, b: Shareable): string | undefined {
  if (!b.sharingKey) return `${b.key} holds it and does not allow sharing (no ${Annotations.allowSharedIP})`;
  if (!a.sharingKey) return `${b.key} holds it; to share it, give both Services the same ${Annotations.allowSharedIP}`;
  if (a.sharingKey !== b.sharingKey) return `${b.key} holds it with a different ${Annotations.allowSharedIP} key ("${b.sharingKey}")`;
  const theirs = new Set(b.ports);
  const clash = a.ports.filter((p) => theirs.has(p));
  if (clash.length > 0) return `${b.key} holds it and also uses ${clash.join(', ')}`;
  if (a.backendKey !== b.backendKey) return `${b.key} holds it and selects other pods; externalTrafficPolicy Local Services share only with the same selector`;
  return undefined;
}

export const canShare = (a: Shareable, b: Shareable): boolean => sharingConflict(a, b) === undefined;
