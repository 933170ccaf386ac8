import { describe, expect, test } from '@jest/globals';
import { canShare, sharingConflict, type Shareable } from './sharing.js';

const s = (key: string, sharingKey: string | undefined, ports: string[], backendKey = ''): Shareable => ({ key, sharingKey, ports, backendKey });

describe('IP sharing rules', () => {
  test('same key, disjoint ports, same backends: may share', () => {
    expect(canShare(s('a', 'k', ['TCP/53']), s('b', 'k', ['UDP/53']))).toBe(true);
    expect(canShare(s('a', 'k', ['TCP/80'], 'app=x'), s('b', 'k', ['TCP/443'], 'app=x'))).toBe(true);
  });

  test.each([
    [s('a', 'k', ['TCP/80']), s('b', undefined, ['TCP/81']), 'b holds it and does not allow sharing'],
    [s('a', undefined, ['TCP/80']), s('b', 'k', ['TCP/81']), 'give both Services the same metallb.io/allow-shared-ip'],
    [s('a', 'k', ['TCP/80']), s('b', 'j', ['TCP/81']), 'different metallb.io/allow-shared-ip key ("j")'],
    [s('a', 'k', ['TCP/80', 'UDP/53']), s('b', 'k', ['UDP/53']), 'also uses UDP/53'],
    [s('a', 'k', ['TCP/80'], 'app=x'), s('b', 'k', ['TCP/81'], 'app=y'), 'selects other pods'],
    [s('a', 'k', ['TCP/80'], ''), s('b', 'k', ['TCP/81'], 'app=y'), 'selects other pods'],
  ])('%j with %j: %s', (a, b, words) => {
    expect(sharingConflict(a, b)).toContain(words);
  });
});
