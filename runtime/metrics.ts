import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One registry per process. Controller and work-queue metrics use controller-runtime's names and
 * labels, so the dashboards people already have for Go controllers work for ours.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const informerMetrics = {
  transitions: new Counter({
    name: 'fleetlb_informer_transitions_total',
    help: 'Informer state transitions (listed, watch-started, watch-failed, gone, watchdog, relist, …) by resource.',
    labelNames: ['resource', 'transition'] as const,
    registers: [registry],
  }),
  events: new Counter({
    name: 'fleetlb_informer_events_total',
    help: 'Add, update and delete notifications delivered by informers.',
    labelNames: ['resource', 'type'] as const,
    registers: [registry],
  }),
  lastEvent: new Gauge({
    name: 'fleetlb_informer_last_activity_timestamp_seconds',
    help: 'When an informer last heard from the API server (event, bookmark or list).',
    labelNames: ['resource'] as const,
    registers: [registry],
  }),
};

const durationBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export const workqueueMetrics = {
  depth: new Gauge({ name: 'workqueue_depth', help: 'Current depth of the work queue.', labelNames: ['name'] as const, registers: [registry] }),
  adds: new Counter({ name: 'workqueue_adds_total', help: 'Adds handled by the work queue.', labelNames: ['name'] as const, registers: [registry] }),
  retries: new Counter({ name: 'workqueue_retries_total', help: 'Retries handled by the work queue.', labelNames: ['name'] as const, registers: [registry] }),
  queueDuration: new Histogram({
    name: 'workqueue_queue_duration_seconds',
    help: 'How long an item waits in the queue before it is processed.',
    labelNames: ['name'] as const,
    buckets: durationBuckets,
    registers: [registry],
  }),
  workDuration: new Histogram({
    name: 'workqueue_work_duration_seconds',
    help: 'How long processing an item takes.',
    labelNames: ['name'] as const,
    buckets: durationBuckets,
    registers: [registry],
  }),
};

export const controllerMetrics = {
  reconciles: new Counter({
    name: 'controller_runtime_reconcile_total',
    help: 'Reconciliations per controller and result (success, error, requeue, requeue_after).',
    labelNames: ['controller', 'result'] as const,
    registers: [registry],
  }),
  errors: new Counter({ name: 'controller_runtime_reconcile_errors_total', help: 'Reconciliation errors per controller.', labelNames: ['controller'] as const, registers: [registry] }),
  duration: new Histogram({
    name: 'controller_runtime_reconcile_time_seconds',
    help: 'Time per reconciliation per controller.',
    labelNames: ['controller'] as const,
    buckets: durationBuckets,
    registers: [registry],
  }),
  activeWorkers: new Gauge({ name: 'controller_runtime_active_workers', help: 'Workers in use per controller.', labelNames: ['controller'] as const, registers: [registry] }),
  maxWorkers: new Gauge({ name: 'controller_runtime_max_concurrent_reconciles', help: 'Maximum concurrent reconciles per controller.', labelNames: ['controller'] as const, registers: [registry] }),
};

export const leaderMetrics = {
  isLeader: new Gauge({ name: 'leader_election_master_status', help: '1 while this process leads the named lease.', labelNames: ['name'] as const, registers: [registry] }),
  transitions: new Counter({ name: 'fleetlb_leader_election_transitions_total', help: 'Leadership gained or lost, by lease.', labelNames: ['name', 'event'] as const, registers: [registry] }),
};
