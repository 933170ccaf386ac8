import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { AllKinds, Annotations, Categories, ClusterResourcePlacementConditions, MultiClusterServiceConditions, ServiceExportConditions, type KindInfo } from './index.js';

/** The CRDs in crds/ must declare exactly what api/ says, or controllers talk to resources that do not exist. */

const crdDir = new URL('../crds/', import.meta.url);

interface PrinterColumn {
  name: string;
  jsonPath: string;
  priority?: number;
}

interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated?: boolean;
  schema?: { openAPIV3Schema?: { properties?: Record<string, unknown> } };
  subresources?: { status?: object };
  additionalPrinterColumns?: PrinterColumn[];
}

interface Crd {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    group: string;
    scope: 'Namespaced' | 'Cluster';
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames?: string[]; categories?: string[] };
    conversion?: { strategy: string };
    versions: CrdVersion[];
  };
}

interface Doc {
  file: string;
  object: { apiVersion?: string; kind?: string; metadata?: { name?: string } };
}

function loadDocs(): Doc[] {
  const docs: Doc[] = [];
  for (const file of readdirSync(crdDir).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const d of parseAllDocuments(readFileSync(new URL(file, crdDir), 'utf8'))) {
      if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
      docs.push({ file, object: d.toJS() as Doc['object'] });
    }
  }
  return docs;
}

const docs = loadDocs();
const crds = docs.filter((d) => d.object.kind === 'CustomResourceDefinition').map((d) => ({ file: d.file, crd: d.object as unknown as Crd }));

function crdOf(kind: KindInfo): Crd {
  const found = crds.filter(({ crd }) => crd.spec.group === kind.group && crd.spec.names.kind === kind.kind);
  expect(found).toHaveLength(1);
  return found[0]!.crd;
}

function columns(kind: KindInfo, version: string): PrinterColumn[] {
  return crdOf(kind).spec.versions.find((v) => v.name === version)?.additionalPrinterColumns ?? [];
}

describe('crds/', () => {
  test('every file parses, and holds CRDs or the admission policy that goes with one', () => {
    expect(docs.length).toBeGreaterThan(0);
    for (const { file, object } of docs) {
      if (object.kind === 'CustomResourceDefinition') expect(object.apiVersion).toBe('apiextensions.k8s.io/v1');
      else {
        expect(object.apiVersion).toBe('admissionregistration.k8s.io/v1');
        expect(['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']).toContain(object.kind);
        expect(file).toMatch(/-policy\.yaml$/);
      }
    }
  });

  test('one CRD per file, named <group>_<plural>.yaml, with a CRD name of <plural>.<group>', () => {
    const files = crds.map((c) => c.file);
    expect(new Set(files).size).toBe(files.length);
    for (const { file, crd } of crds) {
      expect(file).toBe(`${crd.spec.group}_${crd.spec.names.plural}.yaml`);
      expect(crd.metadata.name).toBe(`${crd.spec.names.plural}.${crd.spec.group}`);
    }
  });

  test('there is a CRD for every kind in api/ and a kind in api/ for every CRD', () => {
    const fromApi = AllKinds.map((k) => `${k.group}/${k.kind}`).sort();
    const fromCrds = crds.map(({ crd }) => `${crd.spec.group}/${crd.spec.names.kind}`).sort();
    expect(fromCrds).toEqual(fromApi);
    expect(AllKinds).toHaveLength(20);
  });

  test.each(AllKinds.map((k) => [k.kind, k] as const))('%s: names, scope and versions match api/', (_name, kind) => {
    const crd = crdOf(kind);
    expect(crd.spec.group).toBe(kind.group);
    expect(crd.spec.scope).toBe(kind.namespaced ? 'Namespaced' : 'Cluster');
    expect(crd.spec.names).toEqual({
      kind: kind.kind,
      listKind: kind.listKind,
      plural: kind.plural,
      singular: kind.singular,
      ...(kind.shortNames.length > 0 ? { shortNames: [...kind.shortNames] } : {}),
      categories: [...kind.categories],
    });
    expect(crd.spec.versions.map((v) => v.name).sort()).toEqual([...kind.versions].sort());
    for (const v of crd.spec.versions) expect(v.served).toBe(true);
  });

  test.each(AllKinds.map((k) => [k.kind, k] as const))('%s: exactly one storage version, the one api/ names', (_name, kind) => {
    const storage = crdOf(kind).spec.versions.filter((v) => v.storage);
    expect(storage.map((v) => v.name)).toEqual([kind.version]);
  });

  test.each(AllKinds.filter((k) => k.versions.length > 1).map((k) => [k.kind, k] as const))(
    '%s: every version serves the same schema, columns and subresources, without a conversion webhook',
    (_name, kind) => {
      const crd = crdOf(kind);
      expect(crd.spec.conversion).toEqual({ strategy: 'None' });
      const [first, ...rest] = crd.spec.versions;
      for (const v of rest) {
        expect(v.schema).toEqual(first!.schema);
        expect(v.additionalPrinterColumns).toEqual(first!.additionalPrinterColumns);
        expect(v.subresources).toEqual(first!.subresources);
      }
    },
  );

  test.each(AllKinds.map((k) => [k.kind, k] as const))('%s: has a status subresource exactly when it has a status', (_name, kind) => {
    for (const v of crdOf(kind).spec.versions) {
      const hasStatus = v.schema?.openAPIV3Schema?.properties?.status !== undefined;
      expect(v.subresources?.status !== undefined).toBe(hasStatus);
    }
  });

  test('every kind is in the fleetlb category', () => {
    for (const kind of AllKinds) expect(kind.categories).toContain(Categories.fleetlb);
  });

  test('the walkthrough columns read the condition types api/ defines', () => {
    const se = AllKinds.find((k) => k.kind === 'ServiceExport')!;
    expect(columns(se, se.version).map((c) => [c.name.toUpperCase(), c.jsonPath])).toEqual([
      ['IS-VALID', `.status.conditions[?(@.type=='${ServiceExportConditions.Valid}')].status`],
      ['IS-CONFLICTED', `.status.conditions[?(@.type=='${ServiceExportConditions.Conflict}')].status`],
      ['AGE', '.metadata.creationTimestamp'],
    ]);
    const mcs = AllKinds.find((k) => k.kind === 'MultiClusterService')!;
    expect(columns(mcs, mcs.version).map((c) => c.name.toUpperCase())).toEqual(['SERVICE-IMPORT', 'EXTERNAL-IP', 'IS-VALID', 'AGE']);
    expect(columns(mcs, mcs.version)[2]!.jsonPath).toContain(`'${MultiClusterServiceConditions.Valid}'`);
    const crp = AllKinds.find((k) => k.kind === 'ClusterResourcePlacement')!;
    const crpColumns = columns(crp, crp.version);
    expect(crpColumns.filter((c) => !c.priority).map((c) => c.name.toUpperCase())).toEqual(['GEN', 'SCHEDULED', 'SCHEDULEDGEN', 'APPLIED', 'APPLIEDGEN', 'AGE']);
    expect(crpColumns.find((c) => c.name === 'Scheduled')!.jsonPath).toContain(`'${ClusterResourcePlacementConditions.Scheduled}'`);
    expect(crpColumns.find((c) => c.name === 'AppliedGen')!.jsonPath).toContain(`'${ClusterResourcePlacementConditions.Applied}'`);
  });

  test('the weight policy checks the annotation api/ names', () => {
    const policy = docs.find((d) => d.object.kind === 'ValidatingAdmissionPolicy');
    expect(JSON.stringify(policy?.object)).toContain(Annotations.weight);
  });
});
