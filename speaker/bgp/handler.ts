import { networkInterfaces } from 'node:os';
import { BGPAdvertisementKind, BGPPeerKind, CommunityKind, type BGPAdvertisement, type BGPPeer, type BGPPeerSessionStatus, type Community } from '../../api/metallb.js';
import { Informer } from '../../runtime/informer.js';
import { CoreResources, type KubeObject } from '../../runtime/resource.js';
import type { ProtocolHandler, SpeakerContext } from '../protocol.js';
import type { SpeakerView } from '../view.js';
import { BGP_PORT } from './constants.js';
import { speakerMetrics } from '../metrics.js';
import { bgpMetrics, peerLabel } from './metrics.js';
import { BgpPeer, type Transport } from './peer.js';
import { planBgp, type BgpPlan, type PeerPlan } from './plan.js';
import { routesFromAdvertisements } from './routes.js';
import { announcedChanges, peerAction, sessionEntry, statusDelayMs, statusWrites, unusableEntry, type SecretRead } from './session-sync.js';
import { applyPeerStatus, reconcileServiceStatuses } from './status.js';

/**
 * The BGP protocol handler of `fleetlb speaker`: one session (speaker/bgp/peer.ts) per BGPPeer
 * that selects this node, each told the routes planBgp (pure) computes from the speaker's view
 * and the BGP objects. The BGP objects come from the handler's own informers (the shared view
 * carries what every protocol reads); a change to them re-plans with the last view. Publishes
 * per-session state on the BGPPeer's status, ServiceBGPStatus objects and MetalLB's metrics.
 */

interface Secret extends KubeObject {
  data?: Record<string, string>;
}

const SECRET_TTL_MS = 30_000;

interface Live {
  peer: BgpPeer;
  configKey: string;
  label: string;
  plan: PeerPlan;
}

/** The node's first non-loopback IPv4 address: the router ID of peers that set none. */
export function defaultRouterId(): string | undefined {
  for (const addrs of Object.values(networkInterfaces())) for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

export class BgpHandler implements ProtocolHandler {
  readonly protocol = 'bgp';
  private readonly peers: Informer<BGPPeer>;
  private readonly ads: Informer<BGPAdvertisement>;
  private readonly communities: Informer<Community>;
  private started = false;
  private queued = false;
  private view: SpeakerView | undefined;
  private readonly live = new Map<string, Live>();
  private announcedIps = new Map<string, string>();
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Last status written per peer key, so an unchanged one is not written again. */
  private written = new Map<string, string>();
  private statusTimer: NodeJS.Timeout | undefined;
  /** Peers that get no session (invalid, unsupported, unreadable Secret), with why. */
  private readonly pendingErrors = new Map<string, { plan: PeerPlan; error: string }>();
  private readonly secrets = new Map<string, { at: number; value: SecretRead }>();
  /** The ServiceBGPStatus set last written, so an unchanged one costs no API call. */
  private publishedServices: string | undefined;

  constructor(
    private readonly ctx: SpeakerContext,
    private readonly opts: { transport?: Transport; routerId?: string; statusDelayMs?: number } = {},
  ) {
    const common = { client: ctx.client, namespace: ctx.namespace, log: ctx.log };
    this.peers = new Informer<BGPPeer>({ ...common, resource: BGPPeerKind });
    this.ads = new Informer<BGPAdvertisement>({ ...common, resource: BGPAdvertisementKind });
    this.communities = new Informer<Community>({ ...common, resource: CommunityKind });
    const kick = () => this.kick();
    for (const inf of [this.peers, this.ads, this.communities] as Informer<KubeObject>[]) inf.on({ add: kick, update: kick, delete: kick });
  }

  /**
   * Never waits for the BGP informers or the API: a slow or forbidden list must not hold up the
   * shell's syncs (layer 2 shares them). Reconciles run one at a time; kicks while one is queued
   * coalesce.
   */
  sync(view: SpeakerView): Promise<void> {
    this.view = view;
    if (!this.started) {
      this.started = true;
      for (const inf of [this.peers, this.ads, this.communities] as Informer<KubeObject>[]) {
        inf.start().catch((err: Error) => this.ctx.log.error('BGP informer failed', { error: err.message }));
      }
    }
    void this.kick();
    return Promise.resolve();
  }

  private kick(): Promise<void> {
    if (this.queued) return this.chain;
    this.queued = true;
    this.chain = this.chain
      .then(() => {
        this.queued = false;
        return this.reconcile();
      })
      .catch((err: Error) => {
        this.ctx.log.error('BGP reconcile failed', { error: err.message });
      });
    return this.chain;
  }

  private async reconcile(): Promise<void> {
    const view = this.view;
    if (!view || this.stopped || !this.peers.hasSynced || !this.ads.hasSynced || !this.communities.hasSynced) return;
    const plan = planBgp(view, { peers: this.peers.list(), advertisements: this.ads.list(), communities: this.communities.list() }, { routerId: this.opts.routerId ?? defaultRouterId() });
    for (const p of plan.problems) this.ctx.log.warn('BGP advertisement problem', { problem: p });
    const wanted = new Set(plan.peers.map((p) => p.key));
    for (const [key, l] of this.live) {
      if (!wanted.has(key)) this.close(key, l, 'the BGPPeer no longer selects this node');
    }
    for (const p of plan.peers) await this.applyPeer(p);
    await this.publishServices(plan);
    this.scheduleStatus();
  }

  private async password(p: PeerPlan): Promise<SecretRead> {
    if (!p.passwordSecret) return {};
    // Syncs come several times a second: read a Secret at most every SECRET_TTL_MS.
    const key = `${p.passwordSecret.namespace}/${p.passwordSecret.name}`;
    const cached = this.secrets.get(key);
    if (cached && Date.now() - cached.at < SECRET_TTL_MS) return cached.value;
    const value = await this.readPassword(p.passwordSecret.namespace, p.passwordSecret.name);
    this.secrets.set(key, { at: Date.now(), value });
    return value;
  }

  private async readPassword(namespace: string, name: string): Promise<SecretRead> {
    try {
      const v = (await this.ctx.client.find<Secret>(CoreResources.secrets, name, namespace))?.data?.password;
      if (!v) return { error: `Secret ${namespace}/${name} has no key "password"` };
      return { password: Buffer.from(v, 'base64').toString('utf8') };
    } catch (err) {
      return { error: `reading Secret ${namespace}/${name}: ${(err as Error).message}` };
    }
  }

  private async applyPeer(p: PeerPlan): Promise<void> {
    const existing = this.live.get(p.key);
    const action = peerAction(p, await this.password(p), existing?.configKey);
    if (action.kind === 'unusable') {
      if (existing) this.close(p.key, existing, 'configuration no longer usable');
      this.pendingErrors.set(p.key, { plan: p, error: action.error });
      return;
    }
    this.pendingErrors.delete(p.key);
    const { routes, errors } = routesFromAdvertisements(p.routes);
    for (const e of errors) this.ctx.log.warn('BGP route not announced', { peer: p.key, error: e });
    if (action.kind === 'keep') {
      if (existing) {
        existing.plan = p;
        existing.peer.setRoutes(routes);
      }
      return;
    }
    if (existing) this.close(p.key, existing, 'configuration changed');
    const { config, configKey } = action;
    const label = peerLabel(config.peerAddress, config.peerPort ?? BGP_PORT);
    let peer: BgpPeer;
    try {
      peer = new BgpPeer(config, this.opts.transport ? { transport: this.opts.transport } : {});
    } catch (err) {
      this.pendingErrors.set(p.key, { plan: p, error: (err as Error).message });
      return;
    }
    const l: Live = { peer, configKey, label, plan: p };
    peer.on((e) => {
      if (this.live.get(p.key) !== l) return;
      if (e.type === 'state') {
        bgpMetrics.sessionUp.set({ peer: label }, e.to === 'Established' ? 1 : 0);
        this.ctx.log.info('BGP session state', { peer: p.key, address: label, from: e.from, to: e.to, reason: e.reason });
        this.scheduleStatus(statusDelayMs(e.from, e.to, this.statusDebounceMs));
      } else if (e.type === 'sent' && e.message.type === 'update') {
        bgpMetrics.updatesTotal.inc({ peer: label });
        bgpMetrics.announcedPrefixes.set({ peer: label }, peer.session.rib?.advertisedCount ?? 0);
        this.scheduleStatus();
      }
    });
    this.live.set(p.key, l);
    bgpMetrics.sessionUp.set({ peer: label }, 0);
    bgpMetrics.announcedPrefixes.set({ peer: label }, 0);
    peer.setRoutes(routes);
    peer.start();
  }

  /** Withdraw, Cease, forget. */
  private close(key: string, l: Live, reason: string): void {
    this.ctx.log.info('closing BGP session', { peer: key, reason });
    l.peer.stop(reason);
    this.live.delete(key);
    bgpMetrics.sessionUp.remove({ peer: l.label });
    bgpMetrics.announcedPrefixes.remove({ peer: l.label });
    bgpMetrics.updatesTotal.remove({ peer: l.label });
  }

  /** metallb_speaker_announced{protocol="bgp"}: the addresses this node sends to some peer. */
  private recordAnnounced(plan: BgpPlan): void {
    const { want, drop } = announcedChanges(this.announcedIps, plan.services);
    for (const [ip, service] of drop) speakerMetrics.announced.remove({ service, protocol: 'bgp', node: this.ctx.node, ip });
    for (const [ip, service] of want) speakerMetrics.announced.set({ service, protocol: 'bgp', node: this.ctx.node, ip }, 1);
    this.announcedIps = want;
  }

  private async publishServices(plan: BgpPlan): Promise<void> {
    this.recordAnnounced(plan);
    const desired = new Map([...plan.services].map(([k, v]) => [k, { namespace: v.namespace, name: v.name, peers: v.peers }]));
    const text = JSON.stringify([...desired]);
    if (text === this.publishedServices) return;
    try {
      this.publishedServices = text;
      await reconcileServiceStatuses({ client: this.ctx.client, namespace: this.ctx.namespace, node: this.ctx.node, log: this.ctx.log, ...(this.ctx.pod ? { pod: this.ctx.pod } : {}) }, desired);
    } catch (err) {
      this.publishedServices = undefined;
      this.ctx.log.warn('writing ServiceBGPStatus failed', { error: (err as Error).message });
    }
  }

  private get statusDebounceMs(): number {
    return this.opts.statusDelayMs ?? 1000;
  }

  /** Write session statuses soon (state changes at once, counters at most once a second). */
  private scheduleStatus(delayMs = this.statusDebounceMs): void {
    if (this.stopped) return;
    if (this.statusTimer && delayMs > 0) return;
    if (this.statusTimer) clearTimeout(this.statusTimer);
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      this.chain = this.chain.then(() => this.writeStatuses()).catch((err: Error) => {
        this.ctx.log.warn('writing BGPPeer status failed', { error: err.message });
      });
    }, delayMs);
    this.statusTimer.unref();
  }

  private sessionStatus(l: Live): BGPPeerSessionStatus {
    const s = l.peer.stats;
    return sessionEntry(this.ctx.node, l.label, {
      state: l.peer.state,
      ...(s.establishedSince !== undefined ? { establishedSince: s.establishedSince } : {}),
      prefixesSent: l.peer.session.rib?.advertisedCount ?? 0,
      updatesSent: s.updatesSent,
      ...(l.peer.session.lastError ? { lastError: l.peer.session.lastError } : {}),
    });
  }

  private async writeStatuses(): Promise<void> {
    const want = new Map<string, { ref: { namespace: string; name: string }; session: BGPPeerSessionStatus; unsupported: string[] }>();
    for (const [key, l] of this.live) want.set(key, { ref: l.plan, session: this.sessionStatus(l), unsupported: [...l.plan.unsupported] });
    for (const [key, e] of this.pendingErrors) want.set(key, { ref: e.plan, session: unusableEntry(this.ctx.node, e.plan, e.error), unsupported: [...e.plan.unsupported] });
    const texts = new Map([...want].map(([k, w]) => [k, JSON.stringify(w)]));
    const { write, clear } = statusWrites(texts, this.written);
    for (const key of write) {
      const w = want.get(key);
      if (!w) continue;
      await applyPeerStatus(this.ctx.client, w.ref, this.ctx.node, w.session, w.unsupported);
      this.written.set(key, texts.get(key) ?? '');
    }
    for (const key of clear) {
      const [namespace = '', name = ''] = key.split('/');
      this.written.delete(key);
      if (this.peers.get(key)) await applyPeerStatus(this.ctx.client, { namespace, name }, this.ctx.node, undefined, []);
    }
  }

  async stop(handover: boolean): Promise<void> {
    this.stopped = true;
    if (this.statusTimer) clearTimeout(this.statusTimer);
    for (const [key, l] of [...this.live]) this.close(key, l, 'the speaker is stopping');
    await this.chain;
    for (const [ip, service] of this.announcedIps) speakerMetrics.announced.remove({ service, protocol: 'bgp', node: this.ctx.node, ip });
    this.announcedIps.clear();
    if (handover) {
      // Our entries on the BGPPeers and our ServiceBGPStatus objects go with us.
      for (const key of this.written.keys()) {
        const [namespace = '', name = ''] = key.split('/');
        await applyPeerStatus(this.ctx.client, { namespace, name }, this.ctx.node, undefined, []).catch(() => undefined);
      }
      await reconcileServiceStatuses({ client: this.ctx.client, namespace: this.ctx.namespace, node: this.ctx.node, log: this.ctx.log }, new Map()).catch(() => undefined);
    }
    await Promise.all([this.peers.stop(), this.ads.stop(), this.communities.stop()]);
  }
}
