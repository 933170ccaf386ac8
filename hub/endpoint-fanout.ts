import { isDeepStrictEqual } from 'node:util';
import { Annotations, Labels, memberOfNamespace } from '../api/labels.js';
import {
  EndpointSliceImportKind,
  type EndpointSliceExport,
  type EndpointSliceImport,
  type InternalServiceImport,
  type ServiceImport,
  type ServiceImportStatus,
} from '../api/networking.js';

/**
 * The import half of multi-cluster services on the hub, for one Service `namespace/name`: what
 * each importing member (one with an InternalServiceImport in its namespace) is told. Pure.
 * - its InternalServiceImport's status is the ServiceImport's (`{}` while there is none);
 * - the ServiceImport is annotated with every importer (fleetlb lets several members import);
 * - it gets one EndpointSliceImport per EndpointSliceExport of a cluster the ServiceImport lists,
 *   so a member that left, went silent or is conflicted is served to nobody. The source cluster is
 *   the namespace an export lives in, and an export claiming another cluster is ignored: a member
 *   can write only its own namespace, and must not speak for others.
 */

export const serviceKeyOfImport = (isi: InternalServiceImport) => isi.spec.serviceImportReference.namespacedName;
export const serviceKeyOfSlice = (s: EndpointSliceExport | EndpointSliceImport) => s.spec.ownerServiceReference.namespacedName;

/** The importers of the Service: members with a live InternalServiceImport of it, one per namespace. */
export function importers(isis: readonly InternalServiceImport[]): InternalServiceImport[] {
  const seen = new Set<string>();
  return isis.filter((i) => {
    const ns = i.metadata.namespace ?? '';
    if (memberOfNamespace(ns) === undefined || i.metadata.deletionTimestamp || seen.has(ns)) return false;
    seen.add(ns);
    return true;
  });
}

/** The status every importer's InternalServiceImport carries: a copy of the ServiceImport's. */
export function importStatus(serviceImport: ServiceImport | undefined): ServiceImportStatus {
  return serviceImport?.status ?? {};
}

/** Annotation `service-in-use-by`: `{ "fleet-member-I": "I", ... }`, keys sorted; undefined with no importer. */
export function serviceInUseBy(isis: readonly InternalServiceImport[]): string | undefined {
  const entries = importers(isis)
    .map((i) => [i.metadata.namespace ?? '', memberOfNamespace(i.metadata.namespace) ?? ''] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? undefined : JSON.stringify(Object.fromEntries(entries));
}

/** The EndpointSliceImports every importer should hold for the Service, and nothing else. */
export function desiredEndpointSliceImports(
  service: { namespace: string; name: string },
  isis: readonly InternalServiceImport[],
  eses: readonly EndpointSliceExport[],
  serviceImport: ServiceImport | undefined,
): EndpointSliceImport[] {
  const served = new Set((serviceImport?.status?.clusters ?? []).map((c) => c.cluster));
  const sources = eses.filter((e) => {
    const cluster = memberOfNamespace(e.metadata.namespace);
    return cluster !== undefined && !e.metadata.deletionTimestamp && e.spec.endpointSliceReference.clusterId === cluster && served.has(cluster);
  });
  const out: EndpointSliceImport[] = [];
  for (const isi of importers(isis)) {
    for (const ese of sources) {
      out.push({
        apiVersion: `${EndpointSliceImportKind.group}/${EndpointSliceImportKind.version}`,
        kind: 'EndpointSliceImport',
        metadata: {
          name: ese.metadata.name ?? '',
          namespace: isi.metadata.namespace ?? '',
          labels: { [Labels.mcsServiceName]: service.name, [Labels.mcsSourceCluster]: ese.spec.endpointSliceReference.clusterId },
        },
        spec: ese.spec,
      });
    }
  }
  return out;
}

export interface FanOutPlan {
  /** Missing or different: written with server-side apply. */
  apply: EndpointSliceImport[];
  /** Present but no longer wanted. */
  remove: { namespace: string; name: string; sourceCluster?: string }[];
}

/** What to write and delete so that the Service's EndpointSliceImports are exactly `desired`. */
export function planFanOut(desired: readonly EndpointSliceImport[], existing: readonly EndpointSliceImport[]): FanOutPlan {
  const key = (o: { metadata: { namespace?: string; name?: string } }) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
  const have = new Map(existing.map((e) => [key(e), e]));
  const want = new Set(desired.map(key));
  const apply = desired.filter((d) => {
    const e = have.get(key(d));
    return !e || e.metadata.deletionTimestamp || !isDeepStrictEqual(e.spec, d.spec) || !sameLabels(e.metadata.labels, d.metadata.labels);
  });
  const remove = existing
    .filter((e) => !want.has(key(e)) && !e.metadata.deletionTimestamp)
    .map((e) => ({ namespace: e.metadata.namespace ?? '', name: e.metadata.name ?? '', sourceCluster: e.spec.endpointSliceReference.clusterId }));
  return { apply, remove };
}

function sameLabels(have: Readonly<Record<string, string>> | undefined, want: Readonly<Record<string, string>> | undefined): boolean {
  return Object.entries(want ?? {}).every(([k, v]) => have?.[k] === v);
}

/** The annotation patch for the ServiceImport, or undefined when it already says the right thing. */
export function inUseByPatch(serviceImport: ServiceImport, isis: readonly InternalServiceImport[]): { metadata: { annotations: Record<string, string | null> } } | undefined {
  const want = serviceInUseBy(isis);
  const have = serviceImport.metadata.annotations?.[Annotations.serviceInUseBy];
  if (have === want) return undefined;
  return { metadata: { annotations: { [Annotations.serviceInUseBy]: want ?? null } } };
}
