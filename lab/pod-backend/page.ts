/**
 * What a lab pod answers. Pure, so the page format is unit-tested: for kuard images a page like
 * kuard's, whose `"addrs":[…]` line `curl … | grep addrs` finds; for any other image a plain page
 * naming the pod, node and cluster.
 */

export interface PodIdentity {
  pod: string;
  namespace: string;
  node: string;
  cluster: string;
  addrs: string[];
  image: string;
}

export function isKuardImage(image: string): boolean {
  return /(^|\/)kuard(-amd64|-arm64)?(:|@|$)/.test(image);
}

export function kuardPage(id: PodIdentity, request: { path: string; remote: string }): string {
  const context = {
    urlBase: '',
    hostname: id.pod,
    addrs: id.addrs,
    version: 'v0.10.0-fleetlb-lab',
    versionColor: 'hsl(18,100%,50%)',
    requestDump: `GET ${request.path} HTTP/1.1`,
    requestProto: 'HTTP/1.1',
    requestAddr: request.remote,
  };
  // Real kuard embeds its page context as one JSON line in a script tag.
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head><meta charset="utf-8"><title>KUAR Demo</title></head>',
    '<body>',
    `<script>var pageContext = ${JSON.stringify(context)};</script>`,
    `<p>pod ${id.namespace}/${id.pod} on node ${id.node} in cluster ${id.cluster}</p>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

export function plainPage(id: PodIdentity): string {
  return `pod ${id.namespace}/${id.pod} on node ${id.node} in cluster ${id.cluster} (image ${id.image}, addresses ${id.addrs.join(', ')})\n`;
}
