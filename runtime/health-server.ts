import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registry } from './metrics.js';

/**
 * `/healthz` (the process is alive), `/readyz` (every named check passes) and `/metrics`
 * (Prometheus text) on one port per process, as kubelet probes and Prometheus expect.
 */

export type Check = () => boolean | string;

export class HealthServer {
  private readonly checks = new Map<string, Check>();
  private server: Server | undefined;

  /** A readiness check: true when ready, or a string saying why not. */
  addReadyCheck(name: string, check: Check): void {
    this.checks.set(name, check);
  }

  readiness(): { ready: boolean; lines: string[] } {
    const lines: string[] = [];
    let ready = true;
    for (const [name, check] of this.checks) {
      let r: boolean | string;
      try {
        r = check();
      } catch (err) {
        r = (err as Error).message;
      }
      const ok = r === true;
      ready &&= ok;
      lines.push(ok ? `[+]${name} ok` : `[-]${name} failed: ${r === false ? 'not ready' : String(r)}`);
    }
    return { ready, lines };
  }

  async listen(port: number, host = '0.0.0.0'): Promise<number> {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/healthz' || path === '/livez') {
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
      } else if (path === '/readyz') {
        const { ready, lines } = this.readiness();
        res.writeHead(ready ? 200 : 503, { 'Content-Type': 'text/plain' }).end(lines.join('\n') + `\nreadyz check ${ready ? 'passed' : 'failed'}\n`);
      } else if (path === '/metrics') {
        registry.metrics().then(
          (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
          (err: Error) => res.writeHead(500).end(err.message),
        );
      } else {
        res.writeHead(404).end('not found');
      }
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(port, host, resolve);
    });
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
