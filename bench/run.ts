import { memoryUsage } from 'node:process';

/**
 * `npm run bench -- <name>`: runs one benchmark and prints its figures. Benchmarks register
 * themselves in BENCHMARKS; each returns named figures so docs/benchmarks.md can record them.
 */

export interface BenchResult {
  /** Figure name → value with unit, e.g. { 'allocations/s': 412000 }. */
  figures: Record<string, number>;
  notes?: string[];
}

export type Benchmark = () => Promise<BenchResult>;

/** Loaded lazily so one benchmark's imports never slow another down. */
const BENCHMARKS: Record<string, () => Promise<Benchmark>> = {};

export function registerBenchmark(name: string, load: () => Promise<Benchmark>): void {
  BENCHMARKS[name] = load;
}

/** Peak resident memory so far, in MB (Linux reports it in /proc/self/status as VmHWM). */
export async function peakRssMB(): Promise<number> {
  try {
    const { readFile } = await import('node:fs/promises');
    const m = /VmHWM:\s+(\d+) kB/.exec(await readFile('/proc/self/status', 'utf8'));
    if (m?.[1]) return Math.round(Number(m[1]) / 1024);
  } catch {
    /* not Linux */
  }
  return Math.round(memoryUsage().rss / 1024 / 1024);
}

async function main(): Promise<number> {
  await import('./benchmarks.js');
  const name = process.argv[2];
  if (!name || !BENCHMARKS[name]) {
    process.stderr.write(`usage: npm run bench -- <name>; benchmarks: ${Object.keys(BENCHMARKS).sort().join(', ') || '(none yet)'}\n`);
    return 2;
  }
  const bench = await (BENCHMARKS[name] as () => Promise<Benchmark>)();
  const started = Date.now();
  const result = await bench();
  process.stdout.write(`benchmark ${name} (node ${process.version}, ${new Date().toISOString()}, ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  for (const [k, v] of Object.entries(result.figures)) process.stdout.write(`  ${k.padEnd(32)} ${Number.isInteger(v) ? v : v.toFixed(2)}\n`);
  for (const n of result.notes ?? []) process.stdout.write(`  note: ${n}\n`);
  return 0;
}

// Not a top-level await: benchmarks.ts imports this module to register, and would wait forever
// for a module still suspended in its own top-level await.
main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
