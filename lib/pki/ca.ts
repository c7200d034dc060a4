/**
 * A small certificate authority kept in one directory on the controller: `ca.key` (EC P-256, mode 0600) and `ca.crt`,
 * in a directory only its owner may enter (0700). Made once and then only read: every device that trusts it would have
 * to trust a new one, so a broken CA is reported, never silently replaced.
 */
import { generateKeyPairSync, randomBytes, X509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { modeOf, octal, privateDir, writeFileAtomicLocal } from '../local-files.ts';
import { openssl, subjectWithCn } from './openssl.ts';

export interface CaFiles {
  dir: string;
  key: string;
  cert: string;
}

export function caFiles(dir: string): CaFiles {
  return { dir, key: join(dir, 'ca.key'), cert: join(dir, 'ca.crt') };
}

export interface CaSpec {
  commonName: string;
  days: number;
  /** DNS names (and everything under them) the CA may sign; empty: no name constraints. */
  permittedDns: string[];
}

export type CaState =
  | { kind: 'absent' }
  | {
      kind: 'present';
      cert: X509Certificate;
      notAfter: Date;
      /** Modes looser than they must be, as "path 0755 → 0700" phrases (fixed by fixCaModes). */
      looseModes: string[];
    };

const DIR_MODE = 0o700;
const KEY_MODE = 0o600;
const DAY_MS = 86_400_000;

/** A fresh EC P-256 private key as PKCS#8 PEM. */
export function newPrivateKeyPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

/** What the CA directory holds; throws, saying what is wrong and the way out, when it holds a CA that cannot be used. */
export function inspectCa(files: CaFiles, now = new Date()): CaState {
  const hasKey = existsSync(files.key);
  const hasCert = existsSync(files.cert);
  const moveAway = `move ${files.dir} away to make a new CA (every device must then trust the new one)`;
  if (!hasKey && !hasCert) return { kind: 'absent' };
  if (hasKey !== hasCert) {
    const [present, missing] = hasKey ? [files.key, files.cert] : [files.cert, files.key];
    throw new Error(`the local CA is incomplete: ${present} exists but ${missing} does not — restore ${missing} from a backup, or ${moveAway}`);
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(readFileSync(files.cert));
  } catch (e) {
    throw new Error(`${files.cert} is not a readable certificate (${(e as Error).message}): restore it from a backup, or ${moveAway}`);
  }
  let keyMatches: boolean;
  try {
    keyMatches = cert.checkPrivateKey(createPrivateKey(readFileSync(files.key)));
  } catch {
    keyMatches = false;
  }
  if (!keyMatches) throw new Error(`${files.key} is not the key of ${files.cert}: restore the right pair from a backup, or ${moveAway}`);
  if (!cert.ca) throw new Error(`${files.cert} is not a CA certificate (basic constraints CA:FALSE): ${moveAway}`);
  const notAfter = new Date(cert.validTo);
  if (notAfter.getTime() - now.getTime() < 30 * DAY_MS) {
    throw new Error(`the local CA ${files.cert} expires on ${notAfter.toISOString().slice(0, 10)}: ${moveAway}`);
  }
  const looseModes: string[] = [];
  const dirMode = modeOf(files.dir)!;
  if (dirMode & ~DIR_MODE) looseModes.push(`${files.dir} ${octal(dirMode)} → ${octal(DIR_MODE)}`);
  const keyMode = modeOf(files.key)!;
  if (keyMode & ~KEY_MODE) looseModes.push(`${files.key} ${octal(keyMode)} → ${octal(KEY_MODE)}`);
  return { kind: 'present', cert, notAfter, looseModes };
}

/** Narrows the directory and key modes to 0700 / 0600. */
export function fixCaModes(files: CaFiles): void {
  privateDir(files.dir);
  chmodSync(files.key, KEY_MODE);
}

/** The OpenSSL config section of a CA that may sign only under `permittedDns` and never an IP address. */
export function caExtensions(permittedDns: string[]): string {
  const constraints = permittedDns.length
    ? [
        `nameConstraints = critical, ${[
          ...permittedDns.map((d) => `permitted;DNS:${d}`),
          // Without these a stolen CA key could still vouch for any IP address.
          'excluded;IP:0.0.0.0/0.0.0.0',
          'excluded;IP:0:0:0:0:0:0:0:0/0:0:0:0:0:0:0:0',
        ].join(', ')}`,
      ]
    : [];
  return [
    '[req]',
    'distinguished_name = dn',
    '[dn]',
    '[v3_ca]',
    'basicConstraints = critical, CA:TRUE, pathlen:0',
    'keyUsage = critical, keyCertSign, cRLSign',
    'subjectKeyIdentifier = hash',
    ...constraints,
    '',
  ].join('\n');
}

/** Makes the CA: the directory (0700), a new key (0600), a self-signed certificate. Refuses to replace an existing one. */
export async function createCa(files: CaFiles, spec: CaSpec): Promise<void> {
  if (existsSync(files.key) || existsSync(files.cert)) throw new Error(`${files.dir} already holds a CA: it is never replaced`);
  privateDir(files.dir);
  writeFileAtomicLocal(files.key, newPrivateKeyPem(), KEY_MODE);
  const config = join(files.dir, `.ca-${randomBytes(4).toString('hex')}.cnf`);
  writeFileSync(config, caExtensions(spec.permittedDns), { mode: 0o600 });
  const tmpCert = `${files.cert}.tmp`;
  try {
    // -subj and -config make openssl ask nothing; the default openssl.cnf is not read.
    await openssl(
      ['req', '-new', '-x509', '-key', files.key, '-sha256', '-days', String(spec.days), '-set_serial', randomSerial(), '-subj', subjectWithCn(spec.commonName), '-config', config, '-extensions', 'v3_ca', '-out', tmpCert],
      'creating the local CA certificate',
    );
    writeFileAtomicLocal(files.cert, readFileSync(tmpCert), 0o644);
  } catch (e) {
    rmSync(files.key, { force: true });
    throw e;
  } finally {
    rmSync(config, { force: true });
    rmSync(tmpCert, { force: true });
  }
}

/** A positive 128-bit serial number in openssl's hex syntax (CAs must not reuse serials: random ones never collide). */
export function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return `0x${b.toString('hex')}`;
}
