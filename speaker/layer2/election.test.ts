import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { electAnnouncer } from './election.js';

const nodes = ['member-1-node-1', 'member-1-node-2', 'member-1-node-3', 'member-1-node-4'];
const ips = Array.from({ length: 400 }, (_, i) => `198.51.100.${i % 250}${i >= 250 ? `-${i}` : ''}`);

describe('layer-2 announcer election', () => {
  test('every speaker picks the same node whatever order it sees the nodes in', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(nodes, { minLength: 1 }), fc.ipV4(), (subset, ip) => {
        const a = electAnnouncer(ip, subset);
        expect(electAnnouncer(ip, [...subset].reverse())).toBe(a);
        expect(subset).toContain(a);
      }),
    );
    expect(electAnnouncer('198.51.100.1', [])).toBeUndefined();
  });

  test('IPs spread over the nodes', () => {
    const counts = new Map<string, number>();
    for (const ip of ips) counts.set(electAnnouncer(ip, nodes)!, (counts.get(electAnnouncer(ip, nodes)!) ?? 0) + 1);
    for (const n of nodes) expect(counts.get(n) ?? 0).toBeGreaterThan(ips.length / nodes.length / 2);
  });

  test('a node leaving moves only the IPs it held; one joining takes only IPs it wins', () => {
    const before = new Map(ips.map((ip) => [ip, electAnnouncer(ip, nodes)!]));
    const gone = nodes[1]!;
    const after = new Map(ips.map((ip) => [ip, electAnnouncer(ip, nodes.filter((n) => n !== gone))!]));
    for (const ip of ips) if (before.get(ip) !== gone) expect(after.get(ip)).toBe(before.get(ip));
    const joined = new Map(ips.map((ip) => [ip, electAnnouncer(ip, [...nodes, 'member-1-node-5'])!]));
    for (const ip of ips) if (joined.get(ip) !== 'member-1-node-5') expect(joined.get(ip)).toBe(before.get(ip));
  });
});
