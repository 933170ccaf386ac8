import { createSocket } from 'node:dgram';
import { createServer } from 'node:http';
import { isKuardImage, kuardPage, plainPage, type PodIdentity } from './page.js';

/**
 * The process a lab pod runs when its image is not fleetlb's: HTTP on every TCP containerPort,
 * an echo on every UDP one. Configured by environment (set by the node agent):
 * LAB_POD, LAB_NAMESPACE, LAB_NODE, LAB_CLUSTER, LAB_ADDRS (comma list), LAB_IMAGE,
 * LAB_PORTS (e.g. "8080/TCP,53/UDP").
 */
const env = (k: string) => process.env[k] ?? '';
const id: PodIdentity = {
  pod: env('LAB_POD'),
  namespace: env('LAB_NAMESPACE'),
  node: env('LAB_NODE'),
  cluster: env('LAB_CLUSTER'),
  addrs: env('LAB_ADDRS').split(',').filter(Boolean),
  image: env('LAB_IMAGE'),
};
const kuard = isKuardImage(id.image);
const ports = env('LAB_PORTS').split(',').filter(Boolean).map((p) => {
  const [port, proto = 'TCP'] = p.split('/');
  return { port: Number(port), proto: proto.toUpperCase() };
});
if (ports.length === 0) ports.push({ port: 8080, proto: 'TCP' });

const listening: Promise<void>[] = [];
for (const { port, proto } of ports) {
  if (proto === 'UDP') {
    for (const type of ['udp4', 'udp6'] as const) {
      const sock = createSocket({ type, ipv6Only: type === 'udp6' });
      sock.on('message', (msg, rinfo) => sock.send(msg, rinfo.port, rinfo.address));
      sock.on('error', (err) => process.stderr.write(`udp ${port}: ${err.message}\n`));
      listening.push(new Promise((resolve) => sock.bind(port, resolve)));
    }
  } else if (proto === 'TCP') {
    const server = createServer((req, res) => {
      const path = req.url ?? '/';
      if (path === '/healthy' || path === '/ready' || path === '/healthz' || path === '/readyz') {
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
        return;
      }
      const body = kuard ? kuardPage(id, { path, remote: `${req.socket.remoteAddress ?? ''}:${req.socket.remotePort ?? ''}` }) : plainPage(id);
      res.writeHead(200, { 'Content-Type': kuard ? 'text/html' : 'text/plain' }).end(body);
    });
    listening.push(new Promise((resolve) => server.listen({ port, host: '::', ipv6Only: false }, resolve)));
  } else {
    process.stderr.write(`port ${port}/${proto}: protocol not served by the lab backend\n`);
  }
}
await Promise.all(listening);
// The node agent waits for this line before it reports the container started.
process.stdout.write(`listening ${ports.map((p) => `${p.port}/${p.proto}`).join(' ')}\n`);
process.on('SIGTERM', () => process.exit(0));
