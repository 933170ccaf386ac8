import { labDown } from '../../lab/lab.js';
import { TEST_LAB_DIR_ENV, TEST_LAB_OWNED_ENV } from './lab-env.js';

export default async function globalTeardown(): Promise<void> {
  const dir = process.env[TEST_LAB_DIR_ENV];
  if (!dir || process.env[TEST_LAB_OWNED_ENV] !== '1') return;
  // Logs stay in the (git-ignored) lab directory for reading after a failed run.
  await labDown({ dir, keepLogs: true, progress: (l) => process.stderr.write(`[lab] ${l}\n`) });
}
