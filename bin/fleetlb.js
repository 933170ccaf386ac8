#!/usr/bin/env node
// The `fleetlb` command: runs the compiled CLI (npm install builds it through `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  console.error('fleetlb is not built yet: run `npm install` (or `npm run build`) in the fleetlb checkout.');
  process.exit(1);
}
const { run } = await import(main);
process.exitCode = await run(process.argv);
