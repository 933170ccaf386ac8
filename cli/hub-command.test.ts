import { describe, expect, test } from '@jest/globals';
import { hubCommand } from './hub-command.js';

describe('fleetlb hub', () => {
  test('dead clusters: withdrawn at the deadline by default (grace 0, not fail-static)', () => {
    const defaults = Object.fromEntries(hubCommand().options.map((o) => [o.long, o.defaultValue]));
    expect(defaults).toMatchObject({ '--dead-cluster-grace-seconds': 0, '--fail-static': undefined, '--missed-heartbeats': 3 });
  });

  test('--dead-cluster-grace-seconds takes whole seconds up to an hour', () => {
    const parse = (v: string) => {
      const c = hubCommand().exitOverride().configureOutput({ writeErr: () => {} });
      c.action(() => {});
      c.parse(['--dead-cluster-grace-seconds', v], { from: 'user' });
      return c.opts<{ deadClusterGraceSeconds: number }>().deadClusterGraceSeconds;
    };
    expect(parse('30')).toBe(30);
    for (const bad of ['-1', '1.5', '3601', 'soon']) expect(() => parse(bad)).toThrow(/whole number from 0 to 3600/);
  });
});
