import { createInterface } from 'node:readline';
import { endOfRibFamily } from './update.js';
import { describeNotification } from './notification.js';
import { BgpPeer, type PeerConfig } from './peer.js';
import { formatPrefix } from './prefix.js';
import { routesFromAdvertisements, type Advertisement } from './routes.js';

/**
 * A one-peer speaker process, for running the engine inside another network namespace (the lab's
 * nodes): `node peer-main.js '<json>'` with `{ peer: PeerConfig, advertisements: Advertisement[] }`.
 * Control on stdin, one JSON object a line: `{"cmd":"set","advertisements":[…]}` replaces what is
 * announced, `{"cmd":"stop"}` withdraws everything, sends Cease and exits (so does end of input
 * or SIGTERM). Events on stdout, one JSON object a line.
 */

interface MainConfig {
  peer: PeerConfig;
  advertisements?: Advertisement[];
}

const out = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(o)}\n`);

function main(): void {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as MainConfig;
  const peer = new BgpPeer(cfg.peer);
  peer.on((e) => {
    if (e.type === 'state') return out({ event: 'state', from: e.from, to: e.to, reason: e.reason });
    const m = e.message;
    const dir = e.type;
    if (m.type === 'update') {
      const eor = endOfRibFamily(m);
      const announced = [...m.nlri, ...(m.attributes.mpReach?.nlri ?? [])].map(formatPrefix);
      const withdrawn = [...m.withdrawn, ...(m.attributes.mpUnreach?.withdrawn ?? [])].map(formatPrefix);
      return out({ event: dir, type: 'update', ...(eor ? { endOfRib: eor } : { announced, withdrawn }) });
    }
    if (m.type === 'notification') return out({ event: dir, type: 'notification', code: m.code, subcode: m.subcode, text: describeNotification(m.code, m.subcode) });
    if (m.type === 'open') return out({ event: dir, type: 'open', asn: m.asn, holdTime: m.holdTime, bgpId: m.bgpId });
    if (m.type === 'route-refresh') return out({ event: dir, type: 'route-refresh', afi: m.afi, safi: m.safi });
  });
  const apply = (ads: Advertisement[]) => {
    const { routes, errors } = routesFromAdvertisements(ads);
    for (const e of errors) out({ event: 'error', message: e });
    peer.setRoutes(routes);
  };
  apply(cfg.advertisements ?? []);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    peer.stop('stopped by the controlling process');
    out({ event: 'stopped' });
    rl.close();
    // The socket closes after the Cease is flushed; then nothing keeps the process alive.
  };
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (!line.trim()) return;
    let cmd: { cmd?: string; advertisements?: Advertisement[] };
    try {
      cmd = JSON.parse(line) as typeof cmd;
    } catch {
      return out({ event: 'error', message: `not JSON: ${line}` });
    }
    if (cmd.cmd === 'set') apply(cmd.advertisements ?? []);
    else if (cmd.cmd === 'stop') stop();
    else if (cmd.cmd === 'status') out({ event: 'status', state: peer.state, advertised: peer.session.rib?.advertisedPrefixes() ?? [], lastError: peer.session.lastError, stats: peer.stats });
    else out({ event: 'error', message: `unknown command ${JSON.stringify(cmd.cmd)}` });
  });
  rl.on('close', stop);
  process.on('SIGTERM', stop);
  peer.start();
}

main();
