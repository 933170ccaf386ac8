import { describe, expect, test } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { memberAgentCommand } from '../cli/member-agent-command.js';
import { HubCredential } from '../api/cluster.js';
import { FleetLBNamespace } from '../api/labels.js';
import { ALLOCATOR_LEASE } from './agent.js';

/** deploy/member-agent/ must run the command this build has, as the identity its RBAC names. */

const dir = new URL('../deploy/member-agent/', import.meta.url);
type Doc = { kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };
const docs: Doc[] = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => parseAllDocuments(readFileSync(new URL(f, dir), 'utf8')).map((d) => d.toJS() as Doc));
const one = (kind: string) => docs.filter((d) => d.kind === kind);

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

describe('deploy/member-agent', () => {
  test('the Deployment runs `fleetlb member-agent` with options the command has, as the ServiceAccount', () => {
    const [deployment] = one('Deployment') as unknown as { metadata: { namespace: string }; spec: { template: { spec: { serviceAccountName: string; containers: { args: string[] }[] } } } }[];
    expect(deployment?.metadata.namespace).toBe(FleetLBNamespace);
    const pod = deployment!.spec.template.spec;
    expect(one('ServiceAccount').map((s) => `${s.metadata.namespace}/${s.metadata.name}`)).toEqual([`${FleetLBNamespace}/${pod.serviceAccountName}`]);
    const [sub, ...args] = pod.containers[0]!.args;
    expect(sub).toBe('member-agent');
    const known = memberAgentCommand().options.map((o) => o.long);
    for (const a of args) expect(known).toContain(a.split('=')[0]);
    expect(args).toEqual(expect.arrayContaining(['--controllers=allocator,membership,work,serviceexport,multiclusterservice', '--leader-elect']));
  });

  test('RBAC: bindings name the ServiceAccount; the Lease rule names the allocator lease; no wildcard', () => {
    for (const b of [...one('ClusterRoleBinding'), ...one('RoleBinding')] as unknown as { subjects: { kind: string; name: string; namespace: string }[] }[]) {
      expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: 'fleetlb-member-agent', namespace: FleetLBNamespace }]);
    }
    const rulesOf = (name: string) => [...one('ClusterRole'), ...one('Role')].filter((r) => r.metadata.name === name).flatMap((r) => (r as unknown as { rules: Rule[] }).rules);
    const all = [...one('ClusterRole'), ...one('Role')].flatMap((r) => (r as unknown as { rules: Rule[] }).rules);
    for (const r of all) expect([...r.apiGroups, ...r.resources, ...r.verbs].filter((x) => x === '*')).toEqual([]);
    const allocator = rulesOf('fleetlb-member-agent-allocator');
    const leaseUpdate = allocator.find((r) => r.resources.includes('leases') && r.verbs.includes('update'));
    expect(leaseUpdate?.resourceNames).toEqual([ALLOCATOR_LEASE]);
    // The allocator deletes nothing, and never updates Service specs (only patches one annotation).
    expect(allocator.filter((r) => r.verbs.includes('delete') || (r.resources.includes('services') && r.verbs.includes('update')))).toEqual([]);
    // The placement side's Role in fleetlb-system names the hub credential; it may not grant RBAC.
    const placement = rulesOf('fleetlb-member-agent-placement');
    expect(placement.find((r) => r.resourceNames)?.resourceNames).toEqual([HubCredential.secretName]);
    expect(placement.filter((r) => r.apiGroups.includes('rbac.authorization.k8s.io'))).toEqual([]);
    // Multi-cluster services write Services and EndpointSlices only in fleetlb-system (a Role).
    const mcs = [...one('ClusterRole')].filter((r) => r.metadata.name === 'fleetlb-member-agent-multiclusterservice').flatMap((r) => (r as unknown as { rules: Rule[] }).rules);
    expect(mcs.filter((r) => r.resources.some((x) => x === 'services' || x === 'endpointslices'))).toEqual([]);
    const mcsRole = one('Role').find((r) => r.metadata.name === 'fleetlb-member-agent-multiclusterservice');
    expect(mcsRole?.metadata.namespace).toBe(FleetLBNamespace);
    expect((mcsRole as unknown as { rules: Rule[] }).rules.filter((r) => r.verbs.includes('delete')).flatMap((r) => r.resources).sort()).toEqual(['endpointslices', 'services']);
  });
});
