import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { BenchResult } from '../../bench/run.js';
import { run } from '../../lab/netns.js';
import { readState } from '../../lab/state.js';
import { repoRoot } from '../../runtime/repo-root.js';
import type { Advertisement } from './routes.js';

/**
 * `npm run bench -- bgp` against a running lab with BIRD (FLEETLB_LAB_DIR, default .lab-test):
 * our speaker (peer-main, in a member node's namespace) is Established with the router, then is
 * told to announce 10,000 VIPs (/128s of the lab's IPv6 pool; the IPv4 pool is a /24); we time
 * until BIRD's table holds all of them, and again until all are withdrawn.
 */

const PREFIXES = 10_000;

function v6(i: number): string {
  return `2001:db8:100::1:${(i >> 8).toString(16)}${(i & 0xff).toString(16).padStart(2, '0')}`;
}

export default async function bgpBench(): Promise<BenchResult> {
  const dir = process.env.FLEETLB_LAB_DIR ?? join(repoRoot(), '.lab-test');
  const state = await readState(dir);
  const net = state?.network;
  if (!net) throw new Error(`no lab with a network in ${dir}: start one with \`node bin/fleetlb.js lab up --dir ${dir}\` (as root), or set FLEETLB_LAB_DIR`);
  if (net.router !== 'bird') throw new Error(`the bgp benchmark reads BIRD's table; the lab in ${dir} runs ${net.router}`);
  const node = net.plan.nodes.find((n) => n.cluster !== 'hub');
  if (!node) throw new Error('the lab has no member node');
  const birdc = (...args: string[]) => run('ip', ['netns', 'exec', net.plan.router.netns, 'birdc', '-s', join(dir, 'router', 'bird.ctl'), ...args]);
  const count = async () => {
    const out = await birdc('show', 'route', 'count', 'where', 'net ~ [2001:db8:100::1:0/112+]');
    return Number(/Total: (\d+) of/.exec(out)?.[1] ?? NaN);
  };

  const cfg = { peer: { localAsn: 64512, peerAsn: net.plan.router.asn, routerId: node.lan.v4, peerAddress: net.plan.router.lan.v4, holdTimeSec: 9 }, advertisements: [] };
  const child = spawn('ip', ['netns', 'exec', node.netns, process.execPath, join(repoRoot(), 'dist', 'speaker', 'bgp', 'peer-main.js'), JSON.stringify(cfg)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const events: { event: string; to?: string; type?: string }[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => events.push(JSON.parse(l) as (typeof events)[number]));
  const waitFor = async (what: string, ok: () => boolean | Promise<boolean>, timeoutMs: number, pollMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await ok()) return;
      await new Promise((r) => setTimeout(r, pollMs));
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  try {
    await waitFor('the session to be Established', () => events.some((e) => e.event === 'state' && e.to === 'Established'), 30_000, 50);
    await waitFor('an empty table', async () => (await count()) === 0, 10_000, 100);
    const ads: Advertisement[] = Array.from({ length: PREFIXES }, (_, i) => ({ prefix: v6(i), communities: ['64512:100'] }));
    const t0 = Date.now();
    child.stdin.write(`${JSON.stringify({ cmd: 'set', advertisements: ads })}\n`);
    await waitFor(`${PREFIXES} routes in BIRD`, async () => (await count()) >= PREFIXES, 60_000, 20);
    const announceMs = Date.now() - t0;
    const updates = events.filter((e) => e.event === 'sent' && e.type === 'update').length;
    const t1 = Date.now();
    child.stdin.write(`${JSON.stringify({ cmd: 'set', advertisements: [] })}\n`);
    await waitFor('every route withdrawn', async () => (await count()) === 0, 60_000, 20);
    const withdrawMs = Date.now() - t1;
    return {
      figures: { prefixes: PREFIXES, 'announce → all in BIRD (ms)': announceMs, 'withdraw → none in BIRD (ms)': withdrawMs, 'UPDATE messages (announce)': updates },
      notes: ['IPv6 /128s over an IPv4 session (MP_REACH, global + link-local next hop); times include birdc polling every 20 ms'],
    };
  } finally {
    child.stdin.end(`${JSON.stringify({ cmd: 'stop' })}\n`);
    await new Promise((r) => child.once('close', r));
  }
}
