import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { ErrorCodes, FleetlbError } from '../runtime/errors.js';
import { PORTS_PER_CLUSTER } from './control-plane.js';

const RANGE_START = 20000;
const RANGE_END = 32000;

/** True when nothing listens on 127.0.0.1:port (we can bind it ourselves). */
export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * Where the search for a free block starts: derived from the lab directory so that the same
 * directory tends to get the same ports and two directories tend not to race for one block.
 */
export function preferredBase(labDir: string, clusterCount: number): number {
  const block = clusterCount * PORTS_PER_CLUSTER;
  const slots = Math.floor((RANGE_END - RANGE_START) / block);
  const h = createHash('sha256').update(labDir).digest().readUInt32BE(0);
  return RANGE_START + (h % slots) * block;
}

export async function takenPorts(ports: number[]): Promise<number[]> {
  const taken: number[] = [];
  for (const p of ports) if (!(await portFree(p))) taken.push(p);
  return taken;
}

export function blockPorts(base: number, clusterCount: number, perCluster: (base: number, index: number) => number[]): number[] {
  return Array.from({ length: clusterCount }, (_, i) => perCluster(base, i)).flat();
}

/** A base port whose whole block is free, starting at the preferred base and moving on. */
export async function findFreeBase(labDir: string, clusterCount: number, perCluster: (base: number, index: number) => number[]): Promise<number> {
  const block = clusterCount * PORTS_PER_CLUSTER;
  let base = preferredBase(labDir, clusterCount);
  for (let attempt = 0; attempt < 40; attempt++) {
    if ((await takenPorts(blockPorts(base, clusterCount, perCluster))).length === 0) return base;
    base += block;
    if (base + block > RANGE_END) base = RANGE_START;
  }
  throw new FleetlbError(ErrorCodes.LAB_PORT_IN_USE, `No block of ${block} free ports was found on 127.0.0.1 between ${RANGE_START} and ${RANGE_END}: free some ports or pass --base-port.`);
}
