import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import { EventRecorder } from '../runtime/events.js';
import { HealthServer } from '../runtime/health-server.js';
import { KubeClient } from '../runtime/kube-client.js';
import { LeaderElector } from '../runtime/leader-election.js';
import { loggerFor, type Logger } from '../runtime/logger.js';
import { ALLOCATOR_FIELD_MANAGER, AllocatorController } from './allocator/controller.js';
import { PlacementAgent, PLACEMENT_CONTROLLERS, type PlacementAgentOptions } from './placement/placement-agent.js';

/**
 * `fleetlb member-agent`: runs the chosen controllers, with leader election when asked, until the
 * signal aborts. Each leadership term starts the controllers afresh, so a new leader always
 * reloads every assignment from the API before it decides anything.
 */

/** Controllers this build of the member agent can run. */
export const MEMBER_AGENT_CONTROLLERS = ['allocator', ...PLACEMENT_CONTROLLERS] as const;
export type MemberAgentController = (typeof MEMBER_AGENT_CONTROLLERS)[number];

export interface MemberAgentOptions {
  kubeConfig: KubeConfig;
  controllers: readonly MemberAgentController[];
  /** Controller namespace: pools, and the leader Lease. */
  namespace: string;
  loadBalancerClass?: string;
  /** Port of /metrics, /healthz and /readyz; undefined or 0: none. */
  metricsPort?: number;
  leaderElect?: boolean;
  identity?: string;
  leaseName?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  log?: Logger;
  /** Called once the health server listens, with its port. */
  onListening?: (port: number) => void;
  /** How the placement controllers (membership, work) reach the hub. */
  placement?: Omit<PlacementAgentOptions, 'member' | 'memberKubeConfig' | 'controllers' | 'log'>;
}

export const ALLOCATOR_LEASE = 'fleetlb-allocator';

export async function runMemberAgent(opts: MemberAgentOptions, signal: AbortSignal): Promise<void> {
  const log = opts.log ?? loggerFor('member-agent');
  const identity = opts.identity ?? `${hostname()}_${randomBytes(4).toString('hex')}`;
  const client = new KubeClient(opts.kubeConfig, { fieldManager: ALLOCATOR_FIELD_MANAGER });
  const events = new EventRecorder({ client, component: 'fleetlb-allocator', instance: identity, log });
  const health = new HealthServer();
  let current: AllocatorController | undefined;
  let placement: PlacementAgent | undefined;
  let elector: LeaderElector | undefined;
  const runAllocator = opts.controllers.includes('allocator');
  const placementControllers = PLACEMENT_CONTROLLERS.filter((c) => opts.controllers.includes(c));
  if (placementControllers.length > 0) {
    health.addReadyCheck('placement', () => {
      if (opts.leaderElect && !elector?.isLeader) return true;
      return placement && !placement.waitingFor ? true : (placement?.waitingFor ?? 'starting');
    });
  }
  if (runAllocator) {
    health.addReadyCheck('allocator', () => {
      if (opts.leaderElect && !elector?.isLeader) return true; // a standby replica is ready to take over
      return current?.ready ? true : 'reloading assignments';
    });
  }
  if (opts.metricsPort) opts.onListening?.(await health.listen(opts.metricsPort));

  // Terms run one after another: a new one starts only when the previous one has stopped.
  let terms = Promise.resolve();
  const startTerm = (term: AbortSignal) => {
    terms = terms.then(async () => {
      if (term.aborted) return;
      const stopped = new Promise<void>((resolve) => term.addEventListener('abort', () => resolve(), { once: true }));
      // The placement side joins the hub on its own; it never holds up the allocator.
      const p = placementControllers.length > 0 ? new PlacementAgent({ poolNamespace: opts.namespace, ...opts.placement, member: client, memberKubeConfig: opts.kubeConfig, controllers: placementControllers, log: log.child({ controller: 'placement' }) }) : undefined;
      placement = p;
      p?.start(term);
      const c = runAllocator ? new AllocatorController({ client, namespace: opts.namespace, loadBalancerClass: opts.loadBalancerClass, events, log: log.child({ controller: 'allocator' }) }) : undefined;
      current = c;
      try {
        if (c) await Promise.race([c.start(), stopped]);
        await stopped;
      } catch (err) {
        log.error('allocator failed to start', { error: (err as Error).message });
      } finally {
        await c?.stop();
        await p?.stop();
        if (current === c) current = undefined;
        if (placement === p) placement = undefined;
      }
    });
  };

  log.info('member agent starting', { controllers: opts.controllers, namespace: opts.namespace, loadBalancerClass: opts.loadBalancerClass ?? '(none)', leaderElect: !!opts.leaderElect, identity });
  if (opts.leaderElect) {
    elector = new LeaderElector({
      client,
      namespace: opts.namespace,
      name: opts.leaseName ?? ALLOCATOR_LEASE,
      identity,
      leaseDurationMs: opts.leaseDurationMs,
      renewDeadlineMs: opts.renewDeadlineMs,
      retryPeriodMs: opts.retryPeriodMs,
      log,
      onStartedLeading: (term) => startTerm(term),
      onStoppedLeading: (reason) => log.warn('stopped leading: the allocator stops until it leads again', { reason }),
      onNewLeader: (who) => log.info('leader', { identity: who }),
    });
    elector.start();
  } else {
    const term = new AbortController();
    signal.addEventListener('abort', () => term.abort(), { once: true });
    startTerm(term.signal);
  }

  await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
  log.info('member agent stopping');
  // Stop acting before the lease is released, so a successor never overlaps with our last writes.
  await current?.stop();
  await placement?.stop();
  await elector?.stop();
  await terms;
  await health.close();
  client.close();
}
