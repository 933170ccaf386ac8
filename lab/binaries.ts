import { access, constants, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ErrorCodes, FleetlbError } from '../runtime/errors.js';
import { buildLabBinaries } from './k8s-build.js';
import { KUBERNETES_VERSION, LAB_BINARIES, type LabBinary } from './versions.js';

/** Environment variable naming a directory that already holds every lab binary. */
export const BIN_DIR_ENV = 'FLEETLB_K8S_BIN_DIR';

export type LabBinaries = { dir: string; source: 'env' | 'cache' | 'built' } & Record<LabBinary, string>;

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME !== '' ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'fleetlb', 'k8s');
}

async function missingIn(dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (const b of LAB_BINARIES) {
    try {
      await access(join(dir, b), constants.X_OK);
    } catch {
      missing.push(b);
    }
  }
  return missing;
}

function describe(dir: string, source: LabBinaries['source']): LabBinaries {
  const paths = Object.fromEntries(LAB_BINARIES.map((b) => [b, join(dir, b)])) as Record<LabBinary, string>;
  return { dir, source, ...paths };
}

export interface ResolveOptions {
  version?: string;
  env?: NodeJS.ProcessEnv;
  /** Build when neither the environment nor the cache has the binaries (default true). */
  build?: boolean;
  progress?: (line: string) => void;
}

/**
 * Find the lab binaries: the directory named by FLEETLB_K8S_BIN_DIR, then the per-version cache,
 * then build them with Go into that cache.
 */
export async function resolveLabBinaries(opts: ResolveOptions = {}): Promise<LabBinaries> {
  const env = opts.env ?? process.env;
  const version = opts.version ?? KUBERNETES_VERSION;
  const fromEnv = env[BIN_DIR_ENV];
  if (fromEnv) {
    const dir = resolve(fromEnv);
    const missing = await missingIn(dir);
    if (missing.length > 0) {
      throw new FleetlbError(
        ErrorCodes.LAB_BIN_DIR_INCOMPLETE,
        `${BIN_DIR_ENV}=${dir} lacks ${missing.join(', ')}: put every one of ${LAB_BINARIES.join(', ')} there, or unset ${BIN_DIR_ENV} to use the cache.`,
      );
    }
    return describe(dir, 'env');
  }
  const target = join(cacheRoot(env), version);
  const cached = join(target, 'bin');
  const present = await stat(cached).then(() => true, () => false);
  if (present && (await missingIn(cached)).length === 0) return describe(cached, 'cache');
  if (opts.build === false) {
    throw new FleetlbError(
      ErrorCodes.LAB_BIN_DIR_INCOMPLETE,
      `The Kubernetes ${version} binaries are not built yet: run 'npx fleetlb lab build' (needs Go) or set ${BIN_DIR_ENV}.`,
    );
  }
  const dir = await buildLabBinaries({ kubernetesVersion: version, targetDir: target, progress: opts.progress ?? (() => {}), env });
  return describe(dir, 'built');
}
