import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { createHttpHeaders, type HttpClient, type PipelineResponse } from '@azure/core-rest-pipeline';
import { parseAllDocuments } from 'yaml';
import { MemberClusterKind, type MemberCluster } from '../../api/cluster.js';
import { Annotations } from '../../api/labels.js';
import { importAzureFleet } from '../../cli/fleet-command.js';
import { runMemberAgent } from '../../member-agent/agent.js';
import type { ServiceObject } from '../../member-agent/allocator/service.js';
import { overlaps, parseRange } from '../../runtime/ip.js';
import { KubeClient } from '../../runtime/kube-client.js';
import { CoreResources, type KubeObject } from '../../runtime/resource.js';
import { eventually, fleetlb, testLab, type CommandResult, type TestLab } from '../support/lab.js';
import { serviceAccountKubeConfig } from '../support/service-account.js';

/**
 * The operator commands against a real member and hub: what `lb create` and `bgp-peer create`
 * leave in the cluster, the converted legacy ConfigMap accepted by the API server and allocating
 * the same range, `pool suggest` stepping around what the cluster uses, and the Azure import
 * writing MemberClusters (Azure itself is a recorded Resource Manager: there is no network).
 */

const MEMBER = 'member-1';
const suffix = randomBytes(3).toString('hex');
const ns = `ops-${suffix}`;

let lab: TestLab;
let admin: KubeClient;
let hub: KubeClient;
let kubeconfig: string;

function ok(r: CommandResult, what: string): CommandResult {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.stderr}${r.stdout}`);
  return r;
}

const run = (...args: string[]) => fleetlb([...args, '--kubeconfig', kubeconfig], { timeoutMs: 60_000 });

/** name → kinds of the metallb.io objects in the test namespace. */
async function metallbObjects(): Promise<string[]> {
  const r = ok(await lab.kubectl(MEMBER, ['get', 'ipaddresspools,l2advertisements,bgpadvertisements,bgppeers', '-n', ns, '-o', 'name']), 'listing metallb objects');
  return r.stdout.trim().split('\n').filter(Boolean).sort();
}

beforeAll(async () => {
  lab = await testLab();
  kubeconfig = lab.kubeconfigPath(MEMBER);
  admin = new KubeClient(lab.kubeConfig(MEMBER), { fieldManager: 'operator-test' });
  hub = new KubeClient(lab.kubeConfig('hub'), { fieldManager: 'operator-test' });
  for (const c of [MEMBER, 'hub']) await lab.installCrds(c);
  await admin.create(CoreResources.namespaces, { metadata: { name: ns } });
}, 120_000);

afterAll(async () => {
  if (admin) {
    await admin.delete(CoreResources.namespaces, ns).catch(() => false);
    admin.close();
  }
  hub?.close();
});

describe('fleetlb lb and bgp-peer (the Arc commands)', () => {
  test('each advertise mode makes the pool and the advertisements Arc documents', async () => {
    const out = ok(await run('lb', 'create', 'lb-arp', '--addresses', '198.51.100.200/30', '--advertise-mode', 'ARP', '-n', ns), 'lb create ARP');
    expect(out.stdout).toBe('ipaddresspool.metallb.io/lb-arp created\nl2advertisement.metallb.io/lb-arp created\n');
    const bgp = ok(await run('lb', 'create', 'lb-bgp', '--addresses', '198.51.100.204-198.51.100.206', '--advertise-mode', 'BGP', '-n', ns), 'lb create BGP');
    // No BGPPeer yet: said, and the objects are still written.
    expect(bgp.stderr).toMatch(/warning: no BGPPeer in ops-/);
    ok(await run('lb', 'create', 'lb-both', '--addresses', '2001:db8:100::c8/126', '--advertise-mode', 'Both', '-n', ns), 'lb create Both');
    expect(await metallbObjects()).toEqual([
      'bgpadvertisement.metallb.io/lb-bgp', 'bgpadvertisement.metallb.io/lb-both',
      'ipaddresspool.metallb.io/lb-arp', 'ipaddresspool.metallb.io/lb-bgp', 'ipaddresspool.metallb.io/lb-both',
      'l2advertisement.metallb.io/lb-arp', 'l2advertisement.metallb.io/lb-both',
    ]);
    const l2 = JSON.parse(ok(await lab.kubectl(MEMBER, ['get', 'l2advertisement', 'lb-both', '-n', ns, '-o', 'json']), 'get').stdout) as { spec: unknown };
    expect(l2.spec).toEqual({ ipAddressPools: ['lb-both'] });

    const list = ok(await run('lb', 'list', '-n', ns), 'lb list').stdout.split('\n');
    expect(list[0]).toMatch(/^NAME\s+ADDRESSES\s+ADVERTISE-MODE\s+ASSIGNED$/);
    expect(list.slice(1).filter(Boolean).map((l) => l.split(/\s+/).slice(0, 3).join(' '))).toEqual([
      'lb-arp 198.51.100.200/30 ARP', 'lb-bgp 198.51.100.204-198.51.100.206 BGP', 'lb-both 2001:db8:100::c8/126 Both',
    ]);
  });

  test('changing the mode removes the advertisement the new mode does not want; overlaps and foreign objects are refused', async () => {
    const r = ok(await run('lb', 'create', 'lb-both', '--addresses', '2001:db8:100::c8/126', '--advertise-mode', 'ARP', '-n', ns), 'lb create ARP over Both');
    expect(r.stdout).toContain('bgpadvertisement.metallb.io/lb-both deleted');
    expect(await metallbObjects()).not.toContain('bgpadvertisement.metallb.io/lb-both');

    const clash = await run('lb', 'create', 'lb-x', '--addresses', '198.51.100.201/32', '--advertise-mode', 'ARP', '-n', ns);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toMatch(new RegExp(`overlap pool ${ns}/lb-arp`));

    ok(await lab.apply(MEMBER, JSON.stringify({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'handmade', namespace: ns }, spec: { addresses: ['198.51.100.240/30'] } })), 'a hand-made pool');
    const foreign = await run('lb', 'create', 'handmade', '--addresses', '198.51.100.240/30', '--advertise-mode', 'ARP', '-n', ns);
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toMatch(/was not made by 'fleetlb lb create'/);

    const unknown = await run('lb', 'create', 'lb-y', '--addresses', '198.51.100.250/32', '--advertise-mode', 'L3', '-n', ns);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/"L3" is not one of ARP, BGP, Both/);
  });

  test('bgp-peer create/list/delete, and the API server\'s own refusal is shown', async () => {
    const r = ok(await run('bgp-peer', 'create', 'router', '--my-asn', '64512', '--peer-asn', '64513', '--peer-address', '192.0.2.1', '--hold-time', '9s', '-n', ns), 'bgp-peer create');
    expect(r.stdout).toBe('bgppeer.metallb.io/router created\n');
    const peer = JSON.parse(ok(await lab.kubectl(MEMBER, ['get', 'bgppeers.v1beta2.metallb.io', 'router', '-n', ns, '-o', 'json']), 'get').stdout) as { spec: unknown };
    expect(peer.spec).toMatchObject({ myASN: 64512, peerASN: 64513, peerAddress: '192.0.2.1', holdTime: '9s', peerPort: 179 });
    // keepaliveTime above holdTime passes our flag checks; the CRD's rule refuses it, naming the field.
    const bad = await run('bgp-peer', 'create', 'router2', '--my-asn', '64512', '--peer-asn', '64513', '--peer-address', '192.0.2.1', '--hold-time', '9s', '--keepalive-time', '30s', '-n', ns);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/keepaliveTime/);
    // With a peer present, BGP mode no longer warns.
    const quiet = ok(await run('lb', 'create', 'lb-bgp', '--addresses', '198.51.100.204-198.51.100.206', '--advertise-mode', 'BGP', '-n', ns), 'lb create BGP again');
    expect(quiet.stderr).not.toMatch(/warning/);
    expect(ok(await run('bgp-peer', 'list', '-n', ns), 'bgp-peer list').stdout).toMatch(/router\s+64512\s+64513\s+192\.0\.2\.1\s+9s/);
    ok(await run('bgp-peer', 'delete', 'router', '-n', ns), 'bgp-peer delete');
    expect(await metallbObjects()).not.toContain('bgppeer.metallb.io/router');
  });

  test('lb show names the Services using the pool, and lb delete removes every object of it', async () => {
    const show = ok(await run('lb', 'show', 'lb-arp', '-n', ns), 'lb show');
    expect(show.stdout).toMatch(/Advertise mode:\s+ARP/);
    expect(show.stdout).toMatch(/Services:\s+<none>/);
    ok(await run('lb', 'delete', 'lb-arp', '-n', ns), 'lb delete');
    expect((await metallbObjects()).filter((o) => o.endsWith('/lb-arp'))).toEqual([]);
    const missing = await run('lb', 'delete', 'lb-arp', '-n', ns);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/There is no load balancer lb-arp/);
  });
});

describe('fleetlb convert metallb-config', () => {
  test('the seed\'s legacy ConfigMap converts to CRs the API server accepts, and they allocate the same range', async () => {
    const ctrlNs = `ops-conv-${suffix}`;
    const lbClass = `fleetlb.io/ops-${suffix}`;
    await admin.create(CoreResources.namespaces, { metadata: { name: ctrlNs } });
    const stop = new AbortController();
    let agent: Promise<void> | undefined;
    try {
      const conv = ok(await fleetlb(['convert', 'metallb-config', 'examples/metallb/legacy-configmap.yaml', '-n', ctrlNs]), 'convert');
      expect(conv.stderr).toBe('');
      const docs = parseAllDocuments(conv.stdout).map((d) => d.toJS() as KubeObject);
      expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual(['IPAddressPool/default', 'L2Advertisement/l2-default']);
      const applied = ok(await lab.apply(MEMBER, conv.stdout, ['--validate=strict']), 'applying the converted CRs');
      expect(applied.stderr).toBe('');

      const access = await serviceAccountKubeConfig(lab, MEMBER, { dir: 'deploy/member-agent', serviceAccount: { name: 'fleetlb-member-agent', namespace: 'fleetlb-system' }, roleNamespace: ctrlNs });
      agent = runMemberAgent({ kubeConfig: access.kubeConfig, controllers: ['allocator'], namespace: ctrlNs, loadBalancerClass: lbClass }, stop.signal);
      const ips: string[] = [];
      for (const name of ['a', 'b']) {
        await admin.create(CoreResources.services, { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { type: 'LoadBalancer', loadBalancerClass: lbClass, ports: [{ port: 80 }], selector: { app: name } } });
        const s = await eventually(`Service ${name} gets an address`, async () => {
          const x = await admin.get<ServiceObject>(CoreResources.services, name, ns);
          return x.status?.loadBalancer?.ingress?.length ? x : undefined;
        });
        expect(s.metadata.annotations?.[Annotations.ipAllocatedFromPool]).toBe('default');
        ips.push(s.status!.loadBalancer!.ingress![0]!.ip!);
      }
      // MetalLB allocated 172.19.255.1 first from this ConfigMap; so does fleetlb from its CRs.
      expect(ips).toEqual(['172.19.255.1', '172.19.255.2']);
    } finally {
      stop.abort();
      await agent;
      await admin.delete(CoreResources.namespaces, ctrlNs).catch(() => false);
    }
  });
});

describe('fleetlb pool suggest --kubeconfig', () => {
  test('steps below a pool the cluster already has, and never overlaps a node, pod CIDR or pool', async () => {
    ok(await lab.apply(MEMBER, JSON.stringify({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'top', namespace: ns }, spec: { addresses: ['192.0.2.200-192.0.2.254'] } })), 'a pool at the top of the LAN');
    const r = ok(await run('pool', 'suggest', '--cidr', '192.0.2.1/24', '--count', '20', '-o', 'json'), 'pool suggest');
    const s = JSON.parse(r.stdout) as { range: string; avoided: { range: string; why: string }[] };
    expect(s.range).toBe('192.0.2.180-192.0.2.199');
    expect(s.avoided.map((a) => a.why)).toEqual(expect.arrayContaining([`IPAddressPool ${ns}/top`, expect.stringMatching(/^InternalIP of node member-1-node-/)]));
    // A block big enough to reach the nodes must go around them.
    const big = JSON.parse(ok(await run('pool', 'suggest', '--cidr', '192.0.2.1/24', '--count', '170', '-o', 'json'), 'pool suggest big').stdout) as { range?: string; avoided: { range: string }[] };
    if (big.range) {
      const mine = parseRange(big.range);
      expect(mine.ok).toBe(true);
      for (const a of big.avoided) {
        const used = parseRange(a.range);
        if (mine.ok && used.ok) expect({ used: a.range, overlaps: overlaps(mine.range, used.range) }).toEqual({ used: a.range, overlaps: false });
      }
    } else {
      expect(big.avoided.length).toBeGreaterThan(0);
    }
  });
});

describe('fleetlb fleet import-azure', () => {
  test('creates the MemberClusters of a recorded fleet on the hub, labelled with region, resource group and subscription', async () => {
    const SUB = '00000000-1111-2222-3333-444444444444';
    const names = [`az-east-${suffix}`, `az-west-${suffix}`];
    const cluster = (rg: string, n: string) => `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${n}`;
    const regions: Record<string, string> = { [cluster('rg-e', 'aks-e')]: 'eastus', [cluster('rg-w', 'aks-w')]: 'westus' };
    const httpClient: HttpClient = {
      sendRequest: async (req): Promise<PipelineResponse> => {
        const path = new URL(req.url).pathname;
        const reply = (status: number, body: unknown): PipelineResponse => ({ request: req, status, headers: createHttpHeaders({ 'content-type': 'application/json' }), bodyAsText: JSON.stringify(body) });
        if (path.endsWith('/fleets/demo/members')) {
          return reply(200, { value: [
            { name: names[0], type: 'Microsoft.ContainerService/fleets/members', properties: { clusterResourceId: cluster('rg-e', 'aks-e'), provisioningState: 'Succeeded' } },
            { name: names[1], type: 'Microsoft.ContainerService/fleets/members', properties: { clusterResourceId: cluster('rg-w', 'aks-w'), provisioningState: 'Succeeded' } },
          ] });
        }
        return regions[path] ? reply(200, { id: path, location: regions[path] }) : reply(404, { error: { code: 'ResourceNotFound', message: 'not found' } });
      },
    };
    const credential: TokenCredential = { getToken: async (): Promise<AccessToken> => ({ token: 't', expiresOnTimestamp: Date.now() + 3_600_000 }) };
    const ref = { subscriptionId: SUB, resourceGroup: 'fleet-rg', fleet: 'demo' };
    try {
      const first = await importAzureFleet(ref, { credential, httpClient }, hub);
      expect(first.lines).toEqual([`membercluster.cluster.kubernetes-fleet.io/${names[0]} created (eastus)`, `membercluster.cluster.kubernetes-fleet.io/${names[1]} created (westus)`]);
      const east = await hub.get<MemberCluster>(MemberClusterKind, names[0]!);
      expect(east.metadata.labels).toMatchObject({ 'fleet.azure.com/location': 'eastus', 'fleet.azure.com/resource-group': 'rg-e', 'fleet.azure.com/subscription-id': SUB });
      // The walkthrough's affinity selects by that label.
      const sel = ok(await lab.kubectl('hub', ['get', 'memberclusters', '-l', `fleet.azure.com/location=westus,fleet.azure.com/subscription-id=${SUB}`, '-o', 'name']), 'select by region');
      expect(sel.stdout.trim()).toBe(`membercluster.cluster.kubernetes-fleet.io/${names[1]}`);
      const again = await importAzureFleet(ref, { credential, httpClient }, hub);
      expect(again.lines.every((l) => l.includes(' unchanged '))).toBe(true);
    } finally {
      for (const n of names) await hub.delete(MemberClusterKind, n).catch(() => false);
    }
  });
});

describe('fleetlb doctor', () => {
  test('finds a planted pool overlap and an IPVS kube-proxy without strictARP, and --fix sets it after showing the change', async () => {
    const config = 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: "ipvs"\nipvs:\n  strictARP: false\n';
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-proxy', namespace: 'kube-system' }, data: { 'config.conf': config } };
    const nodeIP = lab.network!.plan.nodes.find((n) => n.cluster === MEMBER)!.lan.v4;
    const pool = { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'on-the-nodes', namespace: ns }, spec: { addresses: [`${nodeIP}/32`] } };
    try {
      ok(await lab.apply(MEMBER, [JSON.stringify(cm), JSON.stringify(pool)].join('\n---\n')), 'planting the problems');
      const r = await run('doctor');
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('[FAIL] kube-proxy: mode ipvs with strictARP: false');
      expect(r.stdout).toContain(`[FAIL] pools: pool ${ns}/on-the-nodes (${nodeIP}/32) overlaps InternalIP of node `);

      const fix = await run('doctor', '--fix', '--yes');
      expect(fix.stdout).toContain('-   strictARP: false\n+   strictARP: true');
      expect(fix.stdout).toContain('configmap/kube-proxy configured');
      expect(fix.stdout).toContain('[ok  ] kube-proxy: mode ipvs with strictARP: true');
      const after = JSON.parse(ok(await lab.kubectl(MEMBER, ['get', 'configmap', 'kube-proxy', '-n', 'kube-system', '-o', 'json']), 'get').stdout) as { data: Record<string, string> };
      expect(after.data['config.conf']).toMatch(/strictARP: true/);
    } finally {
      await lab.kubectl(MEMBER, ['delete', 'configmap', 'kube-proxy', '-n', 'kube-system', '--ignore-not-found']);
      await lab.kubectl(MEMBER, ['delete', 'ipaddresspool', 'on-the-nodes', '-n', ns, '--ignore-not-found']);
    }
  });
});
