import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCodes, FleetlbError } from '../runtime/errors.js';
import { repoRoot } from '../runtime/repo-root.js';
import { runCommand, type CommandResult } from './run-command.js';
import type { LabState } from './state.js';
import { parseKuardAnswer, podOrigin, shortAnswer, type Captures, type CommandStep, type CurlStep, type KuardAnswer, type Step, type StepContext } from './walkthrough-steps.js';

/**
 * Plays a step list (lab/walkthrough-steps.ts) against a running lab: prints each command as a
 * user types it and its real output, waits (bounded) where the walkthrough says to check, and
 * returns what every step printed, for the end-to-end test to assert on.
 */

/** Where commands run; `labShell` is the real one. */
export interface WalkthroughShell {
  kubectl(cluster: string, args: string[]): Promise<CommandResult>;
  fleetlb(args: string[]): Promise<CommandResult>;
  /** A command inside a lab namespace (client, router, a node). */
  exec(where: string, command: string[]): Promise<CommandResult>;
  kubeconfig(cluster: string): string;
  /** The transcript: commands and their output. */
  out(line: string): void;
  /** Progress beside the transcript (waiting, retrying). */
  note(line: string): void;
}

export type { CommandResult };

export interface Answer extends KuardAnswer {
  /** The cluster and node whose pod CIDR holds the pod's first address. */
  cluster?: string;
  node?: string;
}

export interface StepRecord {
  id: string;
  command: string;
  output: string;
  answers?: Answer[];
}

const POLL_MS = 2000;
const CURL_TIMEOUT_S = 3;

/** The real shell over a lab: its kubectl, the built fleetlb, `ip netns exec`. */
export function labShell(state: LabState, print: { out: (l: string) => void; note: (l: string) => void }): WalkthroughShell {
  const cluster = (name: string) => {
    const c = state.clusters.find((x) => x.name === name);
    if (!c) throw new FleetlbError(ErrorCodes.LAB_NOT_RUNNING, `The lab in ${state.dir} has no cluster ${name}.`);
    return c;
  };
  const named = (where: string): string => {
    const net = state.network;
    if (!net) throw new FleetlbError(ErrorCodes.LAB_NEEDS_ROOT, `The lab in ${state.dir} has no network (it was started without root or with --no-network).`);
    const ns: Record<string, string> = { client: net.plan.client.netns, router: net.plan.router.netns, lan: net.plan.lanNetns };
    for (const n of net.plan.nodes) ns[n.name] = n.netns;
    const found = ns[where];
    if (!found) throw new FleetlbError(ErrorCodes.CLI_USAGE, `'${where}' is not a lab namespace.`);
    return found;
  };
  return {
    kubectl: (name, args) =>
      runCommand(join(state.binDir, 'kubectl'), ['--kubeconfig', cluster(name).kubeconfig, ...args], { env: { KUBECACHEDIR: join(state.dir, 'kube-cache') }, timeoutMs: 60_000 }),
    fleetlb: (args) => runCommand(process.execPath, [join(repoRoot(), 'bin', 'fleetlb.js'), ...args], { timeoutMs: 120_000 }),
    exec: (where, command) => runCommand('ip', ['netns', 'exec', named(where), ...command], { timeoutMs: 30_000 }),
    kubeconfig: (name) => cluster(name).kubeconfig,
    out: print.out,
    note: print.note,
  };
}

/** A path as a person types it: relative to the working directory when inside it. */
export function shownPath(p: string, cwd = process.cwd()): string {
  if (!isAbsolute(p)) return p;
  const r = relative(cwd, p);
  return r && !r.startsWith('..') && !isAbsolute(r) ? r : p;
}

/** How a step's command looks in the transcript. */
export function shownCommand(step: CommandStep, args: string[], kubeconfig: string | undefined, cwd = process.cwd()): string {
  const words = args.map((a) => {
    const p = shownPath(a, cwd);
    return /^[\w@%+=:,./-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`;
  });
  if (step.kind === 'fleetlb') return `fleetlb ${words.join(' ')}`;
  return `${kubeconfig ? `KUBECONFIG=${shownPath(kubeconfig, cwd)} ` : ''}kubectl ${words.join(' ')}`;
}

function indent(text: string): string[] {
  return text.replace(/\s+$/, '').split('\n');
}

async function runCommandStep(step: CommandStep, ctx: StepContext, sh: WalkthroughShell): Promise<StepRecord> {
  const args = step.args(ctx);
  const command = shownCommand(step, args, step.cluster ? sh.kubeconfig(step.cluster) : undefined);
  if (step.show) {
    const path = ctx.repoFile(step.show);
    sh.out(`$ cat ${shownPath(path)}`);
    for (const l of indent(await readFile(path, 'utf8'))) sh.out(l);
  }
  sh.out(`$ ${command}`);
  const run = () => (step.kind === 'fleetlb' ? sh.fleetlb(args) : sh.kubectl(step.cluster ?? 'hub', args));
  const started = Date.now();
  let r = await run();
  if (step.until) {
    const deadline = started + step.until.timeoutMs;
    let missing = r.code === 0 ? step.until.check(r.stdout, ctx.values) : (r.stderr.trim() || `exit ${r.code}`);
    let said = '';
    while (missing !== undefined) {
      if (Date.now() >= deadline) {
        throw new FleetlbError(ErrorCodes.WALKTHROUGH_NOT_READY, `Waited ${Math.round(step.until.timeoutMs / 1000)} s for ${step.until.waitingFor}, in vain: ${missing}. The last output of '${command}' is below.`, {
          details: indent(r.stdout + r.stderr),
        });
      }
      if (missing !== said) sh.note(`  … waiting for ${step.until.waitingFor} (${missing})`);
      said = missing;
      await sleep(POLL_MS);
      r = await run();
      missing = r.code === 0 ? step.until.check(r.stdout, ctx.values) : (r.stderr.trim() || `exit ${r.code}`);
    }
    if (Date.now() - started > POLL_MS) sh.note(`  (ready after ${Math.round((Date.now() - started) / 1000)} s)`);
  } else if (r.code !== 0) {
    throw new FleetlbError(ErrorCodes.WALKTHROUGH_STEP_FAILED, `'${command}' failed (exit ${r.code}): read its answer below.`, { details: indent(r.stderr + r.stdout) });
  }
  for (const l of indent(r.stdout + (r.code === 0 ? '' : r.stderr))) sh.out(l);
  Object.assign(ctx.values, step.capture?.(r.stdout) ?? {});
  return { id: step.id, command, output: r.stdout };
}

/** One request from `from`: kuard's page line with "addrs", or why there is none. */
export async function askKuard(sh: WalkthroughShell, from: string, target: string, family?: 4 | 6): Promise<{ line?: string; answer?: KuardAnswer; error?: string }> {
  const r = await sh.exec(from, ['curl', '-sS', '-g', ...(family ? [`-${family}`] : []), '--max-time', String(CURL_TIMEOUT_S), `http://${target}/`]);
  if (r.code !== 0) return { error: r.stderr.trim() || `curl exit ${r.code}` };
  const line = r.stdout.split('\n').find((l) => l.includes('addrs'));
  const answer = line === undefined ? undefined : parseKuardAnswer(line);
  return answer ? { line, answer } : { error: 'the answer has no kuard page context' };
}

async function runCurlStep(step: CurlStep, values: Captures, sh: WalkthroughShell, plan: LabState['network']): Promise<StepRecord> {
  const target = step.target(values);
  const family = target.startsWith('[') ? 6 : undefined;
  const command = `curl ${family ? `-6 -g '${target}'` : target} | grep addrs`;
  sh.out(`$ ${command}        # ×${step.min} or more, from the lab's ${step.from} (fleetlb lab exec ${step.from} -- …)`);
  const started = Date.now();
  let first = await askKuard(sh, step.from, target, family);
  let said = '';
  while (!first.answer) {
    if (Date.now() - started >= step.firstAnswerMs) {
      throw new FleetlbError(ErrorCodes.WALKTHROUGH_NOT_READY, `No answer from ${target} within ${Math.round(step.firstAnswerMs / 1000)} s (${first.error ?? 'no answer'}): see 'fleetlb explain mcs' on the member and the speakers' logs in the lab's logs/pods.`);
    }
    if (first.error !== said) sh.note(`  … waiting for ${target} to answer (${first.error ?? ''})`);
    said = first.error ?? '';
    await sleep(POLL_MS);
    first = await askKuard(sh, step.from, target, family);
  }
  const answers: Answer[] = [];
  const lines: string[] = [];
  const record = (a: KuardAnswer) => {
    const origin = plan ? podOrigin(plan.plan, a.addrs[0] ?? '') : undefined;
    answers.push({ ...a, ...(origin ?? {}) });
    const line = `${shortAnswer(a)}    <- ${origin ? `${origin.cluster} (${origin.node})` : 'unknown cluster'}`;
    lines.push(line);
    sh.out(line);
  };
  record(first.answer);
  const seenAll = () => step.expect.every((c) => answers.some((a) => a.cluster === c));
  for (let i = 1; i < step.max && (i < step.min || !seenAll()); i++) {
    const r = await askKuard(sh, step.from, target, family);
    if (r.answer) record(r.answer);
    else {
      lines.push(`(no answer: ${r.error ?? ''})`);
      sh.out(`(no answer: ${r.error ?? ''})`);
    }
  }
  const by = new Map<string, number>();
  for (const a of answers) by.set(a.cluster ?? 'unknown', (by.get(a.cluster ?? 'unknown') ?? 0) + 1);
  sh.out(`# ${answers.length} answers: ${[...by].map(([c, n]) => `${n} from ${c}`).join(', ')}`);
  return { id: step.id, command, output: lines.join('\n'), answers };
}

/** Play `steps` in order; a step that fails or does not become ready within its bound throws. */
export async function runSteps(steps: readonly Step[], sh: WalkthroughShell, opts: { state: LabState; values?: Captures; numberFrom?: number }): Promise<{ records: StepRecord[]; values: Captures }> {
  const ctx: StepContext = { kubeconfig: sh.kubeconfig, repoFile: (p) => join(repoRoot(), p), values: { ...(opts.values ?? {}) } };
  const records: StepRecord[] = [];
  let n = opts.numberFrom ?? 1;
  for (const step of steps) {
    sh.out('');
    sh.out(`# ${n++}. ${step.say}`);
    records.push(step.kind === 'curl' ? await runCurlStep(step, ctx.values, sh, opts.state.network) : await runCommandStep(step, ctx, sh));
  }
  return { records, values: ctx.values };
}
