import { createServer, connect, type Socket } from 'node:net';
import { rmSync } from 'node:fs';

/**
 * A byte relay between network namespaces: Unix sockets are files, visible from every namespace,
 * so a relay in the host's namespace (unix → 127.0.0.1:port) and one in a node's namespace
 * (address:port → unix) join a node to an API server on the host's loopback without giving the
 * host an address on the lab LAN. TLS passes through untouched.
 *
 * Usage: relay LISTEN=CONNECT … where each side is `unix:/path` or `tcp:host:port`.
 */

type Endpoint = { unix: string } | { host: string; port: number };

export function parseEndpoint(text: string): Endpoint {
  if (text.startsWith('unix:')) return { unix: text.slice(5) };
  const m = /^tcp:(.+):(\d+)$/.exec(text);
  if (!m?.[1] || !m[2]) throw new Error(`not an endpoint: ${text} (use unix:/path or tcp:host:port)`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

function pipe(a: Socket, b: Socket): void {
  a.pipe(b);
  b.pipe(a);
  const end = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', end).on('close', end);
  b.on('error', end).on('close', end);
}

export function relay(listen: Endpoint, target: Endpoint): Promise<void> {
  const server = createServer((client) => pipe(client, 'unix' in target ? connect(target.unix) : connect(target.port, target.host)));
  if ('unix' in listen) rmSync(listen.unix, { force: true });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    if ('unix' in listen) server.listen(listen.unix, resolve);
    else server.listen(listen.port, listen.host, resolve);
  });
}
