import { execFile } from 'node:child_process';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ErrorCodes, FleetlbError } from '../runtime/errors.js';

/**
 * A per-cluster certificate authority made with the openssl CLI (Node has no X.509 writer).
 * ECDSA P-256 keys: quick to make, and accepted by every Kubernetes component.
 */

const execFileP = promisify(execFile);

export interface CertSpec {
  /** File stem: `<dir>/<name>.crt` and `<dir>/<name>.key`. */
  name: string;
  commonName: string;
  organization?: string;
  usage: 'server' | 'client' | 'both';
  dnsNames?: string[];
  ipAddresses?: string[];
}

export interface CertFiles {
  cert: string;
  key: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await execFileP('openssl', args, { cwd });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new FleetlbError(ErrorCodes.LAB_OPENSSL_MISSING, "The lab makes its certificates with openssl, which is not installed: install it (apt-get install openssl) and run the command again.");
    }
    throw new Error(`openssl ${args[0]} failed: ${e.stderr ?? e.message}`, { cause: err });
  }
}

const exists = (p: string) => access(p).then(() => true, () => false);

/** The `subjectAltName` value for a certificate, e.g. `DNS:localhost,IP:127.0.0.1`. */
export function subjectAltName(spec: Pick<CertSpec, 'dnsNames' | 'ipAddresses'>): string | undefined {
  const names = [...(spec.dnsNames ?? []).map((d) => `DNS:${d}`), ...(spec.ipAddresses ?? []).map((ip) => `IP:${ip}`)];
  return names.length ? names.join(',') : undefined;
}

/** The openssl extension section for a leaf certificate. */
export function leafExtensions(spec: CertSpec): string {
  const eku = { server: 'serverAuth', client: 'clientAuth', both: 'serverAuth,clientAuth' }[spec.usage];
  const lines = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', `extendedKeyUsage=${eku}`];
  const san = subjectAltName(spec);
  if (san) lines.push(`subjectAltName=${san}`);
  return lines.join('\n') + '\n';
}

/** `/O=system:masters/CN=admin`, escaping the characters openssl treats specially. */
export function subject(commonName: string, organization?: string): string {
  const esc = (v: string) => v.replace(/[/\\+=,]/g, (c) => `\\${c}`);
  return `${organization ? `/O=${esc(organization)}` : ''}/CN=${esc(commonName)}`;
}

function serial(): string {
  // 16 random bytes with the top bit clear: a positive serial, as RFC 5280 asks.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return '0x' + Buffer.from(bytes).toString('hex');
}

const KEY_ARGS = ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'];

export class CertificateAuthority {
  readonly cert: string;
  readonly key: string;

  private constructor(readonly dir: string) {
    this.cert = join(dir, 'ca.crt');
    this.key = join(dir, 'ca.key');
  }

  /** Open the CA in `dir`, making it if absent (so `lab up` on an existing lab reuses it). */
  static async ensure(dir: string, commonName: string, days = 3650): Promise<CertificateAuthority> {
    const ca = new CertificateAuthority(dir);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if ((await exists(ca.cert)) && (await exists(ca.key))) return ca;
    await openssl([...KEY_ARGS, '-out', 'ca.key'], dir);
    await openssl(
      ['req', '-x509', '-new', '-key', 'ca.key', '-subj', subject(commonName), '-days', String(days), '-set_serial', serial(),
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature', '-out', 'ca.crt'],
      dir,
    );
    return ca;
  }

  /** Issue a leaf certificate unless one with that name is already there. */
  async issue(spec: CertSpec, days = 365): Promise<CertFiles> {
    const files = { cert: join(this.dir, `${spec.name}.crt`), key: join(this.dir, `${spec.name}.key`) };
    if ((await exists(files.cert)) && (await exists(files.key))) return files;
    const ext = join(this.dir, `${spec.name}.ext`);
    await writeFile(ext, leafExtensions(spec));
    await openssl([...KEY_ARGS, '-out', `${spec.name}.key`], this.dir);
    await openssl(['req', '-new', '-key', `${spec.name}.key`, '-subj', subject(spec.commonName, spec.organization), '-out', `${spec.name}.csr`], this.dir);
    await openssl(
      ['x509', '-req', '-in', `${spec.name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', serial(), '-days', String(days),
        '-extfile', `${spec.name}.ext`, '-out', `${spec.name}.crt`],
      this.dir,
    );
    return files;
  }

  /** A bare key pair (service-account token signing). */
  async keyPair(name: string): Promise<{ privateKey: string; publicKey: string }> {
    const privateKey = join(this.dir, `${name}.key`);
    const publicKey = join(this.dir, `${name}.pub`);
    if (!((await exists(privateKey)) && (await exists(publicKey)))) {
      await openssl([...KEY_ARGS, '-out', `${name}.key`], this.dir);
      await openssl(['pkey', '-in', `${name}.key`, '-pubout', '-out', `${name}.pub`], this.dir);
    }
    return { privateKey, publicKey };
  }

  async readPem(file: string): Promise<string> {
    return readFile(file, 'utf8');
  }
}
