import { expect, test } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { routerSessions } from '../../lab/router.js';
import { describeAsRoot, eventually, testLab, uniqueName } from '../support/lab.js';
import { deployment, service } from '../support/manifests.js';

/** The lab network end to end: real pods on lab nodes, real kube-proxy, a real BGP router. */

const kuard = (ns: string) =>
  deployment({ namespace: ns, name: 'kuard', image: 'ghcr.io/kuar-demo/kuard-amd64:1', replicas: 2, port: 8080 }) +
  service({ namespace: ns, name: 'kuard', type: 'NodePort', port: 8080 });

const inCIDR24 = (ip: string, cidr: string) => ip.startsWith(cidr.replace(/0\/24$/, ''));

describeAsRoot('lab network', () => {
  test('kuard pods run on lab nodes, and the client reaches both through a real NodePort', async () => {
    const lab = await testLab();
    const net = lab.network!;
    const ns = uniqueName('kuard');
    const core = lab.api('member-1', k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: ns } } });
    const applied = await lab.apply('member-1', kuard(ns));
    expect(applied.code).toBe(0);

    const ready = (p: k8s.V1Pod) => p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    const pods = await eventually('two Running and Ready kuard pods', async () => {
      const list = (await core.listNamespacedPod({ namespace: ns })).items;
      return list.length === 2 && list.every((p) => p.status?.phase === 'Running' && p.status.podIP && ready(p)) ? list : undefined;
    }, 60_000);
    const member1Nodes = net.plan.nodes.filter((n) => n.cluster === 'member-1');
    for (const p of pods) {
      const node = member1Nodes.find((n) => n.name === p.spec?.nodeName);
      expect(node).toBeDefined();
      expect(inCIDR24(p.status?.podIP ?? '', node!.podCIDRs[0])).toBe(true);
    }
    const podIPs = pods.map((p) => p.status?.podIP ?? '').sort();

    const discovery = lab.api('member-1', k8s.DiscoveryV1Api);
    await eventually('an EndpointSlice listing both pods', async () => {
      const slices = (await discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: 'kubernetes.io/service-name=kuard' })).items;
      const ready = slices.flatMap((s) => s.endpoints.filter((e) => e.conditions?.ready).flatMap((e) => e.addresses)).sort();
      return JSON.stringify(ready) === JSON.stringify(podIPs) ? true : undefined;
    });

    const svc = await core.readNamespacedService({ namespace: ns, name: 'kuard' });
    const nodePort = svc.spec?.ports?.[0]?.nodePort;
    const target = `${member1Nodes[0]!.lan.v4}:${nodePort}`;
    const seen = new Set<string>();
    // Bounded: at most 40 requests, 2 s each.
    for (let i = 0; i < 40 && seen.size < 2; i++) {
      const r = await lab.exec('client', ['curl', '-s', '-m', '2', target]);
      const line = r.stdout.split('\n').find((l) => l.includes('addrs'));
      const addr = /"addrs":\["([^"]+)"/.exec(line ?? '')?.[1];
      if (addr) seen.add(addr);
    }
    expect([...seen].sort()).toEqual(podIPs);
  });

  test('a pod of member-2 is reachable from a member-1 node by its pod IP (flat pod network)', async () => {
    const lab = await testLab();
    const ns = uniqueName('flat');
    const core = lab.api('member-2', k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: 'echo' }, spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }, { containerPort: 5353, protocol: 'UDP' }] }] } },
    });
    const ip = await eventually('the pod to run', async () => {
      const p = await core.readNamespacedPod({ namespace: ns, name: 'echo' });
      return p.status?.phase === 'Running' ? p.status.podIP : undefined;
    }, 60_000);
    const r = await eventually('an answer from the pod', async () => {
      const out = await lab.exec('member-1-node-1', ['curl', '-s', '-m', '2', `http://${ip}:80/`]);
      return out.code === 0 ? out.stdout : undefined;
    });
    expect(r).toContain(`pod ${ns}/echo`);
    expect(r).toContain('in cluster member-2');
    // Every UDP containerPort echoes what it receives.
    const udp = `import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(b"fleetlb-udp", ("${ip}", 5353))
print(s.recvfrom(64)[0].decode())`;
    const echoed = await lab.exec('member-1-node-1', ['python3', '-c', udp]);
    expect(echoed.stdout.trim()).toBe('fleetlb-udp');
  });

  test('the router accepts a node as BGP neighbour and installs its route', async () => {
    const lab = await testLab();
    const net = lab.network!;
    const node = net.plan.nodes.find((n) => n.cluster === 'member-2')!;
    const dir = await mkdtemp(join(tmpdir(), 'fleetlb-gobgp-'));
    await writeFile(join(dir, 'peer.toml'), [
      '[global.config]', '  as = 64512', `  router-id = "${node.lan.v4}"`, '  port = -1',
      '[[neighbors]]', '  [neighbors.config]', `    neighbor-address = "${net.plan.router.lan.v4}"`, `    peer-as = ${net.plan.router.asn}`,
      '  [neighbors.timers.config]', '    connect-retry = 1', '    hold-time = 9', '    keepalive-interval = 3', '',
    ].join('\n'));
    const peer = spawn('ip', ['netns', 'exec', node.netns, 'gobgpd', '-f', join(dir, 'peer.toml'), '-p', '--api-hosts', '127.0.0.1:50051', '--pprof-disable'], { stdio: 'ignore' });
    try {
      const session = await eventually('an Established session', async () =>
        (await routerSessions(net.router, net.plan, lab.dir)).find((s) => s.peer === node.lan.v4 && /established/i.test(s.state)), 30_000, 500);
      expect(session.peer).toBe(node.lan.v4);
      const add = await lab.exec(node.name, ['gobgp', 'global', 'rib', 'add', '198.51.100.99/32', '-a', 'ipv4']);
      expect(add.code).toBe(0);
      const route = await eventually('the route in the router kernel', async () => {
        const r = await lab.exec('router', ['ip', 'route', 'show', '198.51.100.99']);
        return r.stdout.includes(`via ${node.lan.v4}`) ? r.stdout : undefined;
      });
      expect(route).toMatch(/proto (bird|bgp)/);
    } finally {
      peer.kill('SIGTERM');
      await new Promise((r) => peer.once('close', r));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
