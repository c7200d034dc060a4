/** A TLS server certificate issued by a CaFiles CA: when it must be (re)issued, and issuing it with openssl. */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { CaFiles } from './ca.ts';
import { newPrivateKeyPem, randomSerial } from './ca.ts';
import { writeFileAtomicLocal } from '../local-files.ts';
import { openssl, subjectWithCn } from './openssl.ts';

export interface ServerCertFiles {
  cert: string;
  key: string;
}

const DAY_MS = 86_400_000;

/** The DNS names of a certificate's subjectAltName, lower-cased and sorted. */
export function dnsNamesOf(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4).toLowerCase())
    .sort();
}

/**
 * Why the certificate must be issued again (empty when it is fine): missing, unreadable, key mismatch, issued by another
 * CA, other names, or expiring within `renewWithinDays`.
 */
export function reissueReasons(files: ServerCertFiles, ca: X509Certificate, dnsNames: string[], renewWithinDays: number, now = new Date()): string[] {
  if (!existsSync(files.cert) || !existsSync(files.key)) return ['there is none yet'];
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(readFileSync(files.cert));
  } catch {
    return [`${basename(files.cert)} is not a readable certificate`];
  }
  const reasons: string[] = [];
  let keyMatches = false;
  try {
    keyMatches = cert.checkPrivateKey(createPrivateKey(readFileSync(files.key)));
  } catch {
    /* an unreadable key does not match */
  }
  if (!keyMatches) reasons.push('its key does not match');
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) reasons.push('it was not issued by the current CA');
  const have = dnsNamesOf(cert);
  const want = [...new Set(dnsNames.map((n) => n.toLowerCase()))].sort();
  const added = want.filter((n) => !have.includes(n));
  const removed = have.filter((n) => !want.includes(n));
  if (added.length || removed.length) reasons.push(`the names changed (${[...added.map((n) => `+${n}`), ...removed.map((n) => `-${n}`)].join(', ')})`);
  const notAfter = new Date(cert.validTo);
  const daysLeft = Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
  if (daysLeft < 0) reasons.push(`it expired on ${notAfter.toISOString().slice(0, 10)}`);
  else if (daysLeft < renewWithinDays) reasons.push(`it expires in ${daysLeft} days (${notAfter.toISOString().slice(0, 10)})`);
  return reasons;
}

/** The OpenSSL extension section of a TLS server certificate for these names. */
export function serverExtensions(dnsNames: string[]): string {
  return [
    '[req]',
    'distinguished_name = dn',
    '[dn]',
    '[v3_server]',
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature',
    'extendedKeyUsage = serverAuth',
    `subjectAltName = ${dnsNames.map((n) => `DNS:${n}`).join(', ')}`,
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid:always',
    '',
  ].join('\n');
}

export interface IssueOptions {
  dnsNames: string[];
  /** Validity in days; capped to what is left of the CA's own validity. */
  days: number;
  now?: Date;
}

/**
 * Issues a certificate with a new EC P-256 key for `dnsNames`, signed by the CA; key (0600) and certificate (0644)
 * replace the old ones atomically. The work files live in a private directory beside the output, never in /tmp.
 */
export async function issueServerCert(ca: CaFiles, files: ServerCertFiles, opts: IssueOptions): Promise<void> {
  if (opts.dnsNames.length === 0) throw new Error('a server certificate needs at least one DNS name');
  const caCert = new X509Certificate(readFileSync(ca.cert));
  const caDaysLeft = Math.floor((new Date(caCert.validTo).getTime() - (opts.now ?? new Date()).getTime()) / DAY_MS);
  const days = Math.max(1, Math.min(opts.days, caDaysLeft));
  const work = mkdtempSync(join(dirname(files.cert), '.issue-'));
  try {
    const key = join(work, 'server.key');
    const csr = join(work, 'server.csr');
    const config = join(work, 'server.cnf');
    const cert = join(work, 'server.crt');
    writeFileSync(key, newPrivateKeyPem(), { mode: 0o600 });
    writeFileSync(config, serverExtensions(opts.dnsNames), { mode: 0o600 });
    // Clients use the subjectAltName; the common name (at most 64 characters) is only a label.
    const cn = [...opts.dnsNames].sort((a, b) => a.length - b.length)[0]!.slice(0, 64);
    await openssl(['req', '-new', '-key', key, '-subj', subjectWithCn(cn), '-config', config, '-out', csr], 'making the certificate request');
    await openssl(
      ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', randomSerial(), '-days', String(days), '-sha256', '-extfile', config, '-extensions', 'v3_server', '-out', cert],
      'signing the server certificate with the local CA',
    );
    // Key first: a crash in between leaves a pair that reissueReasons reports as "its key does not match".
    writeFileAtomicLocal(files.key, readFileSync(key), 0o600);
    writeFileAtomicLocal(files.cert, readFileSync(cert), 0o644);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
