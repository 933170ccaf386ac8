import { expect, test } from '@jest/globals';
import { fuzz } from './fuzz.js';

/**
 * A quick fuzz run (the million-message run is `npm run bench -- bgp-fuzz`): the decoder never
 * throws, and a live session answers each malformed message with the matching NOTIFICATION.
 */

const MESSAGES = 10_000;

test(`the decoder never throws, and the session answers malformed input with the right NOTIFICATION (${MESSAGES.toLocaleString('en')} messages)`, () => {
  const r = fuzz(MESSAGES);
  // Both outcomes must be common, or the mutations are not reaching the decoders.
  expect(r.decoded).toBeGreaterThan(MESSAGES / 10);
  expect(r.errors).toBeGreaterThan(MESSAGES / 10);
  expect(r.notified).toBeGreaterThan(MESSAGES / 10);
}, 60_000);
