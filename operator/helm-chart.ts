import { parseAllDocuments } from 'yaml';

/**
 * The Helm chart in deploy/helm/fleetlb is generated from crds/ and deploy/, so it installs
 * exactly the manifests the lab deploys and tests (`npm run chart` rewrites it; a unit test fails
 * when it is out of date). Pure: source files in, chart files out. The only templating is which
 * role's folders a release gets, the image, and the optional parts: the manifests stay readable
 * and reviewable as they are in deploy/.
 */

export interface SourceFile {
  /** Relative to the repository: `crds/x.yaml`, `deploy/namespace.yaml`, `deploy/hub/rbac.yaml`. */
  path: string;
  text: string;
}

export interface ChartFile {
  /** Relative to the chart directory. */
  path: string;
  text: string;
}

/** The image the manifests in deploy/ name; the chart makes it a value. */
export const DEPLOY_IMAGE = 'ghcr.io/fleetlb/fleetlb:0.1.0';
export const CHART_VERSION = '0.1.0';

const GENERATED = '# Generated from deploy/ by `npm run chart`: edit deploy/, not this file.\n';

/** Literal `{{`/`}}` (Prometheus alert templates) must reach the output as text, not as Helm. */
const escapeHelm = (text: string) => text.replace(/\{\{|\}\}/g, (m) => `{{ "${m}" }}`);

/** Whether a CRD file holds only CustomResourceDefinitions (Helm's crds/ takes nothing else). */
function onlyCRDs(text: string): boolean {
  return parseAllDocuments(text).every((d) => (d.toJS() as { kind?: string } | null)?.kind === 'CustomResourceDefinition');
}

function condition(path: string): string | undefined {
  const parts = path.split('/');
  if (parts[0] !== 'deploy') return undefined;
  if (parts.length === 2) return parts[1] === 'namespace.yaml' ? '.Values.createNamespace' : undefined;
  if (parts[1] === 'hub') return 'eq .Values.role "hub"';
  if (parts[1] === 'optional' && parts[2] === 'prometheus') return '.Values.prometheus.enabled';
  return 'eq .Values.role "member"';
}

export function chartFiles(sources: readonly SourceFile[]): ChartFile[] {
  const out: ChartFile[] = [
    {
      path: 'Chart.yaml',
      text: `${GENERATED}apiVersion: v2
name: fleetlb
description: Multi-cluster fleet L4 load balancing for Kubernetes on your own network (hub, member agent, speaker)
type: application
version: ${CHART_VERSION}
appVersion: "${CHART_VERSION}"
kubeVersion: ">=1.30.0-0"
`,
    },
    {
      path: 'values.yaml',
      text: `${GENERATED}# hub: the fleet's hub cluster (fleetlb hub). member: a member cluster (member agent and speakers).
role: member
image:
  repository: ${DEPLOY_IMAGE.split(':')[0]}
  tag: "${DEPLOY_IMAGE.split(':')[1]}"
# The manifests live in fleetlb-system: install with -n fleetlb-system --create-namespace, or set
# this to true to have the chart create the namespace itself.
createNamespace: false
# PodMonitor and alert rules; needs the Prometheus operator's CRDs.
prometheus:
  enabled: false
`,
    },
  ];
  for (const f of [...sources].sort((a, b) => a.path.localeCompare(b.path))) {
    if (!/\.ya?ml$/.test(f.path)) continue;
    if (f.path.startsWith('crds/')) {
      // CRDs go to crds/ (installed before templates, never templated); other cluster-wide
      // objects in crds/ (the weight ValidatingAdmissionPolicy) are templates for every role.
      out.push(onlyCRDs(f.text) ? { path: f.path, text: f.text } : { path: `templates/${f.path.replace(/\//g, '-')}`, text: `${GENERATED}${escapeHelm(f.text)}` });
      continue;
    }
    if (!f.path.startsWith('deploy/') || f.path.startsWith('deploy/helm/')) continue;
    const cond = condition(f.path);
    const name = f.path.slice('deploy/'.length).replace(/\//g, '-');
    const body = escapeHelm(f.text).split(DEPLOY_IMAGE).join('{{ .Values.image.repository }}:{{ .Values.image.tag }}');
    out.push({ path: `templates/${name}`, text: cond ? `${GENERATED}{{- if ${cond} }}\n${body.endsWith('\n') ? body : body + '\n'}{{- end }}\n` : `${GENERATED}${body}` });
  }
  return out;
}

/**
 * What Helm renders for one set of values, for the test that the chart means what deploy/ says:
 * the conditions above and the image value, evaluated the way Helm evaluates them.
 */
export function renderLikeHelm(template: string, values: { role: string; createNamespace: boolean; prometheus: boolean; image: string }): string {
  const [repository, tag] = [values.image.slice(0, values.image.lastIndexOf(':')), values.image.slice(values.image.lastIndexOf(':') + 1)];
  let text = template.startsWith(GENERATED) ? template.slice(GENERATED.length) : template;
  const m = /^\{\{- if (.+) \}\}\n([\s\S]*)\{\{- end \}\}\n$/.exec(text);
  if (m) {
    const cond = m[1]!;
    const on = cond === '.Values.createNamespace' ? values.createNamespace : cond === '.Values.prometheus.enabled' ? values.prometheus : cond === `eq .Values.role "${values.role}"`;
    text = on ? m[2]! : '';
  }
  return text
    .split('{{ .Values.image.repository }}:{{ .Values.image.tag }}').join(`${repository}:${tag}`)
    .replace(/\{\{ "(\{\{|\}\})" \}\}/g, '$1');
}
