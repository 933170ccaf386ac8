import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { Annotations, DeprecatedMetalLBAnnotations, FleetLBNamespace, ReservedNamespaces, isReservedNamespace, memberNamespace } from './index.js';

describe('api/labels', () => {
  test('a member cluster lives in fleet-member-<name> on the hub', () => {
    expect(memberNamespace('member-1')).toBe('fleet-member-member-1');
  });

  test('reserved namespaces: default, fleetlb-system, kube-* and fleet-*, and nothing else', () => {
    for (const n of ['default', FleetLBNamespace, 'kube-system', 'kube-public', 'fleet-member-a', 'fleet-system']) expect(isReservedNamespace(n)).toBe(true);
    for (const n of ['kuard-demo', 'kubex', 'fleetlb', 'defaults']) expect(isReservedNamespace(n)).toBe(false);
  });

  test('the placement CRD reserves the same namespaces', () => {
    const crd = readFileSync(new URL('../crds/placement.kubernetes-fleet.io_clusterresourceplacements.yaml', import.meta.url), 'utf8');
    for (const n of ReservedNamespaces.exact) expect(crd).toContain(`self.name == '${n}'`);
    for (const p of ReservedNamespaces.prefixes) expect(crd).toContain(`self.name.startsWith('${p}')`);
  });

  test("every MetalLB Service annotation has its old metallb.universe.tf name", () => {
    for (const [key, name] of Object.entries(DeprecatedMetalLBAnnotations)) {
      expect(name.replace('metallb.universe.tf/', 'metallb.io/')).toBe(Annotations[key as keyof typeof DeprecatedMetalLBAnnotations]);
    }
  });
});
