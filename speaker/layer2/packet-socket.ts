import { createRequire } from 'node:module';
import { join } from 'node:path';
import { repoRoot } from '../../runtime/repo-root.js';

/**
 * A raw link-layer socket (AF_PACKET) on one interface, from our N-API addon
 * (speaker/native/packet.c, built by `npm install`). Needs CAP_NET_RAW.
 */

interface Addon {
  open(ifname: string, ethertype: number): { fd: number; ifindex: number; mac: Buffer };
  send(fd: number, frame: Buffer): number;
  recv(fd: number, into: Buffer): number;
  watch(fd: number, onReadable: (status: number) => void): object;
  unwatch(handle: object): void;
  close(fd: number): void;
}

let addon: Addon | undefined;

function load(): Addon {
  addon ??= createRequire(import.meta.url)(join(repoRoot(), 'speaker', 'native', 'build', 'Release', 'fleetlb_packet.node')) as Addon;
  return addon;
}

export const ETH_P_ARP = 0x0806;
export const ETH_P_IPV6 = 0x86dd;

export class PacketSocket {
  private watchHandle: object | undefined;
  private readonly buf = Buffer.alloc(65536);
  private closed = false;

  private constructor(
    private readonly fd: number,
    readonly ifname: string,
    readonly ifindex: number,
    readonly mac: Buffer,
  ) {}

  static open(ifname: string, ethertype: number): PacketSocket {
    const { fd, ifindex, mac } = load().open(ifname, ethertype);
    return new PacketSocket(fd, ifname, ifindex, mac);
  }

  send(frame: Buffer): number {
    return load().send(this.fd, frame);
  }

  /** Deliver every frame that arrives; a handler's exception never stops reception. */
  onFrame(handler: (frame: Buffer) => void, onError: (err: Error) => void = () => {}): void {
    if (this.watchHandle) throw new Error('already receiving');
    this.watchHandle = load().watch(this.fd, () => {
      for (let i = 0; i < 256 && !this.closed; i++) {
        const n = load().recv(this.fd, this.buf);
        if (n < 0) break;
        try {
          handler(Buffer.from(this.buf.subarray(0, n)));
        } catch (err) {
          onError(err as Error);
        }
      }
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.watchHandle) load().unwatch(this.watchHandle);
    load().close(this.fd);
  }
}
