import { AgentConditions, AgentTypes, ClusterStates, InternalMemberClusterKind, type AgentStatus, type InternalMemberCluster } from '../../api/cluster.js';
import { memberNamespace } from '../../api/labels.js';
import { AppliedWorkKind, type AppliedWork } from '../../api/placement.js';
import { findCondition, setCondition } from '../../runtime/conditions.js';
import type { KubeClient } from '../../runtime/kube-client.js';
import type { Logger } from '../../runtime/logger.js';
import { CoreResources } from '../../runtime/resource.js';
import { clusterProperties, type NodeLike } from './properties.js';

/**
 * The member's side of membership: every heartbeat period (the hub sets it on the
 * InternalMemberCluster) report Joined, Healthy and the cluster's properties. When the hub says
 * Leave, Joined turns False once nothing placed through this member's Works remains.
 */

export interface MemberJoinOptions {
  hub: KubeClient;
  member: KubeClient;
  memberName: string;
  log: Logger;
  /** Used until the InternalMemberCluster says otherwise. */
  defaultPeriodSeconds?: number;
}

export class MemberJoin {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  /** True once a heartbeat went through. */
  lastBeatOk = false;

  constructor(private readonly opts: MemberJoinOptions) {}

  start(): void {
    this.stopped = false;
    const tick = () => {
      this.running = this.beat()
        .catch((err: Error) => {
          this.lastBeatOk = false;
          this.opts.log.warn('heartbeat to the hub failed', { error: err.message });
          return 5;
        })
        .then((periodSeconds) => {
          if (!this.stopped) this.timer = setTimeout(tick, (periodSeconds ?? 5) * 1000);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One heartbeat; returns the period until the next one. */
  async beat(): Promise<number> {
    const { hub, member, memberName } = this.opts;
    const ns = memberNamespace(memberName);
    const imc = await hub.get<InternalMemberCluster>(InternalMemberClusterKind, memberName, ns);
    const period = imc.spec.heartbeatPeriodSeconds ?? this.opts.defaultPeriodSeconds ?? 60;
    const now = new Date();
    const stamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    let healthy: { status: 'True' | 'False'; reason: string; message: string } = { status: 'True', reason: 'MemberAgentHealthy', message: 'the member API server answers' };
    let nodes: NodeLike[] = [];
    let version = '';
    try {
      nodes = (await member.list<NodeLike & { metadata: { name?: string } }>(CoreResources.nodes)).items;
      version = (await member.request<{ gitVersion?: string }>('GET', '/version')).gitVersion ?? '';
    } catch (err) {
      healthy = { status: 'False', reason: 'MemberAPIUnreachable', message: `the member API server does not answer: ${(err as Error).message}` };
    }
    const previous = imc.status?.agentStatus?.find((a) => a.type === AgentTypes.MemberAgent);
    let joined = { status: 'True' as 'True' | 'False', reason: 'MemberJoined', message: 'the member agent has joined the fleet' };
    if (imc.spec.state === ClusterStates.Leave) {
      const left = (await member.list<AppliedWork>(AppliedWorkKind)).items.filter((a) => a.spec.workNamespace === ns).length === 0;
      joined = left
        ? { status: 'False', reason: 'MemberLeft', message: 'the member agent has left: nothing placed remains' }
        : { status: 'True', reason: 'MemberLeaving', message: 'removing what was placed before leaving' };
    }
    let conditions = setCondition(previous?.conditions, { type: AgentConditions.Joined, ...joined }, imc.metadata.generation, now);
    conditions = setCondition(conditions, { type: AgentConditions.Healthy, ...healthy }, imc.metadata.generation, now);
    const agentStatus: AgentStatus = { type: AgentTypes.MemberAgent, conditions, lastReceivedHeartbeat: stamp };
    const props = healthy.status === 'True' ? clusterProperties(nodes, version, stamp) : undefined;
    await hub.mergePatch(InternalMemberClusterKind, memberName, ns, { status: { agentStatus: [agentStatus], ...(props ?? {}) } }, 'status');
    if (!this.lastBeatOk || findCondition(previous?.conditions, AgentConditions.Joined)?.status !== joined.status) {
      this.opts.log.info('heartbeat', { member: memberName, joined: joined.status, healthy: healthy.status, nodes: nodes.length, periodSeconds: period });
    }
    this.lastBeatOk = true;
    return period;
  }
}
