import { describe, expect, test } from '@jest/globals';
import { isKuardImage, kuardPage, plainPage } from './page.js';

const id = { pod: 'kuard-1', namespace: 'kuard-demo', node: 'member-1-node-1', cluster: 'member-1', addrs: ['198.18.16.2', '2001:db8:1000:10::2'], image: 'ghcr.io/kuar-demo/kuard-amd64:1' };

describe('lab pod pages', () => {
  test('a kuard page has one line that `grep addrs` finds, carrying the pod IPs', () => {
    const lines = kuardPage(id, { path: '/', remote: '192.0.2.2:5555' }).split('\n').filter((l) => l.includes('addrs'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('"addrs":["198.18.16.2","2001:db8:1000:10::2"]');
    expect(lines[0]).toContain('"hostname":"kuard-1"');
  });

  test('other images name pod, node and cluster', () => {
    expect(plainPage({ ...id, image: 'nginx' })).toContain('pod kuard-demo/kuard-1 on node member-1-node-1 in cluster member-1');
    expect(isKuardImage('gcr.io/kuar-demo/kuard-amd64:blue')).toBe(true);
    expect(isKuardImage('nginx')).toBe(false);
  });
});
