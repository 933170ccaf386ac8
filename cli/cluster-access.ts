import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { ErrorCodes, FleetlbError } from '../runtime/errors.js';
import { ApiError, KubeClient } from '../runtime/kube-client.js';
import type { KubeObject } from '../runtime/resource.js';

/** What the operator commands share: reaching a cluster and printing objects the kubectl way. */

export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  if (!kc.getCurrentCluster()) throw new FleetlbError(ErrorCodes.CLI_USAGE, 'no cluster to talk to: give --kubeconfig, set KUBECONFIG, or run in a pod.');
  return kc;
}

export function cliClient(kubeconfig?: string): KubeClient {
  return new KubeClient(loadKubeConfig(kubeconfig), { fieldManager: 'fleetlb-cli' });
}

/**
 * A CRD established a moment ago can still answer 503 "storage is (re)initializing" for a few
 * seconds; the request was not processed, so asking again is safe.
 */
async function withStorageRetry<T>(call: () => Promise<T>, budgetMs = 30_000): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 503) || Date.now() > deadline) throw err;
      await sleep(250);
    }
  }
}

/** The API server's own refusal (it names the field) as one sentence, instead of a stack. */
export async function explained<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await withStorageRetry(call);
  } catch (err) {
    if (err instanceof ApiError) throw new FleetlbError(ErrorCodes.KUBE_API_ERROR, `${what} failed: ${err.message}`, { cause: err });
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH') {
      throw new FleetlbError(ErrorCodes.KUBE_API_ERROR, `${what} failed: the API server cannot be reached (${code}); check --kubeconfig.`, { cause: err });
    }
    throw err;
  }
}

export type OutputFormat = 'yaml' | 'json';

export function parseOutput(text: string): OutputFormat {
  if (text !== 'yaml' && text !== 'json') throw new FleetlbError(ErrorCodes.CLI_USAGE, `-o ${text} is not supported: use yaml or json.`);
  return text;
}

export function formatObjects(objs: readonly KubeObject[], format: OutputFormat): string {
  if (format === 'json') return JSON.stringify(objs.length === 1 ? objs[0] : { apiVersion: 'v1', kind: 'List', items: objs }, null, 2) + '\n';
  return objs.map((o) => stringify(o)).join('---\n');
}

/** kubectl's resource word: `ipaddresspool.metallb.io/name`. */
export function resourceWord(obj: KubeObject): string {
  const group = (obj.apiVersion ?? '').includes('/') ? `.${obj.apiVersion!.split('/')[0]}` : '';
  return `${(obj.kind ?? '').toLowerCase()}${group}/${obj.metadata.name ?? ''}`;
}

/** Rows as kubectl prints tables: columns padded to the widest cell, three spaces apart. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('')).join('\n') + '\n';
}
