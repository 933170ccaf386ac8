import { readFile } from 'node:fs/promises';

/** Frames of a classic pcap file (tcpdump -w), with their capture times in ms. */
export async function readPcap(path: string): Promise<{ atMs: number; frame: Buffer }[]> {
  const data = await readFile(path);
  const out: { atMs: number; frame: Buffer }[] = [];
  for (let at = 24; at + 16 <= data.length; ) {
    const sec = data.readUInt32LE(at);
    const usec = data.readUInt32LE(at + 4);
    const len = data.readUInt32LE(at + 8);
    if (at + 16 + len > data.length) break;
    out.push({ atMs: sec * 1000 + usec / 1000, frame: data.subarray(at + 16, at + 16 + len) });
    at += 16 + len;
  }
  return out;
}
