import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface ClientTLS {
  ca?: string;
  cert?: string;
  key?: string;
}

export interface Probe {
  status: number;
  body: string;
}

/** One GET with a short timeout; rejects on connection errors. */
export function get(url: string, tls: ClientTLS = {}, timeoutMs = 3000): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const done = (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    };
    const req =
      u.protocol === 'https:'
        ? // Without a CA we are probing a component's self-signed serving cert on loopback.
          httpsRequest(u, { ...tls, rejectUnauthorized: tls.ca !== undefined, timeout: timeoutMs }, done)
        : httpRequest(u, { timeout: timeoutMs }, done);
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export async function healthy(url: string, tls: ClientTLS = {}): Promise<{ ok: boolean; detail: string }> {
  try {
    const r = await get(url, tls);
    return { ok: r.status === 200, detail: r.status === 200 ? 'ok' : `HTTP ${r.status}: ${r.body.slice(0, 200).trim()}` };
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
}
