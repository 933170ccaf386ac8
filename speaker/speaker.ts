import { performance } from 'node:perf_hooks';
import type { KubeConfig } from '@kubernetes/client-node';
import { IPAddressPoolKind, L2AdvertisementKind, type IPAddressPool, type L2Advertisement } from '../api/metallb.js';
import { EventRecorder } from '../runtime/events.js';
import { HealthServer } from '../runtime/health-server.js';
import { Informer } from '../runtime/informer.js';
import { KubeClient } from '../runtime/kube-client.js';
import { loggerFor, type Logger } from '../runtime/logger.js';
import { CoreResources, type KubeObject } from '../runtime/resource.js';
import { Layer2Handler } from './layer2/handler.js';
import { LeaseKeeper } from './lease-keeper.js';
import type { ProtocolHandler, SpeakerContext } from './protocol.js';
import { buildView, type EndpointSliceObject, type NodeObject, type ServiceObject, type SpeakerView } from './view.js';

/**
 * `fleetlb speaker`: one per node, in the node's network namespace. A thin shell: informers for
 * what decides announcements, a LeaseKeeper for who is alive, and on every change a fresh
 * SpeakerView (pure, view.ts) handed to each protocol handler in turn (protocol.ts). Layer 2 is
 * the first handler; BGP plugs in the same way.
 */

export interface SpeakerTimings {
  /** How long a speaker Lease is valid after a renewal. */
  leaseDurationMs: number;
  /** How often the Leases are listed and ours renewed. */
  renewIntervalMs: number;
  /** How long before its Lease could expire for others a speaker falls silent. */
  fenceMarginMs: number;
  /** How long a (re)joining speaker renews before it claims addresses. */
  warmupMs: number;
}

/** Fast enough for a ≤ 2 s median failover, slow enough for a loaded API server (ADR 0031). */
export const DEFAULT_SPEAKER_TIMINGS: SpeakerTimings = { leaseDurationMs: 1500, renewIntervalMs: 300, fenceMarginMs: 500, warmupMs: 700 };

export interface SpeakerOptions {
  kubeConfig: KubeConfig;
  node: string;
  namespace: string;
  loadBalancerClass?: string;
  metricsPort?: number;
  timings?: SpeakerTimings;
  excludeInterfaces: readonly RegExp[];
  pod?: { name: string; uid: string };
  log?: Logger;
  onListening?: (port: number) => void;
  /** Extra protocol handlers (BGP) next to layer 2. */
  handlers?: (ctx: SpeakerContext) => ProtocolHandler[];
}

export const SPEAKER_FIELD_MANAGER = 'fleetlb-speaker';

export async function runSpeaker(opts: SpeakerOptions, signal: AbortSignal): Promise<void> {
  const log = opts.log ?? loggerFor('speaker', { node: opts.node });
  const timings = opts.timings ?? DEFAULT_SPEAKER_TIMINGS;
  const client = new KubeClient(opts.kubeConfig, { fieldManager: SPEAKER_FIELD_MANAGER });
  // Lease traffic gets its own connections and a timeout under the fence: a late answer is useless.
  const leaseClient = new KubeClient(opts.kubeConfig, { fieldManager: SPEAKER_FIELD_MANAGER, timeoutMs: Math.max(200, timings.leaseDurationMs - timings.fenceMarginMs) });
  const events = new EventRecorder({ client, component: 'fleetlb-speaker', instance: opts.node, log });
  const health = new HealthServer();

  const common = { client, log };
  const services = new Informer<ServiceObject>({ ...common, resource: CoreResources.services });
  const slices = new Informer<EndpointSliceObject>({ ...common, resource: CoreResources.endpointSlices });
  const nodes = new Informer<NodeObject>({ ...common, resource: CoreResources.nodes });
  const pools = new Informer<IPAddressPool>({ ...common, resource: IPAddressPoolKind, namespace: opts.namespace });
  const l2ads = new Informer<L2Advertisement>({ ...common, resource: L2AdvertisementKind, namespace: opts.namespace });
  const informers: Informer<KubeObject>[] = [services, slices, nodes, pools, l2ads] as unknown as Informer<KubeObject>[];

  // The keeper asks layer 2 for usable links; layer 2 asks the keeper for the fence. Both only
  // call each other once running, after both exist.
  const keeper: LeaseKeeper = new LeaseKeeper({
    client: leaseClient,
    namespace: opts.namespace,
    node: opts.node,
    timings: { durationMs: timings.leaseDurationMs, marginMs: timings.fenceMarginMs, warmupMs: timings.warmupMs },
    renewIntervalMs: timings.renewIntervalMs,
    log,
    linkUp: async () => (await layer2.usableLinks()).length > 0,
    onChange: () => requestSync(),
  });
  const ctx: SpeakerContext = {
    node: opts.node,
    namespace: opts.namespace,
    client,
    events,
    log,
    canAnswer: () => keeper.liveness.canAnswer(performance.now()),
    ...(opts.pod ? { pod: opts.pod } : {}),
  };
  const layer2 = new Layer2Handler({ ...ctx, log: log.child({ protocol: 'layer2' }) }, { excludeInterfaces: opts.excludeInterfaces });
  const handlers: ProtocolHandler[] = [layer2, ...(opts.handlers?.(ctx) ?? [])];

  // Syncs never overlap; changes during one cause exactly one more.
  let syncing: Promise<void> | undefined;
  let again = false;
  let stopping = false;
  let synced = false;
  const view = (): SpeakerView =>
    buildView({
      node: opts.node,
      nodes: nodes.list(),
      services: services.list(),
      endpointSlices: slices.list(),
      pools: pools.list(),
      l2Advertisements: l2ads.list(),
      alive: keeper.liveness.alive(performance.now()),
      loadBalancerClass: opts.loadBalancerClass,
    });
  const requestSync = (): void => {
    if (stopping || !synced) return;
    if (syncing) {
      again = true;
      return;
    }
    syncing = (async () => {
      do {
        again = false;
        const v = view();
        for (const h of handlers) {
          try {
            await h.sync(v);
          } catch (err) {
            log.error('protocol handler failed to sync', { protocol: h.protocol, error: (err as Error).message });
          }
        }
      } while (again && !stopping);
    })().finally(() => (syncing = undefined));
  };
  for (const inf of informers) inf.on({ add: requestSync, update: requestSync, delete: requestSync });

  health.addReadyCheck('informers', () => informers.every((i) => i.hasSynced) || 'waiting for the first list');
  health.addReadyCheck('lease', () => keeper.liveness.canAnswer(performance.now()) || 'speaker Lease not renewed recently');
  if (opts.metricsPort) opts.onListening?.(await health.listen(opts.metricsPort));

  log.info('speaker starting', { node: opts.node, namespace: opts.namespace, loadBalancerClass: opts.loadBalancerClass ?? '(none)', timings });
  await Promise.race([Promise.all(informers.map((i) => i.start())), new Promise((r) => signal.addEventListener('abort', r, { once: true }))]);
  synced = true;
  if (!signal.aborted) keeper.start();

  await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
  log.info('speaker stopping: handing over');
  stopping = true;
  // Layer 2 falls silent synchronously inside stop(); only then is the Lease deleted.
  const handlersStopped = Promise.all(handlers.map((h) => h.stop(true).catch((err: Error) => log.warn('protocol handler failed to stop', { protocol: h.protocol, error: err.message }))));
  await keeper.stop(true);
  await syncing;
  await handlersStopped;
  await Promise.all(informers.map((i) => i.stop()));
  await health.close();
  client.close();
  leaseClient.close();
  log.info('speaker stopped');
}
