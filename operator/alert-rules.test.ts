import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { Histogram } from 'prom-client';
import { parse } from 'yaml';
import { registry } from '../runtime/metrics.js';
import { repoRoot } from '../runtime/repo-root.js';
// Every module that registers metrics, so the registry holds all that fleetlb exports.
import '../member-agent/allocator/metrics.js';
import '../speaker/metrics.js';
import '../speaker/bgp/metrics.js';
import '../hub/metrics.js';

interface Rule {
  alert: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const doc = parse(readFileSync(join(repoRoot(), 'deploy/optional/prometheus/alert-rules.yaml'), 'utf8')) as { spec: { groups: { name: string; rules: Rule[] }[] } };
const rules = doc.spec.groups.flatMap((g) => g.rules);

/** Metric names in a PromQL expression: identifiers that are not functions, keywords or labels. */
function metricNames(expr: string): string[] {
  const withoutLabels = expr.replace(/\{[^}]*\}/g, '').replace(/\b(by|on|without|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  // Whole words only: a function's name must not match minus its last letter.
  const words = withoutLabels.match(/[a-zA-Z_:][a-zA-Z0-9_:]*(?![a-zA-Z0-9_:]|\s*\()/g) ?? [];
  return [...new Set(words.filter((w) => /_/.test(w) && !['and', 'or', 'unless'].includes(w)))];
}

describe('alert rules (deploy/optional/prometheus/alert-rules.yaml)', () => {
  // A histogram is exported as its _bucket, _count and _sum series.
  const exported = new Set(registry.getMetricsAsArray().flatMap((m) => (m instanceof Histogram ? [m.name, `${m.name}_bucket`, `${m.name}_count`, `${m.name}_sum`] : [m.name])));

  test('cover what the issues ask: pool exhausted or nearly, BGP session down, stale configuration, member heartbeat late, dead-cluster bound broken', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual(['FleetLBAddressPoolExhausted', 'FleetLBAddressPoolUsage85Percent', 'FleetLBBGPSessionDown', 'FleetLBDeadClusterWithdrawalSlow', 'FleetLBMemberHeartbeatLate', 'FleetLBStaleConfig']);
  });

  test.each(rules.map((r) => [r.alert, r] as const))('%s names only metrics fleetlb exports, with a severity and a description', (_name, r) => {
    const names = metricNames(r.expr);
    expect(names.length).toBeGreaterThan(0);
    for (const n of names) expect({ metric: n, exported: exported.has(n) }).toEqual({ metric: n, exported: true });
    expect(['warning', 'critical']).toContain(r.labels?.severity);
    expect(r.annotations?.description).toBeTruthy();
  });

  test('the metric-name reader finds the names in an expression', () => {
    expect(metricNames('metallb_allocator_addresses_in_use_total >= on(pool) metallb_allocator_addresses_total and on(pool) x_total > 0')).toEqual(['metallb_allocator_addresses_in_use_total', 'metallb_allocator_addresses_total', 'x_total']);
    expect(metricNames('min by (pool) (fleetlb_allocator_pool_usable) == 0')).toEqual(['fleetlb_allocator_pool_usable']);
    expect(metricNames('histogram_quantile(0.99, sum by (le) (rate(x_bucket[30m]))) > scalar(max(y_seconds))')).toEqual(['x_bucket', 'y_seconds']);
  });
});
