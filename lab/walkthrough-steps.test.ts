import { describe, expect, test } from '@jest/globals';
import { planNetwork } from './network-plan.js';
import { shownCommand, shownPath } from './walkthrough-runner.js';
import {
  crpMissing,
  exportMissing,
  externalIP,
  hostPort,
  inPool,
  kubectlTable,
  mcsMissing,
  memberPool,
  parseKuardAnswer,
  podOrigin,
  poolSteps,
  walkthroughSteps,
  type CommandStep,
  type StepContext,
} from './walkthrough-steps.js';

const ctx: StepContext = { kubeconfig: (c) => `/lab/${c}.kubeconfig`, repoFile: (p) => `/repo/${p}`, values: {} };
const eastus = [{ name: 'member-1', index: 1 }, { name: 'member-2', index: 2 }] as [{ name: string; index: number }, { name: string; index: number }];

describe('the walkthrough as steps', () => {
  test('runs the commands of MISSION.md in order, on the clusters it names', () => {
    const steps = walkthroughSteps({ eastus });
    const shown = steps.map((s) => (s.kind === 'curl' ? `client: curl` : `${s.cluster}: ${s.kind} ${s.args(ctx).join(' ')}`));
    expect(shown).toEqual([
      'hub: kubectl create namespace kuard-demo',
      'hub: kubectl apply -f /repo/examples/kuard/kuard-export-service.yaml',
      'hub: kubectl apply -f /repo/examples/kuard/crp-2.yaml',
      'hub: kubectl get clusterresourceplacements',
      'member-1: kubectl get serviceexport kuard --namespace kuard-demo',
      'member-2: kubectl get serviceexport kuard --namespace kuard-demo',
      'member-1: kubectl apply -f /repo/examples/kuard/kuard-mcs.yaml',
      'member-1: kubectl get multiclusterservice kuard --namespace kuard-demo',
      'client: curl',
      'member-1: kubectl get pods -n kuard-demo -o wide',
      'member-2: kubectl get pods -n kuard-demo -o wide',
    ]);
    const curl = steps.find((s) => s.kind === 'curl');
    expect(curl?.kind === 'curl' && curl.expect).toEqual(['member-1', 'member-2']);
    expect(curl?.kind === 'curl' && curl.target({ ip: '198.51.100.16' })).toBe('198.51.100.16:8080');
  });

  test('pools: disjoint slices of the lab VIP ranges per member; BGP adds the router as peer', () => {
    expect(memberPool(1)).toEqual({ v4: '198.51.100.16/28', v6: '2001:db8:100::1:0/112' });
    expect(memberPool(3)).toEqual({ v4: '198.51.100.48/28', v6: '2001:db8:100::3:0/112' });
    expect(() => memberPool(0)).toThrow(RangeError);
    expect(inPool('198.51.100.17', 1)).toBe(true);
    expect(inPool('198.51.100.33', 1)).toBe(false);
    expect(inPool('2001:db8:100::1:5', 1)).toBe(true);
    expect(inPool('2001:db8:100::2:5', 1)).toBe(false);
    const arp = poolSteps(eastus, 'ARP') as CommandStep[];
    expect(arp.map((s) => s.args(ctx).join(' '))).toEqual([
      'lb create kuard-vips --addresses 198.51.100.16/28,2001:db8:100::1:0/112 --advertise-mode ARP --kubeconfig /lab/member-1.kubeconfig',
      'lb create kuard-vips --addresses 198.51.100.32/28,2001:db8:100::2:0/112 --advertise-mode ARP --kubeconfig /lab/member-2.kubeconfig',
    ]);
    const bgp = poolSteps([eastus[0]], 'BGP', { asn: 64513, address: '192.0.2.1', myAsn: 64512 }) as CommandStep[];
    expect(bgp.map((s) => s.args(ctx).slice(0, 2).join(' '))).toEqual(['lb create', 'bgp-peer create']);
    expect(bgp[1]!.args(ctx)).toEqual(['bgp-peer', 'create', 'lab-router', '--my-asn', '64512', '--peer-asn', '64513', '--peer-address', '192.0.2.1', '--kubeconfig', '/lab/member-1.kubeconfig']);
  });
});

describe('reading kubectl output', () => {
  test('a table by its header', () => {
    expect(kubectlTable('NAME    IS-VALID   IS-CONFLICTED   AGE\nkuard   True       False           25s\n')).toEqual([{ NAME: 'kuard', 'IS-VALID': 'True', 'IS-CONFLICTED': 'False', AGE: '25s' }]);
    expect(kubectlTable('')).toEqual([]);
  });

  test('CRP: ready only with SCHEDULED and APPLIED True', () => {
    const header = 'NAME         GEN   SCHEDULED   SCHEDULEDGEN   APPLIED   APPLIEDGEN   AGE\n';
    expect(crpMissing(header + 'kuard-demo   1     True        1              True      1            20s')).toBeUndefined();
    expect(crpMissing(header + 'kuard-demo   1     True        1              Unknown   1            2s')).toBe('APPLIED is Unknown');
    expect(crpMissing(header + 'kuard-demo   1                                                       1s')).toMatch(/SCHEDULED is/);
    expect(crpMissing('No resources found')).toBe('no row kuard-demo');
  });

  test('ServiceExport: kuard True False', () => {
    const header = 'NAME    IS-VALID   IS-CONFLICTED   AGE\n';
    expect(exportMissing(header + 'kuard   True       False           25s')).toBeUndefined();
    expect(exportMissing(header + 'kuard   True       Unknown         2s')).toBe('IS-CONFLICTED is Unknown');
    expect(exportMissing(header + 'kuard   False      False           2s')).toBe('IS-VALID is False');
  });

  test('MultiClusterService: an EXTERNAL-IP of the member\'s pool and IS-VALID True', () => {
    const header = 'NAME    SERVICE-IMPORT   EXTERNAL-IP     IS-VALID   AGE\n';
    const ok = header + 'kuard   kuard            198.51.100.16   True       40s';
    expect(mcsMissing(ok, 1)).toBeUndefined();
    expect(externalIP(ok)).toBe('198.51.100.16');
    expect(mcsMissing(ok, 2)).toMatch(/not from the member's pool 198.51.100.32\/28/);
    expect(mcsMissing(header + 'kuard   kuard                            False      4s', 1)).toBe('no EXTERNAL-IP yet');
    expect(mcsMissing(header + 'kuard   kuard            198.51.100.16   False      4s', 1)).toBe('IS-VALID is False');
  });

  test('kuard\'s page line: hostname and addresses, and the cluster whose pod CIDR holds them', () => {
    const line = '<script>var pageContext = {"urlBase":"","hostname":"kuard-7d4b9-x2","addrs":["198.18.33.4","2001:db8:1000:21::4"],"version":"v0.10.0"};</script>';
    expect(parseKuardAnswer(line)).toEqual({ hostname: 'kuard-7d4b9-x2', addrs: ['198.18.33.4', '2001:db8:1000:21::4'] });
    expect(parseKuardAnswer('<html>')).toBeUndefined();
    const plan = planNetwork('t1', [{ name: 'hub', role: 'hub', index: 0 }, { name: 'member-1', role: 'member', index: 1, location: 'eastus' }, { name: 'member-2', role: 'member', index: 2, location: 'eastus' }], 2);
    expect(podOrigin(plan, '198.18.33.4')).toEqual({ node: 'member-2-node-2', cluster: 'member-2' });
    expect(podOrigin(plan, '2001:db8:1000:10::9')).toEqual({ node: 'member-1-node-1', cluster: 'member-1' });
    expect(podOrigin(plan, '10.0.0.1')).toBeUndefined();
  });

  test('commands are shown as a person types them', () => {
    expect(hostPort('2001:db8:100::1:0', 8080)).toBe('[2001:db8:100::1:0]:8080');
    expect(shownPath('/repo/examples/kuard/crp-2.yaml', '/repo')).toBe('examples/kuard/crp-2.yaml');
    expect(shownPath('/tmp/lab/hub.kubeconfig', '/repo')).toBe('/tmp/lab/hub.kubeconfig');
    const step = walkthroughSteps({ eastus })[2] as CommandStep;
    expect(shownCommand(step, step.args(ctx), '/repo/.lab/hub.kubeconfig', '/repo')).toBe('KUBECONFIG=.lab/hub.kubeconfig kubectl apply -f examples/kuard/crp-2.yaml');
  });
});
