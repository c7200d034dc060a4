/** Name constraints of a CA certificate (RFC 5280 4.2.1.10), as far as DNS names go. */
import { openssl } from './openssl.ts';

/**
 * The DNS names a CA certificate permits, read from `openssl x509 -text` (node:crypto does not expose the extension);
 * undefined when the certificate has no name constraints (it may sign any name).
 */
export async function permittedDnsNames(caCertFile: string): Promise<string[] | undefined> {
  const text = await openssl(['x509', '-noout', '-text', '-in', caCertFile], 'reading the CA certificate');
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.includes('X509v3 Name Constraints'));
  if (start < 0) return undefined;
  const permitted: string[] = [];
  let inPermitted = false;
  for (const raw of lines.slice(start + 1)) {
    const line = raw.trim();
    if (line === 'Permitted:') inPermitted = true;
    else if (line === 'Excluded:') inPermitted = false;
    else if (!/^(DNS|IP|email|URI|DirName|othername):/i.test(line)) break;
    else if (inPermitted && line.startsWith('DNS:')) permitted.push(line.slice(4));
  }
  return permitted;
}

/** True when a DNS constraint base allows the name: the base itself or any name under it ("home.arpa" allows "a.home.arpa"). */
export function dnsNameWithin(name: string, base: string): boolean {
  const n = name.toLowerCase();
  const b = base.toLowerCase();
  if (b === '') return true;
  if (b.startsWith('.')) return n.endsWith(b);
  return n === b || n.endsWith(`.${b}`);
}

/** The names none of the permitted bases allows (empty when all are fine or there are no constraints). */
export function namesOutside(names: string[], permitted: string[] | undefined): string[] {
  if (permitted === undefined || permitted.length === 0) return [];
  return names.filter((n) => !permitted.some((b) => dnsNameWithin(n, b)));
}
