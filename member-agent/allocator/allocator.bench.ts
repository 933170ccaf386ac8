import { availableParallelism, loadavg } from 'node:os';
import { peakRssMB, type BenchResult } from '../../bench/run.js';
import { Allocator } from './allocator.js';
import { pool, serviceObject } from './fixtures.js';
import { serviceView, type ServiceView } from './service.js';

/**
 * `npm run bench -- allocator`: 100,000 Services through the decision core, across a /16 IPv4
 * pool and a /112 IPv6 pool (65,536 addresses each), allocated one by one as the controller
 * does (upsert, then resolve), then deleted. Views are built beforehand: parsing Services is
 * the controller's cost, not the allocator's.
 */
const SERVICES = 100_000;

export default async function allocatorBench(): Promise<BenchResult> {
  const views: ServiceView[] = [];
  for (let i = 0; i < SERVICES; i++) {
    const v6 = i % 2 === 1;
    const created = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    views.push(serviceView(serviceObject(`svc-${i}`, { namespace: `ns-${i % 100}`, created, families: [v6 ? 'IPv6' : 'IPv4'] })));
  }
  const a = new Allocator();
  a.setPools([pool('v4', ['10.0.0.0/16']), pool('v6', ['2001:db8:100::/112'])]);
  a.load([]);

  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  // Timestamps at each tenth, to show the rate does not fall as the pools fill.
  const marks: bigint[] = [t0];
  for (let i = 0; i < views.length; i++) {
    const v = views[i] as ServiceView;
    a.upsert(v);
    const o = a.resolve(v.key);
    if (!o || o.ips.length !== 1) throw new Error(`${v.key} got no address: ${o?.allocated?.message ?? 'no outcome'}`);
    if ((i + 1) % (SERVICES / 10) === 0) marks.push(process.hrtime.bigint());
  }
  const t1 = process.hrtime.bigint();
  const tenth = (k: number) => Math.round(SERVICES / 10 / (Number((marks[k + 1] as bigint) - (marks[k] as bigint)) / 1e9));
  const c1 = process.cpuUsage(c0);
  a.takeChanged();
  const inUse = (a.poolReport('v4')?.ipv4.inUse ?? 0) + (a.poolReport('v6')?.ipv6.inUse ?? 0);
  if (inUse !== SERVICES) throw new Error(`expected ${SERVICES} addresses in use, found ${inUse}`);
  for (const v of views) a.remove(v.key);
  const t2 = process.hrtime.bigint();
  const left = (a.poolReport('v4')?.ipv4.inUse ?? 0) + (a.poolReport('v6')?.ipv6.inUse ?? 0);
  if (left !== 0) throw new Error(`expected every address free again, ${left} still in use`);

  const allocSeconds = Number(t1 - t0) / 1e9;
  // CPU seconds (all threads, so garbage collection helpers count too): what the allocator
  // costs, whatever else the machine is doing at the time.
  const allocCpuSeconds = (c1.user + c1.system) / 1e6;
  const freeSeconds = Number(t2 - t1) / 1e9;
  return {
    figures: {
      services: SERVICES,
      'allocations/s': Math.round(SERVICES / allocSeconds),
      'allocations per CPU-second': Math.round(SERVICES / allocCpuSeconds),
      'allocations/s, first tenth': tenth(0),
      'allocations/s, last tenth': tenth(9),
      'frees/s': Math.round(SERVICES / freeSeconds),
      'allocate all (s)': allocSeconds,
      'free all (s)': freeSeconds,
      'peak RSS (MB)': await peakRssMB(),
    },
    notes: ['targets: ≥ 100,000 allocations/s, < 200 MB peak RSS', `load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${availableParallelism()} CPUs`],
  };
}
