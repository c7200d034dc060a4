/**
 * What the run prints at its end for this role: the URLs, the DNS records the LAN needs, and where the CA certificate is
 * with how to trust it. Meant for the proposed Role.summary hook (printed after the recap); pure apart from reading the
 * exported CA certificate on this machine.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Facts } from '../../lib/facts/facts.ts';
import type { TraefikVars } from './defaults.ts';
import { localCaLayout } from './local-ca.ts';
import { fqdn } from './names.ts';

export const TRUST_DOC = 'docs/trust-the-local-ca.md';

export function traefikSummary(v: TraefikVars, _facts?: Facts): string[] {
  const hosts = v.tls_names.map((n) => fqdn(n, v.domain));
  const ip = v.vm_ip || '<vm_ip>';
  const lines = [
    'Open (once the names below resolve on your LAN):',
    ...v.tls_names.map((n) => `  https://${fqdn(n, v.domain)}${n === 'traefik' ? `/dashboard/   (user ${v.traefik_dashboard_user}, password TRAEFIK_DASHBOARD_PASSWORD from .env)` : ''}`),
    `DNS records for your LAN's DNS server (router, Pi-hole, …)${v.vm_ip ? '' : ' — set vm_ip in the inventory to see the real address'}:`,
    ...hosts.map((h) => `  ${h}.  IN  A  ${ip}`),
    'or, per device, one line in /etc/hosts (Windows: C:\\Windows\\System32\\drivers\\etc\\hosts):',
    `  ${ip}  ${hosts.join(' ')}`,
  ];
  if (v.tls_mode === 'acme-dns') {
    return [...lines, `Certificates: Let's Encrypt for ${v.domain} and *.${v.domain} (DNS-01 at ${v.acme_dns_provider}); nothing to install on devices.`];
  }
  return [...lines, ...caLines(v)];
}

function caLines(v: TraefikVars): string[] {
  const layout = localCaLayout(v.tls_ca_dir);
  if (!existsSync(layout.exportPem)) {
    return [`Local CA: not made yet (it is made on the first run without --check, in ${layout.ca.dir}); then install it on every device: see ${TRUST_DOC}.`];
  }
  const fingerprint = new X509Certificate(readFileSync(layout.exportPem)).fingerprint256;
  const der = layout.exportDer;
  return [
    `Trust the local CA on every device that opens these sites (once; details in ${TRUST_DOC}):`,
    `  ${layout.exportPem}   (PEM: iOS, macOS, Linux, Firefox)`,
    `  ${der}   (DER: Android, Windows)`,
    `  SHA-256 fingerprint ${fingerprint} (compare it on the device)`,
    '  Android: Settings → Security → Encryption & credentials → Install a certificate → CA certificate → the .der file',
    '  iOS/iPadOS: send the .crt (AirDrop, mail), install it in Settings → General → VPN & Device Management, then turn it on in Settings → General → About → Certificate Trust Settings',
    '  Windows: double-click the .der → Install Certificate → Local Machine → "Trusted Root Certification Authorities" (or: certutil -addstore -f Root <file>.der)',
    `  macOS: sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${layout.exportPem} (or Keychain Access → System → the certificate → Trust: Always Trust)`,
    `  Linux: sudo cp ${layout.exportPem} /usr/local/share/ca-certificates/ && sudo update-ca-certificates; Firefox has its own store: Settings → Privacy & Security → View Certificates → Authorities → Import`,
  ];
}
