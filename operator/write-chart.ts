import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from '../runtime/repo-root.js';
import { CHART_DIR, chartSources } from './chart-sources.js';
import { chartFiles } from './helm-chart.js';

/** `npm run chart`: rewrites deploy/helm/fleetlb from crds/ and deploy/. */
const dir = join(repoRoot(), CHART_DIR);
rmSync(dir, { recursive: true, force: true });
const files = chartFiles(chartSources());
for (const f of files) {
  mkdirSync(dirname(join(dir, f.path)), { recursive: true });
  writeFileSync(join(dir, f.path), f.text);
}
process.stdout.write(`wrote ${files.length} files to ${CHART_DIR}\n`);
