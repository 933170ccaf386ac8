/**
 * Deciding what a lab pod runs and what its status says. Pure: the agent feeds it the Pod and
 * what it observed of its processes.
 */

export type ContainerKind = 'fleetlb' | 'kuard' | 'plain';

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}

export interface Probe {
  httpGet?: { path?: string; port: number | string; scheme?: string };
  tcpSocket?: { port: number | string };
  exec?: unknown;
  initialDelaySeconds?: number;
  periodSeconds?: number;
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  ports?: ContainerPort[];
  readinessProbe?: Probe;
}

export interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
    resourceVersion?: string;
  };
  spec?: {
    nodeName?: string;
    hostNetwork?: boolean;
    serviceAccountName?: string;
    restartPolicy?: 'Always' | 'OnFailure' | 'Never';
    terminationGracePeriodSeconds?: number;
    containers: Container[];
  };
  status?: {
    phase?: string;
    podIP?: string;
    podIPs?: { ip: string }[];
    startTime?: string;
    containerStatuses?: ContainerStatus[];
  };
}

export interface ContainerStatus {
  name: string;
  image: string;
  imageID: string;
  containerID?: string;
  ready: boolean;
  started: boolean;
  restartCount: number;
  state: { running?: { startedAt: string }; waiting?: { reason: string; message?: string }; terminated?: { exitCode: number; reason: string; startedAt?: string; finishedAt: string } };
  lastState?: ContainerStatus['state'];
}

/** Repository name of an image: `ghcr.io/fleetlb/fleetlb:0.1.0` → `fleetlb`. */
export function imageRepository(image: string): string {
  const noDigest = image.split('@')[0] ?? image;
  const last = noDigest.split('/').pop() ?? noDigest;
  return last.split(':')[0] ?? last;
}

export function containerKind(image: string): ContainerKind {
  const repo = imageRepository(image);
  if (repo === 'fleetlb') return 'fleetlb';
  if (/^kuard(-amd64|-arm64)?$/.test(repo)) return 'kuard';
  return 'plain';
}

/** The `fleetlb` arguments of a fleetlb container: its command (without the binary) and args. */
export function fleetlbArgs(c: Container): string[] {
  const command = [...(c.command ?? [])];
  if (command.length > 0 && /(^|\/)fleetlb$/.test(command[0] ?? '')) command.shift();
  return [...command, ...(c.args ?? [])];
}

export interface PodFacts {
  nodeName: string;
  podIPs: string[];
  hostIPs: string[];
}

/** Container environment with fieldRefs resolved; unsupported sources are reported, not guessed. */
export function resolveEnv(c: Container, pod: Pod, facts: PodFacts): { env: Record<string, string>; unsupported: string[] } {
  const env: Record<string, string> = {};
  const unsupported: string[] = [];
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef) {
      const v = fieldValue(e.valueFrom.fieldRef.fieldPath, pod, facts);
      if (v === undefined) unsupported.push(`${e.name} (fieldRef ${e.valueFrom.fieldRef.fieldPath})`);
      else env[e.name] = v;
    } else if (e.valueFrom) unsupported.push(`${e.name} (${Object.keys(e.valueFrom).join(', ')})`);
    else env[e.name] = '';
  }
  return { env, unsupported };
}

function fieldValue(path: string, pod: Pod, facts: PodFacts): string | undefined {
  const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (label?.[1] && label[2]) return (label[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations)?.[label[2]] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name;
    case 'metadata.namespace':
      return pod.metadata.namespace;
    case 'metadata.uid':
      return pod.metadata.uid;
    case 'spec.nodeName':
      return facts.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? 'default';
    case 'status.podIP':
      return facts.podIPs[0];
    case 'status.podIPs':
      return facts.podIPs.join(',');
    case 'status.hostIP':
      return facts.hostIPs[0];
    case 'status.hostIPs':
      return facts.hostIPs.join(',');
    default:
      return undefined;
  }
}

/** A probe's port as a number, resolving a named container port. */
export function probePort(port: number | string, c: Container): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return c.ports?.find((p) => p.name === port)?.containerPort;
}

export interface ObservedContainer {
  name: string;
  image: string;
  running: boolean;
  ready: boolean;
  pid?: number;
  startedAt?: string;
  restartCount: number;
  waitingReason?: string;
  waitingMessage?: string;
  lastExit?: { exitCode: number; startedAt?: string; finishedAt: string };
}

const time = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The Pod status a kubelet would report for what the agent observed. */
export function podStatus(pod: Pod, observed: ObservedContainer[], facts: PodFacts, startTime: string, now: Date) {
  const allReady = observed.length > 0 && observed.every((c) => c.ready);
  const allRunning = observed.length > 0 && observed.every((c) => c.running);
  const finished = observed.length > 0 && observed.every((c) => !c.running && c.lastExit !== undefined && c.waitingReason === undefined);
  const policy = pod.spec?.restartPolicy ?? 'Always';
  let phase = 'Pending';
  if (allRunning) phase = 'Running';
  else if (finished && policy !== 'Always') phase = observed.every((c) => c.lastExit?.exitCode === 0) ? 'Succeeded' : 'Failed';
  else if (observed.some((c) => c.running || c.restartCount > 0)) phase = 'Running';
  const prev = new Map((pod.status as { conditions?: { type: string; status: string; lastTransitionTime?: string }[] } | undefined)?.conditions?.map((c) => [c.type, c]) ?? []);
  const cond = (type: string, ok: boolean) => {
    const status = ok ? 'True' : 'False';
    const before = prev.get(type);
    return { type, status, lastProbeTime: null, lastTransitionTime: before?.status === status && before.lastTransitionTime ? before.lastTransitionTime : time(now) };
  };
  const containerStatuses: ContainerStatus[] = observed.map((c) => ({
    name: c.name,
    image: c.image,
    imageID: `lab://${c.image}`,
    ...(c.pid ? { containerID: `fleetlb-lab://${c.pid}` } : {}),
    ready: c.ready,
    started: c.running,
    restartCount: c.restartCount,
    state: c.running
      ? { running: { startedAt: c.startedAt ?? time(now) } }
      : c.waitingReason
        ? { waiting: { reason: c.waitingReason, ...(c.waitingMessage ? { message: c.waitingMessage } : {}) } }
        : c.lastExit
          ? { terminated: { exitCode: c.lastExit.exitCode, reason: c.lastExit.exitCode === 0 ? 'Completed' : 'Error', ...(c.lastExit.startedAt ? { startedAt: c.lastExit.startedAt } : {}), finishedAt: c.lastExit.finishedAt } }
          : { waiting: { reason: 'ContainerCreating' } },
    ...(c.lastExit && c.running ? { lastState: { terminated: { exitCode: c.lastExit.exitCode, reason: c.lastExit.exitCode === 0 ? 'Completed' : 'Error', finishedAt: c.lastExit.finishedAt } } } : {}),
  }));
  return {
    phase,
    conditions: [
      cond('PodReadyToStartContainers', true),
      cond('Initialized', true),
      cond('Ready', allReady),
      cond('ContainersReady', allReady),
      cond('PodScheduled', true),
    ],
    hostIP: facts.hostIPs[0],
    hostIPs: facts.hostIPs.map((ip) => ({ ip })),
    podIP: facts.podIPs[0],
    podIPs: facts.podIPs.map((ip) => ({ ip })),
    startTime,
    containerStatuses,
  };
}
