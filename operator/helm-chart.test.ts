import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../runtime/repo-root.js';
import { CHART_DIR, chartSources } from './chart-sources.js';
import { chartFiles, DEPLOY_IMAGE, renderLikeHelm } from './helm-chart.js';

const root = repoRoot();
const chartDir = join(root, CHART_DIR);

function checkedIn(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(chartDir, p), readFileSync(p, 'utf8'));
    }
  };
  walk(chartDir);
  return out;
}

const docs = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as unknown).filter((d) => d !== null);

describe('the Helm chart (deploy/helm/fleetlb)', () => {
  test('is up to date with crds/ and deploy/ (run `npm run chart` after editing them)', () => {
    const want = new Map(chartFiles(chartSources()).map((f) => [f.path, f.text]));
    expect([...checkedIn().keys()].sort()).toEqual([...want.keys()].sort());
    for (const [path, text] of checkedIn()) expect({ path, text }).toEqual({ path, text: want.get(path) });
  });

  test.each(['hub', 'member'])('a %s release renders exactly the manifests the lab deploys for that role, with the chosen image', (role) => {
    const sources = chartSources();
    const image = 'registry.example/fleetlb:9.9.9';
    const rendered = chartFiles(sources)
      .filter((f) => f.path.startsWith('templates/'))
      .flatMap((f) => docs(renderLikeHelm(f.text, { role, createNamespace: false, prometheus: false, image })));
    const expected = sources
      .filter((s) => s.path.startsWith('deploy/') && !s.path.startsWith('deploy/optional/') && s.path !== 'deploy/namespace.yaml')
      .filter((s) => s.path.split('/').length === 2 || (s.path.startsWith('deploy/hub/') ? role === 'hub' : role === 'member'))
      .concat(sources.filter((s) => s.path.startsWith('crds/') && !docs(s.text).every((d) => (d as { kind?: string }).kind === 'CustomResourceDefinition')))
      .flatMap((s) => docs(s.text.split(DEPLOY_IMAGE).join(image)));
    const key = (d: unknown) => { const o = d as { kind: string; metadata: { name: string } }; return `${o.kind}/${o.metadata.name}`; };
    expect(rendered.map(key).sort()).toEqual(expected.map(key).sort());
    expect(rendered.sort((a, b) => key(a).localeCompare(key(b)))).toEqual(expected.sort((a, b) => key(a).localeCompare(key(b))));
    expect(JSON.stringify(rendered)).not.toContain(DEPLOY_IMAGE);
  });

  test('Prometheus alert templates survive as text, and optional parts stay off by default', () => {
    const alerts = chartFiles(chartSources()).find((f) => f.path === 'templates/optional-prometheus-alert-rules.yaml')!;
    expect(renderLikeHelm(alerts.text, { role: 'member', createNamespace: false, prometheus: false, image: DEPLOY_IMAGE })).toBe('');
    const on = renderLikeHelm(alerts.text, { role: 'member', createNamespace: false, prometheus: true, image: DEPLOY_IMAGE });
    expect(on).toContain('{{ $labels.pool }}');
    expect(readFileSync(join(chartDir, 'values.yaml'), 'utf8')).toMatch(/prometheus:\n {2}enabled: false/);
  });
});
