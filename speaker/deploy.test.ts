import { describe, expect, test } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { FleetLBNamespace } from '../api/labels.js';
import { parseInterfacePatterns, speakerCommand } from '../cli/speaker-command.js';
import { isFleetlbError } from '../runtime/errors.js';

/** deploy/speaker/ must run the command this build has, on the host network, as the identity its RBAC names. */

const dir = new URL('../deploy/speaker/', import.meta.url);
type Doc = { kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };
const docs: Doc[] = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => parseAllDocuments(readFileSync(new URL(f, dir), 'utf8')).map((d) => d.toJS() as Doc));
const all = (kind: string) => docs.filter((d) => d.kind === kind);

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

describe('deploy/speaker', () => {
  test('the DaemonSet runs `fleetlb speaker` with options the command has, with host networking, as the ServiceAccount', () => {
    type Ds = { metadata: { namespace: string }; spec: { template: { spec: { hostNetwork: boolean; serviceAccountName: string; containers: { args: string[]; env: { name: string }[] }[] } } } };
    const [ds] = all('DaemonSet') as unknown as Ds[];
    expect(ds?.metadata.namespace).toBe(FleetLBNamespace);
    const pod = ds!.spec.template.spec;
    expect(pod.hostNetwork).toBe(true);
    expect(all('ServiceAccount').map((s) => `${s.metadata.namespace}/${s.metadata.name}`)).toEqual([`${FleetLBNamespace}/${pod.serviceAccountName}`]);
    const [sub, ...args] = pod.containers[0]!.args;
    expect(sub).toBe('speaker');
    const known = speakerCommand().options.map((o) => o.long);
    for (const a of args) expect(known).toContain(a.split('=')[0]);
    const exclude = args.find((a) => a.startsWith('--exclude-interfaces='))!.split('=')[1]!;
    expect(parseInterfacePatterns(exclude).some((re) => re.test('vp3'))).toBe(true);
    expect(parseInterfacePatterns(exclude).some((re) => re.test('eth0'))).toBe(false);
    expect(pod.containers[0]!.env.map((e) => e.name)).toEqual(expect.arrayContaining(['NODE_NAME', 'POD_NAME', 'POD_UID']));
  });

  test('RBAC: bindings name the ServiceAccount; reads cluster-wide, writes only Leases, statuses and Events; no wildcard', () => {
    for (const b of [...all('ClusterRoleBinding'), ...all('RoleBinding')] as unknown as { subjects: unknown[] }[]) {
      expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: 'fleetlb-speaker', namespace: FleetLBNamespace }]);
    }
    const cluster = all('ClusterRole').flatMap((r) => (r as unknown as { rules: Rule[] }).rules);
    const rules = [...cluster, ...all('Role').flatMap((r) => (r as unknown as { rules: Rule[] }).rules)];
    for (const r of rules) expect([...r.apiGroups, ...r.resources, ...r.verbs].filter((x) => x === '*')).toEqual([]);
    const writes = ['create', 'update', 'patch', 'delete'];
    const clusterWrites = cluster.filter((r) => r.verbs.some((v) => writes.includes(v))).flatMap((r) => r.resources);
    expect(clusterWrites).toEqual(['events']);
  });

  test('a bad interface pattern is a usage error naming it', () => {
    expect(parseInterfacePatterns('^eth.*, ^vp[0-9]+$').map(String)).toEqual(['/^eth.*/', '/^vp[0-9]+$/']);
    let err: unknown;
    try {
      parseInterfacePatterns('^ok$,(unclosed');
    } catch (e) {
      err = e;
    }
    expect(isFleetlbError(err, 'CLI_USAGE') && (err as Error).message).toContain('(unclosed');
  });
});
