import type { EventRecorder } from '../runtime/events.js';
import type { KubeClient } from '../runtime/kube-client.js';
import type { Logger } from '../runtime/logger.js';
import type { SpeakerView } from './view.js';

/**
 * What the speaker process hands a protocol (layer 2, BGP): a fresh view on every change, and a
 * stop. A handler decides from the view alone what to announce; it never watches the API itself.
 * See speaker/README.md.
 */
export interface ProtocolHandler {
  /** `layer2` or `bgp`: the `protocol` label of metallb_speaker_announced and nodeAssigned events. */
  readonly protocol: string;
  /**
   * Announce what `view` says this node should, and withdraw the rest. Called again whenever
   * anything in the view changes, and at least once per lease tick; calls never overlap.
   */
  sync(view: SpeakerView): Promise<void>;
  /**
   * Stop announcing. `handover`: the speaker is shutting down cleanly (SIGTERM) and its Lease is
   * released right after, so peers take over at once; also remove what it published (statuses).
   */
  stop(handover: boolean): Promise<void>;
}

/** What every handler may use: the API, events, a logger, and the fence. */
export interface SpeakerContext {
  node: string;
  /** Namespace of the speaker's Leases and of the status objects it writes. */
  namespace: string;
  client: KubeClient;
  events: EventRecorder;
  log: Logger;
  /**
   * The fence: true while this speaker's Lease is surely still valid in every peer's eyes. Check
   * it before every answer a peer could also give (e.g. each ARP reply), not only in sync().
   */
  canAnswer(): boolean;
  /** The speaker pod, owner of the status objects (so they go when it goes); unknown outside a pod. */
  pod?: { name: string; uid: string };
}
