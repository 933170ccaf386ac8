import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { decodeArp, formatMac } from '../../speaker/layer2/arp.js';
import { repoRoot } from '../../runtime/repo-root.js';
import { describeAsRoot, eventually, runCommand } from '../support/lab.js';

/**
 * Our AF_PACKET addon and ARP responder with real frames: two namespaces joined by a veth, the
 * responder in one, arping and tcpdump in the other. (No lab needed; the namespaces are ours.)
 */

const id = randomBytes(3).toString('hex');
const asker = `fl-arptest-${id}-a`;
const owner = `fl-arptest-${id}-b`;
const VIP = '198.51.100.16';
let dir: string;

const sh = (args: string[]) => runCommand('ip', args, { timeoutMs: 10_000 });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetlb-arp-'));
  if (process.getuid?.() !== 0) return;
  for (const ns of [asker, owner]) await sh(['netns', 'add', ns]);
  await sh(['link', 'add', 'eth0', 'netns', asker, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', owner]);
  await sh(['-n', asker, 'addr', 'add', '192.0.2.2/24', 'dev', 'eth0']);
  await sh(['-n', asker, 'route', 'add', '198.51.100.0/24', 'dev', 'eth0']);
  for (const ns of [asker, owner]) await sh(['-n', ns, 'link', 'set', 'eth0', 'up']);
});

afterAll(async () => {
  for (const ns of [asker, owner]) await sh(['netns', 'del', ns]).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

function startResponder(): Promise<{ child: ChildProcess; mac: string; lines: string[] }> {
  const script = join(repoRoot(), 'dist', 'speaker', 'layer2', 'arp-responder-main.js');
  const child = spawn('ip', ['netns', 'exec', owner, process.execPath, script, 'eth0', VIP], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      lines.push(l);
      const m = /^ready (\S+)/.exec(l);
      if (m?.[1]) resolve({ child, mac: m[1], lines });
    });
    child.once('exit', (code) => reject(new Error(`responder exited with ${code}`)));
  });
}

describeAsRoot('ARP responder on the AF_PACKET addon', () => {
  test('answers who-has for its IP with its MAC, announces with gratuitous ARPs, and survives junk', async () => {
    const pcap = join(dir, 'garp.pcap');
    const capture = spawn('ip', ['netns', 'exec', asker, 'tcpdump', '-i', 'eth0', '-c', '3', '-U', '-w', pcap, 'arp', 'and', 'arp[6:2] = 1', 'and', `arp[24:4] = 0xc6336410`], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 1000));
    const { child, mac, lines } = await startResponder();
    try {
      // Three gratuitous ARPs (request form, sender = target = VIP) reach the other side.
      await eventually('three gratuitous ARPs captured', async () => (capture.exitCode === 0 ? true : undefined), 10_000);
      const data = await readFile(pcap);
      const frames: Buffer[] = [];
      for (let at = 24; at + 16 <= data.length; ) {
        const len = data.readUInt32LE(at + 8);
        frames.push(data.subarray(at + 16, at + 16 + len));
        at += 16 + len;
      }
      expect(frames).toHaveLength(3);
      for (const f of frames) expect(decodeArp(f)).toMatchObject({ senderIp: VIP, targetIp: VIP });
      expect(formatMac(decodeArp(frames[0]!)!.senderMac)).toBe(mac);

      // Junk ARP-typed frames (truncated, wrong sizes, random) must not stop it.
      const junk = `import socket, os
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
for n in range(200):
    s.send(b"\\xff" * 6 + b"\\x02" * 6 + b"\\x08\\x06" + os.urandom(n % 64))`;
      const sent = await runCommand('ip', ['netns', 'exec', asker, 'python3', '-c', junk], { timeoutMs: 10_000 });
      expect(sent.code).toBe(0);

      const r = await runCommand('ip', ['netns', 'exec', asker, 'arping', '-c', '2', '-w', '3', '-I', 'eth0', VIP], { timeoutMs: 10_000 });
      // Habets arping (Debian): "60 bytes from <mac> (<ip>): index=0 …"
      expect(r.stdout).toMatch(new RegExp(`2 packets received`));
      expect(r.stdout.match(new RegExp(`bytes from ${mac} \\(${VIP.replace(/\./g, "\\.")}\\)`, "gi"))).toHaveLength(2);
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGTERM');
      await new Promise((res) => child.once('close', res));
      if (capture.exitCode === null) capture.kill('SIGTERM');
    }
    const counters = JSON.parse(lines[lines.length - 1] ?? '{}') as { responses?: number; malformed?: number; gratuitous?: number };
    expect(counters.responses).toBeGreaterThanOrEqual(2);
    expect(counters.gratuitous).toBe(3);
    expect(counters.malformed).toBeGreaterThan(0);
  });
});
