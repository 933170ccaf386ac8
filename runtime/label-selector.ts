import type { LabelSelector } from '../api/meta.js';

/**
 * metav1.LabelSelector semantics: every matchLabels pair and every matchExpression must hold; an
 * empty selector matches everything. A malformed expression (unknown operator, In without
 * values) matches nothing, as the API machinery refuses such selectors.
 */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (values.length === 0 || !has || !values.includes(labels[e.key] as string)) return false;
        break;
      case 'NotIn':
        if (values.length === 0 || (has && values.includes(labels[e.key] as string))) return false;
        break;
      case 'Exists':
        if (values.length > 0 || !has) return false;
        break;
      case 'DoesNotExist':
        if (values.length > 0 || has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
