import { describe, expect, test } from '@jest/globals';
import type { Command } from 'commander';
import { program } from './main.js';

/** The issue asks every command's --help for an example; this walks the whole command tree. */
function leaves(c: Command, path: string[] = []): { path: string; cmd: Command }[] {
  const subs = c.commands as Command[];
  if (subs.length === 0) return [{ path: path.join(' '), cmd: c }];
  return subs.flatMap((s) => leaves(s, [...path, s.name()]));
}

describe('fleetlb --help', () => {
  const all = leaves(program());

  test('covers the commands users know', () => {
    expect(all.map((l) => l.path)).toEqual(expect.arrayContaining(['hub', 'member-agent', 'speaker', 'lb create', 'bgp-peer create', 'pool suggest', 'convert metallb-config', 'doctor', 'explain mcs', 'fleet import-azure', 'install', 'uninstall', 'lab up', 'demo']));
  });

  test.each(all.map((l) => [l.path, l.cmd] as const))('%s has a description and an example', (_path, cmd) => {
    let text = '';
    cmd.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
    cmd.outputHelp();
    expect(cmd.description()).not.toBe('');
    expect(text).toMatch(/\nExamples?:\n {2}\$ fleetlb |\nExamples?:\n {2}\$ \S+.*fleetlb |\nExamples?:\n {2}\$ npm run /);
  });
});
