import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../runtime/repo-root.js';
import type { SourceFile } from './helm-chart.js';

/** crds/ and deploy/ of this checkout (without the chart itself), as the chart generator takes them. */
export function chartSources(root = repoRoot()): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir).sort()) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) {
        if (relative(root, p) !== join('deploy', 'helm')) walk(p);
      } else if (/\.ya?ml$/.test(e)) {
        out.push({ path: relative(root, p), text: readFileSync(p, 'utf8') });
      }
    }
  };
  walk(join(root, 'crds'));
  walk(join(root, 'deploy'));
  return out;
}

export const CHART_DIR = join('deploy', 'helm', 'fleetlb');
