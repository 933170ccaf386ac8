import type { BenchResult } from '../../bench/run.js';
import { fuzz } from './fuzz.js';

/**
 * `npm run bench -- bgp-fuzz`: 1,000,000 mutated and random messages (FLEETLB_FUZZ_MESSAGES for
 * more), each decoded bare twice and delivered to a live session, which must answer every
 * malformed one with the matching NOTIFICATION (speaker/bgp/fuzz.ts). Fails on the first throw.
 */
export default async function bgpFuzzBench(): Promise<BenchResult> {
  const count = Number(process.env.FLEETLB_FUZZ_MESSAGES ?? 1_000_000);
  const r = fuzz(count);
  return {
    figures: {
      messages: r.messages,
      'bare decodes, a message': r.decoded,
      'bare decodes, an error': r.errors,
      'answered with NOTIFICATION': r.notified,
      'messages/s': Math.round(r.messages / (r.ms / 1000)),
    },
    notes: ['no decoder throw; every malformed message got the NOTIFICATION its decoder chose, then a close'],
  };
}
