import type { KubeClient } from './kube-client.js';
import type { ResourceRef } from './resource.js';

/**
 * API discovery: which kinds a server serves, under which resource name, and whether they are
 * namespaced. The placement side needs it both ways: the hub lists every namespaced kind inside a
 * selected Namespace; a member maps a manifest's apiVersion and kind to where it is applied.
 */

export interface DiscoveredResource extends ResourceRef {
  verbs: string[];
}

interface APIResourceList {
  groupVersion?: string;
  resources?: { name: string; kind: string; namespaced: boolean; verbs?: string[] }[];
}

interface APIGroupList {
  groups?: { name: string; preferredVersion?: { version: string }; versions?: { version: string }[] }[];
}

function fromList(group: string, version: string, list: APIResourceList): DiscoveredResource[] {
  return (list.resources ?? [])
    .filter((r) => !r.name.includes('/')) // subresources
    .map((r) => ({ group, version, kind: r.kind, plural: r.name, namespaced: r.namespaced, verbs: r.verbs ?? [] }));
}

export class Discovery {
  private cache: { at: number; resources: DiscoveredResource[] } | undefined;
  private readonly byGroupVersion = new Map<string, { at: number; resources: DiscoveredResource[] }>();

  constructor(
    private readonly client: KubeClient,
    /** How long an answer is reused; CRDs come and go, so not forever. */
    private readonly ttlMs = 30_000,
  ) {}

  /** Every served resource at each group's preferred version. */
  async all(): Promise<DiscoveredResource[]> {
    if (this.cache && Date.now() - this.cache.at < this.ttlMs) return this.cache.resources;
    const resources = fromList('', 'v1', await this.client.request<APIResourceList>('GET', '/api/v1'));
    const groups = await this.client.request<APIGroupList>('GET', '/apis');
    for (const g of groups.groups ?? []) {
      const v = g.preferredVersion?.version ?? g.versions?.[0]?.version;
      if (!v) continue;
      resources.push(...(await this.groupVersion(g.name, v)));
    }
    this.cache = { at: Date.now(), resources };
    return resources;
  }

  private async groupVersion(group: string, version: string): Promise<DiscoveredResource[]> {
    const key = `${group}/${version}`;
    const hit = this.byGroupVersion.get(key);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.resources;
    const path = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
    const resources = fromList(group, version, await this.client.request<APIResourceList>('GET', path));
    this.byGroupVersion.set(key, { at: Date.now(), resources });
    return resources;
  }

  /** Where objects of `apiVersion` + `kind` live, or undefined when the server does not serve them. */
  async forKind(apiVersion: string, kind: string): Promise<DiscoveredResource | undefined> {
    const i = apiVersion.indexOf('/');
    const group = i < 0 ? '' : apiVersion.slice(0, i);
    const version = i < 0 ? apiVersion : apiVersion.slice(i + 1);
    const find = (list: DiscoveredResource[]) => list.find((r) => r.kind === kind);
    try {
      const found = find(await this.groupVersion(group, version));
      if (found) return found;
      // A CRD installed a moment ago: ask again rather than wait for the cache to expire.
      this.byGroupVersion.delete(`${group}/${version}`);
      return find(await this.groupVersion(group, version));
    } catch {
      return undefined;
    }
  }
}
