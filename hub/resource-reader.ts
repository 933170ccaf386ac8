import type { ClusterResourceSelector, Manifest, ResourceIdentifier } from '../api/placement.js';
import type { Discovery } from '../runtime/discovery.js';
import type { KubeClient } from '../runtime/kube-client.js';
import { CoreResources, type KubeObject, type ResourceRef } from '../runtime/resource.js';
import { applyOrder, identify, isPlaceableKind, isReservedNamespace, sanitize, selectorPicks, shouldPropagate } from './resource-selection.js';

/**
 * Reads what placements select from the hub. Lists are cluster-wide and kept for `ttlMs`, so the
 * cost of a pass over every placement is one list per kind, not one per placement and namespace.
 */

type Obj = KubeObject & { [field: string]: unknown };

export interface Selection {
  manifests: Manifest[];
  selected: (ResourceIdentifier & { kind: string; name: string })[];
  /** Problems with single selector terms (unknown kind, namespaced kind); the rest is still placed. */
  problems: string[];
}

export class ResourceReader {
  private readonly lists = new Map<string, { at: number; items: Promise<Obj[]> }>();

  constructor(
    private readonly client: KubeClient,
    private readonly discovery: Discovery,
    private readonly ttlMs = 2_000,
  ) {}

  private list(ref: ResourceRef): Promise<Obj[]> {
    const key = `${ref.group}/${ref.version}/${ref.plural}`;
    const hit = this.lists.get(key);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.items;
    const items = this.client.list<Obj>(ref).then((r) => r.items);
    this.lists.set(key, { at: Date.now(), items });
    items.catch(() => this.lists.delete(key));
    return items;
  }

  async select(selectors: readonly ClusterResourceSelector[]): Promise<Selection> {
    const out = new Map<string, Manifest>();
    const problems: string[] = [];
    const add = (o: Obj) => {
      if (!shouldPropagate(o)) return;
      const m = sanitize(o);
      out.set(`${m.apiVersion}/${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name ?? ''}`, m);
    };
    for (const sel of selectors) {
      const apiVersion = sel.group ? `${sel.group}/${sel.version}` : sel.version;
      if (sel.group === '' && sel.kind === 'Namespace') {
        const namespaces = (await this.list(CoreResources.namespaces)).filter((n) => selectorPicks(sel, n) && !isReservedNamespace(n.metadata.name ?? '') && !n.metadata.deletionTimestamp);
        if (namespaces.length === 0) continue;
        for (const n of namespaces) add(n);
        if (sel.selectionScope === 'NamespaceOnly') continue;
        const names = new Set(namespaces.map((n) => n.metadata.name));
        const kinds = (await this.discovery.all()).filter((r) => r.namespaced && isPlaceableKind(r));
        for (const r of kinds) {
          let items: Obj[];
          try {
            items = await this.list(r);
          } catch (err) {
            problems.push(`cannot list ${r.plural}${r.group ? `.${r.group}` : ''}: ${(err as Error).message}`);
            continue;
          }
          for (const o of items) if (names.has(o.metadata.namespace)) add({ apiVersion: r.group ? `${r.group}/${r.version}` : r.version, kind: r.kind, ...o });
        }
        continue;
      }
      const r = await this.discovery.forKind(apiVersion, sel.kind);
      if (!r) {
        problems.push(`${sel.kind} ${apiVersion} is not served by the hub`);
        continue;
      }
      if (r.namespaced) {
        problems.push(`${sel.kind} is namespaced: select its Namespace instead`);
        continue;
      }
      if (!isPlaceableKind(r)) {
        problems.push(`${sel.kind} ${apiVersion} cannot be placed`);
        continue;
      }
      for (const o of await this.list(r)) if (selectorPicks(sel, o)) add({ apiVersion, kind: sel.kind, ...o });
    }
    const manifests = [...out.values()].sort(applyOrder);
    return { manifests, selected: manifests.map(identify), problems };
  }
}
