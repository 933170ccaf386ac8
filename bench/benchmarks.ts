import { registerBenchmark } from './run.js';

/**
 * The list of benchmarks: each component registers its own here, e.g.
 *   registerBenchmark('allocator', async () => (await import('../member-agent/allocator/allocator.bench.js')).default);
 */
registerBenchmark('allocator', async () => (await import('../member-agent/allocator/allocator.bench.js')).default);
registerBenchmark('placement', async () => (await import('../hub/placement.bench.js')).default);
registerBenchmark('l2-failover', async () => (await import('../speaker/layer2/failover.bench.js')).default);
registerBenchmark('bgp-fuzz', async () => (await import('../speaker/bgp/fuzz.bench.js')).default);
registerBenchmark('bgp', async () => (await import('../speaker/bgp/bgp.bench.js')).default);
registerBenchmark('endpoints', async () => (await import('../member-agent/multicluster/endpoints.bench.js')).default);
