import { describe, expect, test } from '@jest/globals';
import { isFleetlbError } from '../runtime/errors.js';
import { DEFAULT_MEMBERS, formatMembers, parseMembers } from './members.js';

describe('--members', () => {
  test('the default fleet is the hub plus three members in two regions', () => {
    const fleet = parseMembers(DEFAULT_MEMBERS);
    expect(fleet.map((c) => [c.name, c.index, c.role, c.location])).toEqual([
      ['hub', 0, 'hub', undefined],
      ['member-1', 1, 'member', 'eastus'],
      ['member-2', 2, 'member', 'eastus'],
      ['member-3', 3, 'member', 'westus'],
    ]);
    expect(formatMembers(fleet)).toBe(DEFAULT_MEMBERS);
  });

  test.each([
    ['', /empty/],
    ['member-1', /NAME=LOCATION/],
    ['Member_1=eastus', /DNS label/],
    ['hub=eastus', /hub/],
    ['a=eastus,a=westus', /twice/],
    ['a=east us', /label value/],
    ['a=b=c', /NAME=LOCATION/],
    [Array.from({ length: 16 }, (_, i) => `m${i}=x`).join(','), /room for 15/],
  ])('%s is refused with a clear message', (input, message) => {
    let caught: unknown;
    try {
      parseMembers(input);
    } catch (err) {
      caught = err;
    }
    expect(isFleetlbError(caught, 'LAB_BAD_MEMBERS')).toBe(true);
    expect((caught as Error).message).toMatch(message);
  });
});
