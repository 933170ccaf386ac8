import { describe, expect, test } from '@jest/globals';
import { isFleetlbError } from '../runtime/errors.js';
import { memberAgentCommand, parseControllers } from './member-agent-command.js';

describe('fleetlb member-agent', () => {
  test('--controllers takes the known names, once each', () => {
    expect(parseControllers('allocator')).toEqual(['allocator']);
    expect(parseControllers(' allocator , allocator ')).toEqual(['allocator']);
    expect(parseControllers('allocator,membership,work')).toEqual(['allocator', 'membership', 'work']);
  });

  test.each(['bogus', 'allocator,speaker', ''])('--controllers=%s is a usage error naming what exists', (list) => {
    let err: unknown;
    try {
      parseControllers(list);
    } catch (e) {
      err = e;
    }
    expect(isFleetlbError(err, 'CLI_USAGE')).toBe(true);
    expect((err as Error).message).toContain('this build has: allocator, membership, work');
  });

  test('options and their defaults', () => {
    const c = memberAgentCommand();
    const defaults = Object.fromEntries(c.options.map((o) => [o.long, o.defaultValue]));
    expect(defaults).toEqual({
      '--controllers': 'allocator,membership,work,serviceexport,multiclusterservice',
      '--kubeconfig': undefined,
      '--namespace': 'fleetlb-system',
      '--load-balancer-class': undefined,
      '--metrics-port': 9120,
      '--leader-elect': undefined,
      '--hub-credential-secret': 'fleetlb-hub-credential',
      '--hub-kubeconfig': undefined,
      '--member-name': undefined,
      '--drift-check-seconds': 15,
    });
  });
});
