import { describe, expect, test } from '@jest/globals';
import type { PeerPlan } from './plan.js';
import { announcedChanges, peerAction, sessionEntry, statusDelayMs, statusWrites, unusableEntry } from './session-sync.js';

const plan = (over: Partial<PeerPlan> = {}): PeerPlan => ({
  key: 'fleetlb-system/router',
  name: 'router',
  namespace: 'fleetlb-system',
  config: { localAsn: 64512, peerAsn: 64513, routerId: '192.0.2.20', peerAddress: '192.0.2.1' },
  routes: [],
  unsupported: [],
  errors: [],
  ...over,
});

describe('peerAction: what happens to the session to a planned peer', () => {
  test('a new peer starts a session; the same configuration again keeps it', () => {
    const first = peerAction(plan(), {}, undefined);
    expect(first).toMatchObject({ kind: 'start', replace: false, config: { peerAddress: '192.0.2.1' } });
    if (first.kind !== 'start') throw new Error('expected start');
    expect(peerAction(plan(), {}, first.configKey)).toEqual({ kind: 'keep' });
  });

  test('a changed field replaces the running session', () => {
    const running = peerAction(plan(), {}, undefined);
    if (running.kind !== 'start') throw new Error('expected start');
    const changed = peerAction(plan({ config: { localAsn: 64512, peerAsn: 64513, routerId: '192.0.2.20', peerAddress: '192.0.2.1', holdTimeSec: 9 } }), {}, running.configKey);
    expect(changed).toMatchObject({ kind: 'start', replace: true, config: { holdTimeSec: 9 } });
  });

  test('the Secret\'s password is part of the session: a new password reconnects with it', () => {
    const a = peerAction(plan(), { password: 'one' }, undefined);
    if (a.kind !== 'start') throw new Error('expected start');
    expect(a.config.password).toBe('one');
    expect(peerAction(plan(), { password: 'one' }, a.configKey)).toEqual({ kind: 'keep' });
    expect(peerAction(plan(), { password: 'two' }, a.configKey)).toMatchObject({ kind: 'start', replace: true, config: { password: 'two' } });
  });

  test('an invalid peer or an unreadable Secret gets no session, with every reason (unsupported fields too)', () => {
    const invalid = plan({ config: undefined, errors: ['peerAddress "x" is not an IP address'], unsupported: ['vrf "red": no session is opened'] });
    expect(peerAction(invalid, {}, undefined)).toEqual({ kind: 'unusable', error: 'peerAddress "x" is not an IP address; vrf "red": no session is opened' });
    expect(peerAction(plan(), { error: 'Secret fleetlb-system/md5 has no key "password"' }, '{}')).toEqual({ kind: 'unusable', error: 'Secret fleetlb-system/md5 has no key "password"' });
    expect(peerAction(plan({ config: undefined }), {}, undefined)).toEqual({ kind: 'unusable', error: 'not configured' });
  });
});

describe('status entries', () => {
  test('a session entry: uptime in whole seconds, last error only when there is one', () => {
    expect(sessionEntry('node-1', '192.0.2.1:179', { state: 'Established', establishedSince: Date.UTC(2026, 0, 2, 3, 4, 5, 678), prefixesSent: 2, updatesSent: 3 })).toEqual({
      node: 'node-1', peerAddress: '192.0.2.1:179', state: 'Established', establishedSince: '2026-01-02T03:04:05Z', prefixesSent: 2, updatesSent: 3,
    });
    expect(sessionEntry('node-1', '192.0.2.1:179', { state: 'Active', prefixesSent: 0, updatesSent: 0, lastError: 'connect timed out' })).toEqual({
      node: 'node-1', peerAddress: '192.0.2.1:179', state: 'Active', prefixesSent: 0, updatesSent: 0, lastError: 'connect timed out',
    });
  });

  test('a peer without a session shows Idle with why', () => {
    expect(unusableEntry('node-1', plan(), 'bad')).toEqual({ node: 'node-1', peerAddress: '192.0.2.1', state: 'Idle', prefixesSent: 0, updatesSent: 0, lastError: 'bad' });
    expect(unusableEntry('node-1', plan({ config: undefined }), 'bad').peerAddress).toBe('');
  });

  test('entering or leaving Established is written at once, other changes after the debounce', () => {
    expect(statusDelayMs('OpenConfirm', 'Established', 1000)).toBe(0);
    expect(statusDelayMs('Established', 'Idle', 1000)).toBe(0);
    expect(statusDelayMs('Idle', 'Connect', 1000)).toBe(1000);
    expect(statusDelayMs('Connect', 'Active', 250)).toBe(250);
  });

  test('writes: only new or changed entries; clears: entries written before and not wanted now', () => {
    const written = new Map([['ns/a', 'A1'], ['ns/b', 'B1'], ['ns/gone', 'G']]);
    const want = new Map([['ns/a', 'A1'], ['ns/b', 'B2'], ['ns/new', 'N']]);
    expect(statusWrites(want, written)).toEqual({ write: ['ns/b', 'ns/new'], clear: ['ns/gone'] });
    expect(statusWrites(written, written)).toEqual({ write: [], clear: [] });
  });
});

test('announced addresses: dropped from the metric when gone or now another Service\'s', () => {
  const previous = new Map([['198.51.100.10', 'app/web'], ['198.51.100.11', 'app/old'], ['198.51.100.12', 'app/db']]);
  const services = new Map([
    ['app/web', { ips: ['198.51.100.10', '2001:db8:100::a'] }],
    ['app/new', { ips: ['198.51.100.12'] }],
  ]);
  const { want, drop } = announcedChanges(previous, services);
  expect([...want]).toEqual([['198.51.100.10', 'app/web'], ['2001:db8:100::a', 'app/web'], ['198.51.100.12', 'app/new']]);
  expect(drop).toEqual([['198.51.100.11', 'app/old'], ['198.51.100.12', 'app/db']]);
});
