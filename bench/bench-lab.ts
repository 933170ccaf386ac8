import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown } from '../lab/lab.js';
import { readState, type LabState } from '../lab/state.js';

/**
 * The lab a benchmark runs in: the running lab FLEETLB_BENCH_LAB_DIR names (left running), or one
 * of its own that `start` brings up in a fresh directory and `release` takes down and removes.
 */
export interface BenchLab {
  state: LabState;
  /** True when the lab was given (and so must be left as found). */
  reused: boolean;
  release(): Promise<void>;
}

export async function benchLab(prefix: string, start: (dir: string) => Promise<LabState>): Promise<BenchLab> {
  const given = process.env.FLEETLB_BENCH_LAB_DIR;
  if (given) {
    const state = await readState(given);
    if (!state) throw new Error(`no lab in ${given}`);
    return { state, reused: true, release: async () => {} };
  }
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await chmod(dir, 0o755);
  process.stderr.write(`starting a lab in ${dir}\n`);
  const state = await start(dir);
  return {
    state,
    reused: false,
    release: async () => {
      await labDown({ dir });
      await rm(dir, { recursive: true, force: true });
    },
  };
}
