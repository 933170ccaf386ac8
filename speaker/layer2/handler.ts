import { speakerMetrics } from '../metrics.js';
import type { ProtocolHandler, SpeakerContext } from '../protocol.js';
import type { SpeakerView } from '../view.js';
import { ArpResponder } from './arp-responder.js';
import { announceFailure, pickInterfaces, readLinks, usableInterfaces, type LinkFacts } from './interfaces.js';
import { NdpResponder } from './ndp-responder.js';
import { TAKEOVER_BURST_MS, type ResponderHooks } from './responder.js';
import { layer2Plan, type L2ServicePlan } from './plan.js';
import { L2StatusWriter, type DesiredL2Status } from './status.js';

/**
 * The layer-2 protocol handler: from each view, the addresses this node wins (plan.ts), answered
 * on the chosen interfaces by ARP and NDP responders, with a gratuitous burst on every takeover,
 * ServiceL2Status objects, `nodeAssigned` events and MetalLB's metrics. Every answer passes the
 * fence first, so a speaker that lost its Lease falls silent even between syncs.
 */

interface InterfaceResponders {
  link: LinkFacts;
  arp: ArpResponder;
  ndp?: NdpResponder;
}

/** Where an address is announced now: its Service and interfaces. */
interface Announced {
  service: string;
  interfaces: Set<string>;
}

export interface Layer2Options {
  /** Interface name patterns never announced from. */
  excludeInterfaces: readonly RegExp[];
  /** Links of this namespace (injectable for tests); default /sys and os.networkInterfaces(). */
  links?: () => Promise<LinkFacts[]>;
}

export class Layer2Handler implements ProtocolHandler {
  readonly protocol = 'layer2';
  private readonly responders = new Map<string, InterfaceResponders>();
  private readonly announced = new Map<string, Announced>();
  private readonly services = new Map<string, L2ServicePlan>();
  /** Services this node won but cannot announce, with why (an `announceFailed` event per change). */
  private readonly failed = new Map<string, string>();
  private readonly status: L2StatusWriter;
  private statusDirty = true;
  private stopped = false;
  private readonly hooks: ResponderHooks;

  constructor(
    private readonly ctx: SpeakerContext,
    private readonly opts: Layer2Options,
  ) {
    this.status = new L2StatusWriter({ client: ctx.client, namespace: ctx.namespace, node: ctx.node, log: ctx.log, pod: ctx.pod });
    this.hooks = {
      canAnswer: () => ctx.canAnswer(),
      count: (what, ip) => (what === 'request' ? speakerMetrics.layer2Requests : what === 'response' ? speakerMetrics.layer2Responses : speakerMetrics.layer2Gratuitous).inc({ ip }),
    };
  }

  /** Usable links now, for the lease keeper's "is my network up" question too. */
  async usableLinks(): Promise<LinkFacts[]> {
    return usableInterfaces(await (this.opts.links ?? readLinks)(), this.opts.excludeInterfaces);
  }

  async sync(view: SpeakerView): Promise<void> {
    const plan = layer2Plan(view);
    const usable = await this.usableLinks();
    // stop() may have run while we read the links: never reopen sockets after it.
    if (this.stopped) return;
    this.refreshResponders(usable);

    const want = new Map<string, Announced>();
    for (const svc of plan.services.values()) {
      const ifaces = new Set(pickInterfaces(usable, svc.interfaces).map((l) => l.name));
      for (const ip of svc.ips) want.set(ip, { service: svc.key, interfaces: ifaces });
    }
    for (const [ip, was] of this.announced) {
      const now = want.get(ip);
      for (const name of was.interfaces) if (!now?.interfaces.has(name)) this.withdraw(ip, name);
      if (!now) {
        speakerMetrics.announced.remove({ service: was.service, protocol: this.protocol, node: this.ctx.node, ip });
        this.ctx.log.info('withdrawn', { ip, service: was.service });
      }
    }
    for (const [ip, now] of want) {
      const was = this.announced.get(ip);
      const added = [...now.interfaces].filter((name) => !was?.interfaces.has(name));
      for (const name of added) this.announce(ip, name);
      if (!was) {
        speakerMetrics.announced.set({ service: now.service, protocol: this.protocol, node: this.ctx.node, ip }, 1);
        this.ctx.log.info('announcing', { ip, service: now.service, interfaces: [...now.interfaces] });
      }
    }
    this.announced.clear();
    for (const [ip, a] of want) this.announced.set(ip, a);

    for (const [key, svc] of plan.services) {
      const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: svc.name, namespace: svc.namespace, uid: svc.uid } };
      const failure = announceFailure(this.ctx.node, usable, svc.interfaces);
      const wasFailed = this.failed.has(key);
      if (failure !== undefined && this.failed.get(key) !== failure) {
        this.ctx.log.warn('cannot announce', { service: key, reason: failure });
        void this.ctx.events.record(service, 'Warning', 'announceFailed', failure);
      }
      if (failure === undefined) this.failed.delete(key);
      else this.failed.set(key, failure);
      const isNew = !this.services.has(key);
      if (isNew || this.services.get(key)?.interfaces.join(',') !== svc.interfaces.join(',')) this.statusDirty = true;
      // Assigned once it really announces: on arrival, or when a failure clears.
      if (failure === undefined && (isNew || wasFailed)) void this.ctx.events.record(service, 'Normal', 'nodeAssigned', `announcing from node "${this.ctx.node}" with protocol "${this.protocol}"`);
    }
    for (const key of this.failed.keys()) if (!plan.services.has(key)) this.failed.delete(key);
    for (const key of this.services.keys()) if (!plan.services.has(key)) this.statusDirty = true;
    this.services.clear();
    for (const [key, svc] of plan.services) this.services.set(key, svc);
    await this.writeStatus(usable);
  }

  private async writeStatus(usable: readonly LinkFacts[]): Promise<void> {
    if (!this.statusDirty) return;
    const desired = new Map<string, DesiredL2Status>();
    for (const [key, svc] of this.services) desired.set(key, { namespace: svc.namespace, name: svc.name, interfaces: pickInterfaces(usable, svc.interfaces).map((l) => l.name) });
    try {
      await this.status.reconcile(desired);
      this.statusDirty = false;
    } catch (err) {
      // Statuses are for people; announcing goes on, and the next sync tries again.
      this.ctx.log.warn('could not write ServiceL2Status objects', { error: (err as Error).message });
    }
  }

  private refreshResponders(usable: readonly LinkFacts[]): void {
    const names = new Set(usable.map((l) => l.name));
    for (const [name, r] of this.responders) {
      if (names.has(name) && r.link.linkLocal === usable.find((l) => l.name === name)?.linkLocal) continue;
      r.arp.close();
      r.ndp?.close();
      this.responders.delete(name);
      // Addresses it answered for are announced again below on the new responders.
      for (const a of this.announced.values()) a.interfaces.delete(name);
    }
    for (const link of usable) {
      if (this.responders.has(link.name)) continue;
      try {
        const arp = new ArpResponder(link.name, this.hooks);
        // NDP only where IPv6 is on (a link-local address), as MetalLB does.
        const ndp = link.linkLocal ? new NdpResponder(link.name, this.hooks) : undefined;
        this.responders.set(link.name, { link, arp, ...(ndp ? { ndp } : {}) });
      } catch (err) {
        this.ctx.log.warn('cannot open a packet socket', { interface: link.name, error: (err as Error).message });
      }
    }
  }

  private announce(ip: string, ifname: string): void {
    const r = this.responders.get(ifname);
    if (!r) return;
    if (ip.includes(':')) r.ndp?.announce(ip, TAKEOVER_BURST_MS);
    else r.arp.announce(ip, TAKEOVER_BURST_MS);
  }

  private withdraw(ip: string, ifname: string): void {
    const r = this.responders.get(ifname);
    r?.arp.withdraw(ip);
    r?.ndp?.withdraw(ip);
  }

  async stop(handover: boolean): Promise<void> {
    this.stopped = true;
    for (const r of this.responders.values()) {
      r.arp.close();
      r.ndp?.close();
    }
    this.responders.clear();
    for (const [ip, a] of this.announced) speakerMetrics.announced.remove({ service: a.service, protocol: this.protocol, node: this.ctx.node, ip });
    this.announced.clear();
    if (handover) {
      this.services.clear();
      this.statusDirty = true;
      await this.writeStatus([]);
    }
  }
}
