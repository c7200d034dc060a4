import { parseIPv4 } from '../../lib/net/cidr.ts';
import { containsSecret } from '../../lib/redact.ts';
import type { TraefikVars } from './defaults.ts';

type Invalid = { key: keyof TraefikVars & string; message: string; fix: string } | undefined;

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const TLS_MODES = ['local-ca', 'acme-dns'];
/** Top-level names no public CA issues for (special-use or never delegated): ACME cannot work under them. */
const PRIVATE_TLDS = ['arpa', 'local', 'lan', 'home', 'internal', 'localhost', 'test', 'example', 'invalid', 'corp', 'localdomain'];
export const MIN_PASSWORD_LENGTH = 12;

export function validateTraefik(v: TraefikVars): Invalid {
  if (v.domain.length > 200 || !v.domain.split('.').every((l) => LABEL.test(l))) {
    return { key: 'domain', message: `"${v.domain}" is not a DNS domain`, fix: 'lower-case letters, digits and hyphens in dot-separated labels, e.g. home.arpa' };
  }
  if (!TLS_MODES.includes(v.tls_mode)) return { key: 'tls_mode', message: `"${v.tls_mode}" is not a TLS mode`, fix: `use ${TLS_MODES.join(' or ')}` };
  const bad = v.tls_names.find((n) => !LABEL.test(n));
  if (bad !== undefined) return { key: 'tls_names', message: `"${bad}" is not a DNS label`, fix: 'one lower-case label per service, e.g. jellyfin (the domain is added)' };
  if (!v.tls_names.includes('traefik')) return { key: 'tls_names', message: 'traefik is missing: the dashboard is served at traefik.<domain>', fix: 'add traefik to tls_names' };
  if (new Set(v.tls_names).size !== v.tls_names.length) return { key: 'tls_names', message: 'a name is listed twice', fix: 'list each name once' };
  if (!/^[A-Za-z0-9._-]+$/.test(v.traefik_dashboard_user)) {
    return { key: 'traefik_dashboard_user', message: `"${v.traefik_dashboard_user}" is not a plain user name`, fix: 'letters, digits, dot, underscore and hyphen only (no colon), e.g. admin' };
  }
  if (v.traefik_dashboard_password.length < MIN_PASSWORD_LENGTH) {
    return {
      key: 'traefik_dashboard_password',
      message: `the dashboard password (TRAEFIK_DASHBOARD_PASSWORD in .env) has fewer than ${MIN_PASSWORD_LENGTH} characters`,
      fix: 'set a longer one in .env, e.g. the output of: openssl rand -base64 18',
    };
  }
  if (v.vm_ip !== '' && parseIPv4(v.vm_ip) === undefined) return { key: 'vm_ip', message: `"${v.vm_ip}" is not an IPv4 address`, fix: 'write the address alone, e.g. 192.168.1.20' };
  if (v.tls_mode === 'acme-dns') return validateAcmeDns(v);
  return undefined;
}

/** The variables of tls_mode acme-dns; role docker-stack reads them too (it configures Traefik's resolver). */
export type AcmeVars = Pick<TraefikVars, 'domain' | 'acme_email' | 'acme_dns_provider' | 'acme_dns_env'>;

/** The checks of tls_mode acme-dns, shared with role docker-stack. */
export function validateAcmeDns(v: AcmeVars): { key: keyof AcmeVars; message: string; fix: string } | undefined {
  const tld = v.domain.split('.').pop()!;
  if (PRIVATE_TLDS.includes(tld) || !v.domain.includes('.')) {
    return { key: 'domain', message: `no public CA issues certificates for ${v.domain}, so tls_mode acme-dns cannot work with it`, fix: 'set domain to a domain you own (e.g. home.example.com), or use tls_mode local-ca' };
  }
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v.acme_email)) return { key: 'acme_email', message: 'tls_mode acme-dns needs your e-mail address', fix: 'set acme_email, e.g. you@example.com' };
  if (!/^[a-z0-9.-]+$/.test(v.acme_dns_provider)) {
    return { key: 'acme_dns_provider', message: 'tls_mode acme-dns needs the DNS provider that hosts your domain', fix: 'set acme_dns_provider to its lego code, e.g. cloudflare (list: go-acme.github.io/lego/dns)' };
  }
  const names = Object.keys(v.acme_dns_env);
  if (names.length === 0) {
    return { key: 'acme_dns_env', message: 'tls_mode acme-dns needs the DNS provider\'s credentials', fix: 'e.g. acme_dns_env: { CF_DNS_API_TOKEN: "${CF_DNS_API_TOKEN}" } with the token in .env (names: go-acme.github.io/lego/dns)' };
  }
  const badName = names.find((n) => !/^[A-Z_][A-Z0-9_]*$/.test(n));
  if (badName !== undefined) return { key: 'acme_dns_env', message: `"${badName}" is not an environment variable name`, fix: 'upper-case letters, digits and underscores, as lego documents them' };
  const literal = names.find((n) => !containsSecret(v.acme_dns_env[n] ?? ''));
  if (literal !== undefined) {
    return { key: 'acme_dns_env', message: `${literal} is not taken from .env (secrets live only there)`, fix: `write ${literal}: "\${${literal}}" and put ${literal}=<value> in .env` };
  }
  return undefined;
}
