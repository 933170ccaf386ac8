import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRunning } from '../../lab/processes.js';
import { allProcesses, readState, type LabState } from '../../lab/state.js';
import { labNetns } from '../../lab/network.js';
import { allNetns } from '../../lab/network-plan.js';
import { routerSessions } from '../../lab/router.js';
import { describeAsRoot, eventually, fleetlb } from '../support/lab.js';

/**
 * A second, small lab next to the shared one, driven through the CLI: it must not collide with
 * the shared lab, survive `up` twice, recover from killed processes, and leave nothing on `down`.
 */

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fleetlb-lifecycle-'));
  // FRR's daemons run as user frr and must be able to enter the lab directory.
  await chmod(root, 0o755);
});
afterAll(async () => {
  // Whatever a failed assertion left running is stopped by PID through the lab itself.
  for (const d of ['edge', 'ports', 'net']) await fleetlb(['lab', 'down', '--dir', join(root, d)]);
  await rm(root, { recursive: true, force: true });
});

const state = async (dir: string): Promise<LabState> => {
  const s = await readState(dir);
  if (!s) throw new Error(`no lab state in ${dir}`);
  return s;
};
const pids = (s: LabState) => allProcesses(s).map((p) => p.pid).sort();

describe('fleetlb lab lifecycle', () => {
  test('up, up again, recover killed processes, env, status and down', async () => {
    const dir = join(root, 'edge');
    const up = await fleetlb(['lab', 'up', '--dir', dir, '--members', 'edge-1=westus', '--no-network']);
    expect(up.stderr).not.toMatch(/fleetlb: /);
    expect(up.code).toBe(0);
    expect(up.stdout).toContain(join(dir, 'edge-1.kubeconfig'));
    const first = await state(dir);
    expect(first.clusters.map((c) => c.name)).toEqual(['hub', 'edge-1']);
    expect(allProcesses(first).every(isRunning)).toBe(true);

    // `up` on a running lab changes nothing.
    const again = await fleetlb(['lab', 'up', '--dir', dir]);
    expect(again.code).toBe(0);
    expect(pids(await state(dir))).toEqual(pids(first));

    // Changing the fleet of a running lab is refused, not half-applied.
    const changed = await fleetlb(['lab', 'up', '--dir', dir, '--members', 'edge-1=eastus']);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(/run 'fleetlb lab down/);

    // Data written before a crash survives it.
    const env = await fleetlb(['lab', 'env', '--dir', dir]);
    expect(env.stdout).toContain(`export PATH='${first.binDir}':"$PATH"`);
    expect(env.stdout).toContain(`export FLEETLB_KUBECONFIG_EDGE_1='${join(dir, 'edge-1.kubeconfig')}'`);
    const kubectl = join(first.binDir, 'kubectl');
    const { execFileSync } = await import('node:child_process');
    const kc = ['--kubeconfig', join(dir, 'edge-1.kubeconfig')];
    const cacheEnv = { ...process.env, KUBECACHEDIR: join(dir, 'kube-cache') };
    execFileSync(kubectl, [...kc, 'create', 'configmap', 'survivor', '--from-literal=k=v'], { env: cacheEnv });
    const caBefore = await readFile(join(dir, 'clusters', 'edge-1', 'pki', 'ca.crt'), 'utf8');

    // A stale lab: every process killed (as after a reboot). Status says so; up brings it back.
    for (const p of allProcesses(first)) process.kill(p.pid, 'SIGKILL');
    for (let i = 0; i < 100 && allProcesses(first).some(isRunning); i++) await new Promise((r) => setTimeout(r, 50));
    const down = await fleetlb(['lab', 'status', '--dir', dir]);
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/edge-1\s+kube-apiserver\s+\d+\s+stopped/);
    const recovered = await fleetlb(['lab', 'up', '--dir', dir]);
    expect(recovered.code).toBe(0);
    const second = await state(dir);
    expect(allProcesses(second).every(isRunning)).toBe(true);
    expect(await readFile(join(dir, 'clusters', 'edge-1', 'pki', 'ca.crt'), 'utf8')).toBe(caBefore);
    expect(execFileSync(kubectl, [...kc, 'get', 'configmap', 'survivor', '-o', 'jsonpath={.data.k}'], { env: cacheEnv }).toString()).toBe('v');

    const status = await fleetlb(['lab', 'status', '--dir', dir, '-o', 'json']);
    expect(status.code).toBe(0);
    const components = (JSON.parse(status.stdout) as { components: { healthy: boolean }[] }).components;
    expect(components).toHaveLength(8);
    expect(components.every((c) => c.healthy)).toBe(true);

    const stopped = await fleetlb(['lab', 'down', '--dir', dir]);
    expect(stopped.code).toBe(0);
    expect(allProcesses(second).some(isRunning)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(existsSync('/var/run/kubernetes')).toBe(false);
  });

  test('a port already taken is one clear sentence and nothing is left running', async () => {
    const dir = join(root, 'ports');
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      // Hub ports are base..base+4; make the blocked port the hub's apiserver port.
      const r = await fleetlb(['lab', 'up', '--dir', dir, '--members', 'p-1=eastus', '--base-port', String(port - 2), '--no-network']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${port} (hub)`);
      expect(r.stderr).toMatch(/already in use by another program/);
      expect(await readState(dir)).toBeUndefined();
      const left = existsSync(dir) ? await readdir(dir) : [];
      expect(left.filter((e) => e !== 'logs')).toEqual([]);
    } finally {
      blocker.close();
    }
  });

  test('a directory that is not a lab is refused and left untouched', async () => {
    const dir = join(root, 'not-a-lab');
    await rm(dir, { recursive: true, force: true });
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dir);
    await writeFile(join(dir, 'notes.txt'), 'mine');
    for (const cmd of ['up', 'down']) {
      const r = await fleetlb(['lab', cmd, '--dir', dir]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/is not empty and holds no fleetlb lab/);
    }
    expect(await readFile(join(dir, 'notes.txt'), 'utf8')).toBe('mine');

    await writeFile(join(dir, 'lab.json'), '{"version": "something-else"}');
    const damaged = await fleetlb(['lab', 'status', '--dir', dir]);
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toMatch(/damaged or was written by another fleetlb version/);
  });

  test('an unknown member list is refused before anything starts', async () => {
    const dir = join(root, 'bad-members');
    const r = await fleetlb(['lab', 'up', '--dir', dir, '--members', 'hub=eastus']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot use the name 'hub'/);
    expect(await readState(dir)).toBeUndefined();
  });
});

describeAsRoot('fleetlb lab lifecycle with a network', () => {
  test('down removes every namespace and process the lab made, pods included', async () => {
    const dir = join(root, 'net');
    const up = await fleetlb(['lab', 'up', '--dir', dir, '--members', 'n-1=eastus', '--nodes', '1', '--router', 'frr']);
    expect(up.stderr).not.toMatch(/fleetlb: /);
    const s = await state(dir);
    expect(s.network?.router).toBe('frr');
    const names = await labNetns(s.id);
    expect(names.sort()).toEqual(allNetns(s.network!.plan).sort());
    // A pod adds a namespace and a process of its own; down must take those too.
    const kubectl = join(s.binDir, 'kubectl');
    const { execFileSync } = await import('node:child_process');
    const env = { ...process.env, KUBECACHEDIR: join(dir, 'kube-cache') };
    execFileSync(kubectl, ['--kubeconfig', join(dir, 'n-1.kubeconfig'), 'run', 'web', '--image=nginx', '--port=80'], { env });
    await eventually('the pod namespace', async () => ((await labNetns(s.id)).length > names.length ? true : undefined), 30_000);
    const sessions = await eventually('FRR answering', async () => routerSessions('frr', s.network!.plan, dir));
    expect(Array.isArray(sessions)).toBe(true);
    const all = allProcesses(await state(dir));

    const down = await fleetlb(['lab', 'down', '--dir', dir]);
    expect(down.code).toBe(0);
    expect(await labNetns(s.id)).toEqual([]);
    expect(all.filter(isRunning)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });
});
