import { createRequire } from 'node:module';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { repoRoot } from '../../runtime/repo-root.js';

/**
 * A TCP socket for a BGP session with what node:net cannot set before the SYN: the TCP MD5
 * signature key (RFC 2385, BGPPeer password) and the TTL (1 towards a directly connected eBGP
 * peer, 255 with ebgpMultiHop). The socket is opened (and bound to the source address) by our
 * N-API addon (speaker/native/packet.c, tcpSocket), then handed to net.Socket to connect.
 */

export interface TcpOptions {
  host: string;
  port: number;
  localAddress?: string;
  /** TCP MD5 key shared with the peer; at most 80 octets. */
  md5Key?: string;
  ttl?: number;
}

interface Addon {
  tcpSocket(family: 4 | 6, opts: { md5Peer?: string; md5Key?: string; ttl?: number; bind?: string }): number;
}

let addon: Addon | undefined;

function load(): Addon {
  addon ??= createRequire(import.meta.url)(join(repoRoot(), 'speaker', 'native', 'build', 'Release', 'fleetlb_packet.node')) as Addon;
  return addon;
}

/** Open and start connecting; errors (bad key, bind failure) surface as the socket's 'error'. */
export function connectTcp(o: TcpOptions): Socket {
  const family = o.host.includes(':') ? 6 : 4;
  let fd: number;
  try {
    fd = load().tcpSocket(family, { ...(o.md5Key ? { md5Peer: o.host, md5Key: o.md5Key } : {}), ...(o.ttl ? { ttl: o.ttl } : {}), ...(o.localAddress ? { bind: o.localAddress } : {}) });
  } catch (err) {
    const s = new Socket();
    process.nextTick(() => s.destroy(err as Error));
    return s;
  }
  return new Socket({ fd }).connect({ host: o.host, port: o.port });
}
