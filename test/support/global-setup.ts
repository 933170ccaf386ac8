import { resolve } from 'node:path';
import { labUp } from '../../lab/lab.js';
import { readState } from '../../lab/state.js';
import { DEFAULT_TEST_LAB_DIR, TEST_LAB_DIR_ENV, TEST_LAB_OWNED_ENV } from './lab-env.js';

/**
 * One lab for the whole integration run. With FLEETLB_TEST_LAB_DIR pointing at a running lab the
 * tests reuse it and leave it running (quick edit-test loops); otherwise a lab is started here and
 * global teardown stops it.
 */
export default async function globalSetup(): Promise<void> {
  const given = process.env[TEST_LAB_DIR_ENV];
  const dir = resolve(given ?? DEFAULT_TEST_LAB_DIR);
  const existing = await readState(dir);
  const t0 = Date.now();
  await labUp({ dir, progress: (l) => process.stderr.write(`[lab] ${l}\n`) });
  process.env[TEST_LAB_DIR_ENV] = dir;
  process.env[TEST_LAB_OWNED_ENV] = given && existing ? '' : '1';
  process.stderr.write(`[lab] ready in ${((Date.now() - t0) / 1000).toFixed(1)}s: ${dir}\n`);
}
