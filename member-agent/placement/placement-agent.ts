import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import { FleetLBNamespace } from '../../api/labels.js';
import { HubCredential } from '../../api/cluster.js';
import { EventRecorder } from '../../runtime/events.js';
import { KubeClient } from '../../runtime/kube-client.js';
import { ServiceExportController } from '../multicluster/export-controller.js';
import type { Logger } from '../../runtime/logger.js';
import { MultiClusterServiceController } from '../multicluster/multicluster-service-controller.js';
import { readHubAccess, type HubAccess } from './hub-credential.js';
import { MemberJoin } from './join.js';
import { WorkApplier } from './work-applier.js';

/**
 * The placement side of the member agent for one leadership term: find the hub credential, then
 * run membership (join, heartbeat, properties), the work applier, the service exporter and the
 * MultiClusterService controller against the hub.
 */

export const PLACEMENT_CONTROLLERS = ['membership', 'work', 'serviceexport', 'multiclusterservice'] as const;
export type PlacementControllerName = (typeof PLACEMENT_CONTROLLERS)[number];

export interface PlacementAgentOptions {
  member: KubeClient;
  memberKubeConfig: KubeConfig;
  controllers: readonly PlacementControllerName[];
  log: Logger;
  /** Namespace and name of the hub credential Secret on the member. */
  credentialNamespace?: string;
  credentialSecret?: string;
  /** Given instead of the Secret (outside a cluster). */
  hubAccess?: HubAccess;
  driftCheckMs?: number;
  /** Where the IPAddressPools live (multiclusterservice looks for pools labelled internal there). */
  poolNamespace?: string;
}

export class PlacementAgent {
  private hub: KubeClient | undefined;
  private join: MemberJoin | undefined;
  private applier: WorkApplier | undefined;
  private exporter: ServiceExportController | undefined;
  private multiClusterServices: MultiClusterServiceController | undefined;
  private running: Promise<void> | undefined;
  /** Why the agent is not working against the hub yet; undefined once it is. */
  waitingFor: string | undefined = 'starting';

  constructor(private readonly opts: PlacementAgentOptions) {}

  start(term: AbortSignal): void {
    this.running = (async () => {
      // A failed start (the hub or a CRD's storage not ready yet) is retried from the top.
      for (let attempt = 0; !term.aborted; attempt++) {
        try {
          await this.run(term);
          return;
        } catch (err) {
          this.waitingFor = (err as Error).message;
          this.opts.log.warn('placement side failed to start, retrying', { attempt, error: (err as Error).message });
          await this.stopParts();
          await sleep(Math.min(10_000, 1000 * 2 ** Math.min(attempt, 4)), undefined, { signal: term }).catch(() => undefined);
        }
      }
    })();
  }

  private async run(term: AbortSignal): Promise<void> {
    const { log } = this.opts;
    let access = this.opts.hubAccess;
    for (let attempt = 0; !access && !term.aborted; attempt++) {
      const found = await readHubAccess(this.opts.member, this.opts.credentialNamespace ?? FleetLBNamespace, this.opts.credentialSecret ?? HubCredential.secretName).catch((err: Error) => err.message);
      if (typeof found !== 'string') access = found;
      else {
        if (this.waitingFor !== found) log.warn('no hub credential yet: membership and work wait for it', { reason: found });
        this.waitingFor = found;
        await sleep(Math.min(10_000, 1000 * 2 ** Math.min(attempt, 4)), undefined, { signal: term }).catch(() => undefined);
      }
    }
    if (!access || term.aborted) return;
    const hub = new KubeClient(access.kubeConfig, { fieldManager: 'fleetlb-member-agent', userAgent: `fleetlb-member-agent/${access.memberName}` });
    this.hub = hub;
    const memberName = access.memberName;
    log.info('joining the fleet', { member: memberName, hub: hub.server.origin, controllers: this.opts.controllers });
    if (this.opts.controllers.includes('membership')) {
      this.join = new MemberJoin({ hub, member: this.opts.member, memberName, log: log.child({ part: 'membership' }) });
      this.join.start();
    }
    // Informers retry until the hub has made this member's namespace and Role; they start side by
    // side, so one waiting (say, for a CRD) holds up none of the others.
    const starts: Promise<void>[] = [];
    if (this.opts.controllers.includes('work')) {
      this.applier = new WorkApplier({ hub, member: this.opts.member, memberName, log: log.child({ part: 'work' }), driftCheckMs: this.opts.driftCheckMs }, this.opts.memberKubeConfig);
      starts.push(this.applier.start());
    }
    const events = new EventRecorder({ client: this.opts.member, component: 'fleetlb-member-agent', instance: hostname(), log });
    if (this.opts.controllers.includes('serviceexport')) {
      this.exporter = new ServiceExportController({ hub, member: this.opts.member, memberName, events, log: log.child({ part: 'serviceexport' }) });
      starts.push(this.exporter.start());
    }
    if (this.opts.controllers.includes('multiclusterservice')) {
      const poolNamespace = this.opts.poolNamespace ?? this.opts.credentialNamespace ?? FleetLBNamespace;
      this.multiClusterServices = new MultiClusterServiceController({ hub, memberKubeConfig: this.opts.memberKubeConfig, memberName, poolNamespace, events, log: log.child({ part: 'multiclusterservice' }) });
      starts.push(this.multiClusterServices.start());
    }
    const aborted = new Promise<void>((resolve) => (term.aborted ? resolve() : term.addEventListener('abort', () => resolve(), { once: true })));
    await Promise.race([Promise.all(starts), aborted]);
    if (term.aborted) return;
    this.waitingFor = undefined;
  }

  async stop(): Promise<void> {
    await this.running;
    await this.stopParts();
  }

  private async stopParts(): Promise<void> {
    await this.join?.stop();
    await this.applier?.stop();
    await this.exporter?.stop();
    await this.multiClusterServices?.stop();
    this.hub?.close();
    this.join = undefined;
    this.applier = undefined;
    this.exporter = undefined;
    this.multiClusterServices = undefined;
    this.hub = undefined;
  }
}
