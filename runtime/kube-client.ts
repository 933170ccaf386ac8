import { Agent, request, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';
import type { KubeConfig } from '@kubernetes/client-node';
import { apiVersion, collectionPath, objectPath, type KubeObject, type ResourceRef } from './resource.js';

/**
 * A small JSON client for any resource, on the credentials of a KubeConfig. Every write names a
 * field manager and sends the content type its patch strategy needs (client-node defaults a patch
 * to JSON-patch, which servers reject for merge bodies: reference/ecosystem.md).
 */

/** An error answer from the API server, with its HTTP status and `Status.reason`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const isNotFound = (err: unknown) => err instanceof ApiError && err.status === 404;
export const isConflict = (err: unknown) => err instanceof ApiError && err.status === 409;
export const isGone = (err: unknown) => err instanceof ApiError && err.status === 410;
export const isForbidden = (err: unknown) => err instanceof ApiError && err.status === 403;

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size; pages are followed to the end. */
  limit?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchOptions extends Omit<ListOptions, 'limit'> {
  resourceVersion: string;
  /** Server-side timeout: the server ends the watch cleanly after this many seconds. */
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

interface StatusBody {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
  details?: unknown;
}

function toApiError(status: number, body: string): ApiError {
  let parsed: StatusBody = {};
  try {
    parsed = JSON.parse(body) as StatusBody;
  } catch {
    /* not a Status */
  }
  return new ApiError(status, parsed.reason ?? '', parsed.message ?? (body.slice(0, 300) || `HTTP ${status}`), parsed.details);
}

export interface KubeClientOptions {
  fieldManager: string;
  userAgent?: string;
  /** Per-request timeout for everything but watches (default 30 s). */
  timeoutMs?: number;
}

export class KubeClient {
  readonly server: URL;
  readonly fieldManager: string;
  private readonly agent: Agent;
  private readonly tls: Promise<RequestOptions>;
  private readonly timeoutMs: number;
  private readonly userAgent: string;

  constructor(kc: KubeConfig, opts: KubeClientOptions) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
    this.fieldManager = opts.fieldManager;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.userAgent = opts.userAgent ?? `fleetlb/${opts.fieldManager}`;
    this.agent = new Agent({ keepAlive: true, maxSockets: 32 });
    this.tls = (async () => {
      const o: RequestOptions = {};
      await kc.applyToHTTPSOptions(o);
      return o;
    })();
  }

  private async open(method: string, path: string, opts: { query?: Record<string, string | undefined>; body?: string; contentType?: string; signal?: AbortSignal; timeoutMs?: number }): Promise<IncomingMessage> {
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const tls = await this.tls;
    const headers: Record<string, string> = { ...(tls.headers as Record<string, string> | undefined), Accept: 'application/json', 'User-Agent': this.userAgent };
    if (opts.body !== undefined) {
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(opts.body));
    }
    return new Promise((resolve, reject) => {
      const req = request(url, { ...tls, method, headers, agent: this.agent, signal: opts.signal }, resolve);
      const timeout = opts.timeoutMs ?? this.timeoutMs;
      if (timeout > 0) req.setTimeout(timeout, () => req.destroy(new Error(`${method} ${url.pathname} timed out after ${timeout} ms`)));
      req.on('error', reject);
      req.end(opts.body);
    });
  }

  async request<T>(method: string, path: string, opts: { query?: Record<string, string | undefined>; body?: unknown; contentType?: string } = {}): Promise<T> {
    const res = await this.open(method, path, { ...opts, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw toApiError(status, text);
    return (text ? JSON.parse(text) : {}) as T;
  }

  get<T extends KubeObject>(ref: ResourceRef, name: string, namespace?: string): Promise<T> {
    return this.request<T>('GET', objectPath(ref, name, namespace));
  }

  /** Get, or undefined when the object does not exist. */
  async find<T extends KubeObject>(ref: ResourceRef, name: string, namespace?: string): Promise<T | undefined> {
    try {
      return await this.get<T>(ref, name, namespace);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async list<T extends KubeObject>(ref: ResourceRef, opts: ListOptions = {}): Promise<ListResult<T>> {
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.request<{ items?: T[]; metadata?: { resourceVersion?: string; continue?: string } }>('GET', collectionPath(ref, opts.namespace), {
        query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, limit: opts.limit ? String(opts.limit) : undefined, continue: cont },
      });
      // A list does not repeat apiVersion/kind on each item; put them back for consumers.
      for (const item of page.items ?? []) items.push({ apiVersion: apiVersion(ref), kind: ref.kind, ...item });
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return { items, resourceVersion };
  }

  create<T extends KubeObject>(ref: ResourceRef, obj: T): Promise<T> {
    return this.request<T>('POST', collectionPath(ref, obj.metadata.namespace), { body: obj, query: { fieldManager: this.fieldManager } });
  }

  /** PUT with the object's resourceVersion: optimistic concurrency, a race becomes a 409. */
  replace<T extends KubeObject>(ref: ResourceRef, obj: T, subresource?: string): Promise<T> {
    return this.request<T>('PUT', objectPath(ref, obj.metadata.name ?? '', obj.metadata.namespace, subresource), { body: obj, query: { fieldManager: this.fieldManager } });
  }

  async delete(ref: ResourceRef, name: string, namespace?: string, opts: { propagationPolicy?: 'Foreground' | 'Background' | 'Orphan'; preconditionUid?: string } = {}): Promise<boolean> {
    try {
      await this.request('DELETE', objectPath(ref, name, namespace), {
        body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: opts.propagationPolicy, preconditions: opts.preconditionUid ? { uid: opts.preconditionUid } : undefined },
      });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** Server-side apply of the fields this manager owns (optionally of a subresource such as status). */
  apply<T extends KubeObject>(ref: ResourceRef, obj: T, opts: { force?: boolean; subresource?: string } = {}): Promise<T> {
    const body = { apiVersion: apiVersion(ref), kind: ref.kind, ...obj };
    return this.request<T>('PATCH', objectPath(ref, obj.metadata.name ?? '', obj.metadata.namespace, opts.subresource), {
      body,
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager: this.fieldManager, force: opts.force === false ? undefined : 'true' },
    });
  }

  /** JSON merge patch (RFC 7386), e.g. for status fields shared with other writers. */
  mergePatch<T extends KubeObject>(ref: ResourceRef, name: string, namespace: string | undefined, patch: unknown, subresource?: string): Promise<T> {
    return this.request<T>('PATCH', objectPath(ref, name, namespace, subresource), {
      body: patch,
      contentType: 'application/merge-patch+json',
      query: { fieldManager: this.fieldManager },
    });
  }

  /**
   * One watch from `resourceVersion`. Resolves when the stream ends cleanly (server timeout or
   * abort); rejects with an ApiError for an error answer or an ERROR event (410 when the version
   * is too old), or with the network error.
   */
  async watch<T extends KubeObject>(ref: ResourceRef, opts: WatchOptions, onEvent: (type: WatchEventType, obj: T) => void): Promise<void> {
    const res = await this.open('GET', collectionPath(ref, opts.namespace), {
      query: {
        watch: 'true',
        resourceVersion: opts.resourceVersion,
        allowWatchBookmarks: 'true',
        timeoutSeconds: opts.timeoutSeconds ? String(opts.timeoutSeconds) : undefined,
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
      },
      signal: opts.signal,
      timeoutMs: 0,
    });
    const status = res.statusCode ?? 0;
    if (status !== 200) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      throw toApiError(status, Buffer.concat(chunks).toString('utf8'));
    }
    const lines = createInterface({ input: res, crlfDelay: Infinity });
    try {
      for await (const line of lines) {
        if (!line.trim()) continue;
        let ev: { type?: string; object?: unknown };
        try {
          ev = JSON.parse(line) as typeof ev;
        } catch {
          throw new ApiError(0, 'BadWatchEvent', `undecodable watch event: ${line.slice(0, 200)}`);
        }
        if (ev.type === 'ERROR') {
          const s = (ev.object ?? {}) as StatusBody;
          throw new ApiError(s.code ?? 500, s.reason ?? '', s.message ?? 'watch error', s.details);
        }
        if (ev.type === 'ADDED' || ev.type === 'MODIFIED' || ev.type === 'DELETED' || ev.type === 'BOOKMARK') {
          onEvent(ev.type, { apiVersion: apiVersion(ref), kind: ref.kind, ...(ev.object as T) });
        }
      }
    } catch (err) {
      if (opts.signal?.aborted) return;
      throw err;
    } finally {
      res.destroy();
    }
    if (!res.complete && !opts.signal?.aborted) throw new Error('watch stream ended before the server finished it');
  }

  close(): void {
    this.agent.destroy();
  }
}
