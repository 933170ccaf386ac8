import { describe, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRunning, parseProcStat, startProcess, stopProcess } from './processes.js';

describe('lab processes', () => {
  test('/proc/<pid>/stat is read past a command name with spaces and parentheses', () => {
    const stat = '4242 (kube (x) y) S 1 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 987654 1000 10';
    expect(parseProcStat(stat)).toEqual({ state: 'S', startTicks: '987654' });
    expect(parseProcStat('garbage')).toBeUndefined();
  });

  test('a started process is ours until stopped; a reused PID with another start time is not', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleetlb-proc-'));
    try {
      const rec = startProcess({ command: 'sleep', args: ['30'], log: join(dir, 'sleep.log') });
      expect(isRunning(rec)).toBe(true);
      expect(isRunning({ ...rec, startTicks: String(Number(rec.startTicks) + 1) })).toBe(false);
      await stopProcess(rec, 2000);
      expect(isRunning(rec)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
