import { describe, expect, test } from '@jest/globals';
import { parseRange } from '../runtime/ip.js';
import { checkBGP, checkKubeProxy, checkPools, checkServices, checkSpeakers, formatFindings, hasErrors, lineDiff, withStrictARP } from './doctor.js';

const ipvsFalse = `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
# set by the installer
mode: "ipvs"
ipvs:
  strictARP: false
  scheduler: rr
`;

const used = (text: string, why: string) => {
  const r = parseRange(text);
  if (!r.ok) throw new Error(r.error);
  return { range: r.range, why };
};

describe('doctor checks', () => {
  test('kube-proxy: IPVS without strictARP is an error with a fix; other modes and strictARP true are fine', () => {
    const [f] = checkKubeProxy({ config: ipvsFalse });
    expect(f).toMatchObject({ severity: 'error', check: 'kube-proxy', message: expect.stringMatching(/mode ipvs with strictARP: false/), fix: expect.stringMatching(/doctor --fix/) });
    expect(checkKubeProxy({ config: withStrictARP(ipvsFalse) })[0]!.severity).toBe('ok');
    expect(checkKubeProxy({ config: 'mode: iptables\n' })[0]).toMatchObject({ severity: 'ok', message: 'mode iptables: strictARP is not needed' });
    expect(checkKubeProxy({ config: 'mode: ""\n' })[0]!.message).toMatch(/mode iptables/);
    expect(checkKubeProxy({})[0]!.severity).toBe('ok');
    expect(checkKubeProxy({ config: 'mode: [' })[0]!.severity).toBe('warning');
  });

  test('the strictARP fix changes that one line, keeps comments, and the diff shows it', () => {
    const fixed = withStrictARP(ipvsFalse);
    expect(fixed).toContain('# set by the installer');
    expect(fixed).toContain('strictARP: true');
    expect(fixed).toContain('scheduler: rr');
    expect(lineDiff(ipvsFalse, fixed)).toBe('  mode: "ipvs"\n  ipvs:\n-   strictARP: false\n+   strictARP: true\n    scheduler: rr\n  \n');
    // A configuration without an ipvs section gets one.
    expect(withStrictARP('mode: ipvs\n')).toBe('mode: ipvs\nipvs:\n  strictARP: true\n');
  });

  test('pools overlapping node, pod or service ranges, or each other, are named with what they hit', () => {
    const cluster = [used('192.0.2.20', 'InternalIP of node n1'), used('198.18.16.0/24', 'pod CIDR of node n1'), used('198.19.0.0/20', 'service CIDR kubernetes')];
    const findings = checkPools([
      { namespace: 'fleetlb-system', name: 'lan', addresses: ['192.0.2.16/28'] },
      { namespace: 'fleetlb-system', name: 'a', addresses: ['198.51.100.0/28'] },
      { namespace: 'metallb-system', name: 'b', addresses: ['198.51.100.10-198.51.100.20'] },
      { namespace: 'fleetlb-system', name: 'svc', addresses: ['198.19.0.100/32', 'garbage'] },
    ], cluster);
    expect(findings.map((f) => f.message)).toEqual([
      'pool fleetlb-system/lan (192.0.2.16/28) overlaps InternalIP of node n1 (192.0.2.20)',
      'pool fleetlb-system/svc has entries that are not addresses: garbage',
      'pool fleetlb-system/svc (198.19.0.100/32) overlaps service CIDR kubernetes (198.19.0.0/20)',
      'pools fleetlb-system/a and metallb-system/b share addresses (198.51.100.0/28)',
    ]);
    expect(hasErrors(findings)).toBe(true);
    expect(checkPools([{ namespace: 'x', name: 'ok', addresses: ['198.51.100.0/28'] }], cluster)).toEqual([{ severity: 'ok', check: 'pools', message: '1 pool(s), none overlapping each other or the cluster\'s addresses' }]);
  });

  test('Services without an address say why: the allocator\'s condition, a foreign class, or no allocator', () => {
    const f = checkServices([
      { namespace: 'a', name: 'ok', hasAddress: true },
      { namespace: 'a', name: 'full', hasAddress: false, allocated: { status: 'False', reason: 'PoolExhausted', message: 'pool p has no free IPv4 address' } },
      { namespace: 'a', name: 'cls', hasAddress: false, loadBalancerClass: 'other.io/lb' },
      { namespace: 'a', name: 'none', hasAddress: false },
    ]);
    expect(f.map((x) => x.message)).toEqual([
      'Service a/full has no external IP: PoolExhausted: pool p has no free IPv4 address',
      expect.stringMatching(/^Service a\/cls has no external IP: it asks for loadBalancerClass other.io\/lb/),
      expect.stringMatching(/^Service a\/none has no external IP: the allocator has written no condition/),
    ]);
    expect(checkServices([{ namespace: 'a', name: 'ok', hasAddress: true }])[0]!.severity).toBe('ok');
  });

  test('the report ends with a count', () => {
    expect(formatFindings([{ severity: 'ok', check: 'x', message: 'fine' }])).toBe('[ok  ] x: fine\n\nNo problems found.\n');
    expect(formatFindings([{ severity: 'error', check: 'x', message: 'bad', fix: 'do y' }])).toBe('[FAIL] x: bad\n       fix: do y\n\n1 problem(s), 0 warning(s).\n');
  });

  test('speakers: an eligible node without a live speaker Lease is named; excluded nodes are not', () => {
    const now = 100_000;
    const nodes = [
      { name: 'n1', excluded: false, leaseRenewedAt: now - 1000, leaseDurationMs: 5000 },
      { name: 'n2', excluded: false, leaseRenewedAt: now - 9000, leaseDurationMs: 5000 },
      { name: 'n3', excluded: false },
      { name: 'n4', excluded: true },
    ];
    expect(checkSpeakers(nodes, 1, now).map((f) => f.message)).toEqual([
      'node n2 is eligible but its speaker is not renewing its Lease: it announces nothing and is left out of elections',
      'node n3 is eligible but its speaker is not running: it announces nothing and is left out of elections',
    ]);
    expect(checkSpeakers(nodes.slice(2, 3), 1, now)[0]!.message).toMatch(/^no speaker is running/);
    expect(checkSpeakers(nodes.slice(0, 1), 1, now)[0]!.severity).toBe('ok');
    expect(checkSpeakers(nodes.slice(2, 3), 0, now)[0]!.severity).toBe('ok');
  });

  test('bgp: sessions not Established and peers without sessions are errors; unsupported fields a warning', () => {
    const f = checkBGP([
      { name: 'ns/up', sessions: [{ node: 'n1', state: 'Established' }, { node: 'n2', state: 'Active', lastError: 'connection refused' }] },
      { name: 'ns/lonely', sessions: [] },
      { name: 'ns/vrf', sessions: [{ node: 'n1', state: 'Established' }], unsupported: 'vrf is not supported' },
    ]);
    expect(f.map((x) => `${x.severity} ${x.message}`)).toEqual([
      'error BGP session of n2 to ns/up is Active: connection refused',
      'error BGPPeer ns/lonely has no session on any node',
      'warning BGPPeer ns/vrf: vrf is not supported',
    ]);
    expect(checkBGP([{ name: 'p', sessions: [{ node: 'n', state: 'Established' }] }])[0]!.severity).toBe('ok');
  });
});
