import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import { Discovery } from '../runtime/discovery.js';
import { EventRecorder } from '../runtime/events.js';
import { HealthServer } from '../runtime/health-server.js';
import { KubeClient } from '../runtime/kube-client.js';
import { loggerFor, type Logger } from '../runtime/logger.js';
import { DEFAULT_MISSED_HEARTBEATS } from './member-health.js';
import { MembershipController } from './membership-controller.js';
import { HUB_FIELD_MANAGER, PlacementController } from './placement-controller.js';
import { DefaultLivenessPolicy, withdrawalBoundMs, type LivenessPolicy } from './endpoint-liveness.js';
import { EndpointFanOutController } from './endpoint-fanout-controller.js';
import { recordWithdrawalBound } from './metrics.js';
import { ServiceImportController } from './service-import-controller.js';

/**
 * `fleetlb hub`: membership, placement and multi-cluster services on the hub cluster, until the
 * signal aborts. One replica (docs/adr/0040): every controller is level-based, so a restarted hub
 * picks up where the API objects say it was.
 */

export interface HubOptions {
  kubeConfig: KubeConfig;
  /** Heartbeats a member may miss before it is not healthy (the bound is this × its period). */
  missedHeartbeats?: number;
  /** How often each placement re-reads what it selects. */
  resyncMs?: number;
  /** How long a silent member's endpoints stay after its heartbeat deadline (default 0). */
  deadClusterGraceMs?: number;
  /** Keep a silent member's last endpoints instead of withdrawing them (a member that left still goes). */
  failStatic?: boolean;
  metricsPort?: number;
  log?: Logger;
  onListening?: (port: number) => void;
}

export async function runHub(opts: HubOptions, signal: AbortSignal): Promise<void> {
  const log = opts.log ?? loggerFor('hub');
  const client = new KubeClient(opts.kubeConfig, { fieldManager: HUB_FIELD_MANAGER });
  const events = new EventRecorder({ client, component: 'fleetlb-hub', instance: hostname(), log });
  const missedHeartbeats = opts.missedHeartbeats ?? DEFAULT_MISSED_HEARTBEATS;
  const membership = new MembershipController({ client, events, log: log.child({ controller: 'membercluster' }), missedHeartbeats });
  const placement = new PlacementController({ client, discovery: new Discovery(client), events, log: log.child({ controller: 'placement' }), missedHeartbeats, resyncMs: opts.resyncMs });
  const liveness: LivenessPolicy = { missedHeartbeats, graceMs: opts.deadClusterGraceMs ?? DefaultLivenessPolicy.graceMs, failStatic: opts.failStatic ?? DefaultLivenessPolicy.failStatic };
  recordWithdrawalBound(withdrawalBoundMs(liveness));
  const imports = new ServiceImportController({ client, events, log: log.child({ controller: 'serviceimport' }), liveness });
  const fanOut = new EndpointFanOutController({ client, log: log.child({ controller: 'endpointsliceimport' }), members: imports.members, liveness });
  const health = new HealthServer();
  let ready = false;
  health.addReadyCheck('controllers', () => ready || 'starting');
  if (opts.metricsPort) opts.onListening?.(await health.listen(opts.metricsPort));
  log.info('hub starting', { missedHeartbeats, resyncMs: opts.resyncMs, deadClusterGraceMs: liveness.graceMs, failStatic: liveness.failStatic, deadClusterBoundMs: withdrawalBoundMs(liveness) ?? 'none (fail-static)' });
  const aborted = new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
  // Informers retry until they have listed; the hub is ready once every cache is filled.
  void Promise.race([Promise.all([membership.start(), placement.start(), imports.start(), fanOut.start()]), aborted]).then(() => (ready = !signal.aborted));
  await aborted;
  log.info('hub stopping');
  await fanOut.stop();
  await Promise.all([membership.stop(), placement.stop(), imports.stop()]);
  await health.close();
  client.close();
}
