import { parseEndpoint, relay } from './relay.js';

/** Entry point of the relay process (see relay.ts): `relay-main LISTEN=CONNECT …`. */
const pairs = process.argv.slice(2);
try {
  if (pairs.length === 0) throw new Error('usage: relay LISTEN=CONNECT …');
  for (const p of pairs) {
    const [l, c] = p.split('=');
    if (!l || !c) throw new Error(`not LISTEN=CONNECT: ${p}`);
    await relay(parseEndpoint(l), parseEndpoint(c));
  }
  process.stdout.write(`relaying ${pairs.join(' ')}\n`);
  process.on('SIGTERM', () => process.exit(0));
} catch (err) {
  process.stderr.write(`relay: ${(err as Error).message}\n`);
  process.exit(1);
}
