import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A loopback TCP relay between a client and a real API server, so a test can cut one client off
 * (partition) while the rest of the lab keeps working. TLS passes through untouched.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<[Socket, Socket]>();
  private frozen = false;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async listen(): Promise<number> {
    this.server = createServer((client) => {
      if (this.frozen) {
        // New connections hang too, as behind a dead link.
        client.pause();
        this.pairs.add([client, client]);
        return;
      }
      const upstream = connect(this.target.port, this.target.host);
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      client.pipe(upstream);
      upstream.pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
        this.pairs.delete(pair);
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server?.address() as AddressInfo).port;
    return this.port;
  }

  /** Stop moving bytes in both directions without closing anything: a silent partition. */
  freeze(): void {
    this.frozen = true;
    for (const [a, b] of this.pairs) {
      a.unpipe();
      b.unpipe();
      a.pause();
      b.pause();
    }
  }

  /** Drop every connection and accept new ones again. */
  heal(): void {
    this.frozen = false;
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
  }

  async close(): Promise<void> {
    this.heal();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
