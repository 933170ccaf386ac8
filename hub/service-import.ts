import type { ConditionInput } from '../runtime/conditions.js';
import {
  ServiceExportConditions,
  ServiceExportConflictReasons,
  ServiceExportReasons,
  type InternalServiceExportSpec,
  type IPFamily,
  type ServiceImportStatus,
  type ServicePort,
  type ServiceImportType,
} from '../api/networking.js';

/**
 * The hub's verdict on every export of one Service (`namespace/name` across the fleet): the
 * ServiceImport status and, per export, its Conflict condition. Pure.
 *
 * The MCS API rule (KEP-1645), not fleet-networking's "first in the cache wins": exports are
 * taken oldest first (exportedSince, then cluster name, so the order is total and the verdict the
 * same on every run); the oldest decides what cannot be merged (type, session affinity); ports
 * are merged as a set, by name first and then by protocol+port. An export whose type or ports
 * cannot join the merged set is conflicted and left out of the import as a whole: serving half
 * of its ports, or a headless export behind a ClusterSetIP, would send traffic where its Service
 * does not listen. Session affinity and IP families only raise Conflict: traffic still reaches
 * every backend, so the export stays in.
 */

export interface ExportView {
  cluster: string;
  spec: InternalServiceExportSpec;
}

export interface ExportVerdict {
  cluster: string;
  /** In `status.clusters`: its endpoints are served. */
  included: boolean;
  conflict: ConditionInput;
}

export interface ImportVerdict {
  /** Undefined when there is nothing to import (no exports): the ServiceImport goes. */
  status?: ServiceImportStatus;
  exports: ExportVerdict[];
}

const protocolOf = (p: Pick<ServicePort, 'protocol'>) => p.protocol ?? 'TCP';
const portKey = (p: ServicePort) => `${protocolOf(p)}/${p.port}`;
const describePort = (p: ServicePort) => `${p.name ? `"${p.name}" ` : ''}${portKey(p)}`;

export function importTypeOf(spec: InternalServiceExportSpec): ServiceImportType {
  return spec.headless ? 'Headless' : 'ClusterSetIP';
}

/** Oldest first: exportedSince (missing counts as newest), then cluster name. */
export function exportOrder(a: ExportView, b: ExportView): number {
  const ta = Date.parse(a.spec.serviceReference.exportedSince ?? '');
  const tb = Date.parse(b.spec.serviceReference.exportedSince ?? '');
  const na = Number.isFinite(ta) ? ta : Number.POSITIVE_INFINITY;
  const nb = Number.isFinite(tb) ? tb : Number.POSITIVE_INFINITY;
  if (na !== nb) return na < nb ? -1 : 1;
  return a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0;
}

/**
 * Why `ports` cannot join `merged`, or undefined when they can. Same name must mean same
 * protocol+port (and appProtocol); a protocol+port already in the set must carry the same name.
 */
export function portConflict(merged: readonly { port: ServicePort; cluster: string }[], ports: readonly ServicePort[]): string | undefined {
  for (const p of ports) {
    const sameName = p.name ? merged.find((m) => m.port.name === p.name) : undefined;
    if (sameName) {
      if (portKey(sameName.port) !== portKey(p)) return `port "${p.name}" is ${portKey(p)} here but ${portKey(sameName.port)} in cluster "${sameName.cluster}"`;
      if ((sameName.port.appProtocol ?? '') !== (p.appProtocol ?? '')) return `port "${p.name}" has appProtocol "${p.appProtocol ?? ''}" here but "${sameName.port.appProtocol ?? ''}" in cluster "${sameName.cluster}"`;
      continue;
    }
    const sameKey = merged.find((m) => portKey(m.port) === portKey(p));
    if (sameKey && (sameKey.port.name ?? '') !== (p.name ?? '')) return `port ${portKey(p)} is named "${p.name ?? ''}" here but "${sameKey.port.name ?? ''}" in cluster "${sameKey.cluster}"`;
  }
  return undefined;
}

function sameFamilies(a: readonly IPFamily[] | undefined, b: readonly IPFamily[] | undefined): boolean {
  const x = [...(a ?? [])].sort().join(',');
  const y = [...(b ?? [])].sort().join(',');
  return x === '' || y === '' || x === y;
}

export function resolveImport(exports: readonly ExportView[]): ImportVerdict {
  const sorted = [...exports].sort(exportOrder);
  const oldest = sorted[0];
  if (!oldest) return { exports: [] };
  const type = importTypeOf(oldest.spec);
  const affinity = oldest.spec.sessionAffinity ?? 'None';
  const merged: { port: ServicePort; cluster: string }[] = [];
  const clusters: string[] = [];
  const families = new Set<IPFamily>();
  const verdicts: ExportVerdict[] = [];
  const winner = `Using the oldest export, from cluster "${oldest.cluster}"`;
  for (const e of sorted) {
    const reasons: string[] = [];
    const fields: string[] = [];
    let excluded = false;
    if (importTypeOf(e.spec) !== type) {
      reasons.push(ServiceExportConflictReasons.TypeConflict);
      fields.push(`type is ${importTypeOf(e.spec)} here but ${type}`);
      excluded = true;
    }
    const ports = portConflict(merged, e.spec.ports);
    if (ports) {
      reasons.push(ServiceExportConflictReasons.PortConflict);
      fields.push(ports);
      excluded = true;
    }
    if ((e.spec.sessionAffinity ?? 'None') !== affinity) {
      reasons.push(ServiceExportConflictReasons.SessionAffinityConflict);
      fields.push(`sessionAffinity is ${e.spec.sessionAffinity ?? 'None'} here but ${affinity}`);
    } else if (affinity === 'ClientIP' && timeoutOf(e.spec) !== timeoutOf(oldest.spec)) {
      reasons.push(ServiceExportConflictReasons.SessionAffinityConfigConflict);
      fields.push(`sessionAffinityConfig.clientIP.timeoutSeconds is ${timeoutOf(e.spec)} here but ${timeoutOf(oldest.spec)}`);
    }
    if (!sameFamilies(e.spec.ipFamilies, oldest.spec.ipFamilies)) {
      reasons.push(ServiceExportConflictReasons.IPFamilyConflict);
      fields.push(`ipFamilies are ${(e.spec.ipFamilies ?? []).join(',')} here but ${(oldest.spec.ipFamilies ?? []).join(',')}`);
    }
    if (!excluded) {
      for (const p of e.spec.ports) if (!merged.some((m) => portKey(m.port) === portKey(p))) merged.push({ port: { ...p, protocol: protocolOf(p) }, cluster: e.cluster });
      for (const f of e.spec.ipFamilies ?? []) families.add(f);
      if (!clusters.includes(e.cluster)) clusters.push(e.cluster);
    }
    const conflict: ConditionInput =
      reasons.length === 0
        ? { type: ServiceExportConditions.Conflict, status: 'False', reason: ServiceExportReasons.NoConflictFound, message: `no conflict: exported with ${e.spec.ports.map(describePort).join(', ') || 'no ports'} as ${type}` }
        : {
            type: ServiceExportConditions.Conflict,
            status: 'True',
            reason: reasons.join(','),
            message: `Conflicting ${fields.join('; ')}. ${winner}${excluded ? '; this cluster is left out of the import until it agrees' : '; this cluster is still served'}.`,
          };
    verdicts.push({ cluster: e.cluster, included: !excluded, conflict });
  }
  const status: ServiceImportStatus = {
    type,
    sessionAffinity: affinity,
    ...(affinity === 'ClientIP' && oldest.spec.sessionAffinityConfig ? { sessionAffinityConfig: oldest.spec.sessionAffinityConfig } : {}),
    ports: merged.map((m) => m.port).sort((a, b) => a.port - b.port || protocolOf(a).localeCompare(protocolOf(b))),
    clusters: [...clusters].sort().map((cluster) => ({ cluster })),
  };
  return { status, exports: verdicts };
}

function timeoutOf(spec: InternalServiceExportSpec): number {
  // Kubernetes' default ClientIP affinity timeout (3 hours).
  return spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800;
}
