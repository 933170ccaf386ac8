import { describe, expect, test } from '@jest/globals';
import { announceFailure, DEFAULT_EXCLUDED_INTERFACES, pickInterfaces, usableInterfaces, type LinkFacts } from './interfaces.js';

const UP_BROADCAST = 0x1 | 0x2;
const link = (name: string, over: Partial<LinkFacts> = {}): LinkFacts => ({ name, flags: UP_BROADCAST, carrier: true, enslaved: false, ...over });
const excluded = DEFAULT_EXCLUDED_INTERFACES.map((p) => new RegExp(p));

describe('layer-2 interfaces', () => {
  test('only up, broadcast, ARP-capable links with a carrier, not enslaved nor excluded, are usable', () => {
    const links = [
      link('eth1'),
      link('eth0'),
      link('down', { flags: 0x2 }),
      link('noarp', { flags: UP_BROADCAST | 0x80 }),
      link('lo', { flags: 0x1 | 0x8 }),
      link('nocarrier', { carrier: false }),
      link('bondslave', { enslaved: true }),
      link('veth123'),
      link('cali0'),
    ];
    expect(usableInterfaces(links, excluded).map((l) => l.name)).toEqual(['eth0', 'eth1']);
  });

  test('named interfaces narrow the usable ones; none named means all usable', () => {
    const usable = [link('eth0'), link('eth1')];
    expect(pickInterfaces(usable, ['eth1', 'eth9']).map((l) => l.name)).toEqual(['eth1']);
    expect(pickInterfaces(usable, []).map((l) => l.name)).toEqual(['eth0', 'eth1']);
  });

  test('announceFailed: named interfaces absent here, or no usable interface at all', () => {
    const usable = [link('eth0')];
    expect(announceFailure('n1', usable, ['eth0'])).toBeUndefined();
    expect(announceFailure('n1', usable, [])).toBeUndefined();
    const absent = announceFailure('n1', usable, ['bond0', 'eth5']);
    expect(absent).toContain('bond0, eth5');
    expect(absent).toContain('"n1"');
    expect(absent).toContain('usable: eth0');
    expect(announceFailure('n1', [], [])).toContain('no usable interface');
  });
});
