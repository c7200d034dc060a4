/**
 * tls_mode acme-dns: certificates from Let's Encrypt through a DNS-01 challenge, for a domain you own (public CAs do not
 * issue for home.arpa). The certificate resolver lives in Traefik's static configuration, which role docker-stack
 * renders as command-line arguments: it calls acmeStaticArgs(), mounts acmeHostDir() at ACME_STORAGE_DIR, and gives the
 * container the provider's credentials from acme_dns_env as ${NAME} references to the project's .env (0600), where it
 * writes their values. Every router names the resolver and the certificate (acmeRouterTls(), and docker-stack's labels).
 * Option names from Traefik's reference (install-configuration/tls/certificate-resolvers/acme.md, entry point http.tls,
 * routing-configuration/http/tls/overview.md).
 */
import { ACME_RESOLVER, HTTPS_ENTRYPOINT } from './names.ts';

/** In Traefik's container; docker-stack mounts acmeHostDir() here. Traefik wants acme.json at mode 0600. */
export const ACME_STORAGE_DIR = '/acme';
/** Traefik's store of the ACME account and certificates: it refuses (skips the resolver) a file others may read. */
export const ACME_STORAGE_FILE = 'acme.json';

/** The directory on the VM that holds acme.json (kept across container restarts: no new issuance on every start). */
export const acmeHostDir = (traefikDir: string) => `${traefikDir}/acme`;

export interface AcmeDnsSettings {
  email: string;
  /** lego's provider code: cloudflare, ovh, route53, … */
  provider: string;
  domain: string;
  /** DNS servers for the propagation check, e.g. ["1.1.1.1:53"] when the LAN's DNS answers differently (split DNS). */
  resolvers?: string[];
  /** Let's Encrypt's staging server while trying things out (its certificates are not trusted). */
  staging?: boolean;
}

/**
 * Static-configuration arguments: the resolver, and the HTTPS entry point asking it for one certificate covering the
 * domain and *.domain (one wildcard certificate instead of one per service: fewer issuances, names not in CT logs).
 */
export function acmeStaticArgs(s: AcmeDnsSettings): string[] {
  const r = `--certificatesresolvers.${ACME_RESOLVER}.acme`;
  return [
    `${r}.email=${s.email}`,
    `${r}.storage=${ACME_STORAGE_DIR}/${ACME_STORAGE_FILE}`,
    ...(s.staging ? [`${r}.caserver=https://acme-staging-v02.api.letsencrypt.org/directory`] : []),
    `${r}.dnschallenge.provider=${s.provider}`,
    ...(s.resolvers?.length ? [`${r}.dnschallenge.resolvers=${s.resolvers.join(',')}`] : []),
    `--entrypoints.${HTTPS_ENTRYPOINT}.http.tls.certresolver=${ACME_RESOLVER}`,
    `--entrypoints.${HTTPS_ENTRYPOINT}.http.tls.domains[0].main=${s.domain}`,
    `--entrypoints.${HTTPS_ENTRYPOINT}.http.tls.domains[0].sans=*.${s.domain}`,
  ];
}

/**
 * A router's TLS with ACME. A router's own tls section replaces the entry point's http.tls entirely (Traefik v3), so each
 * router names the resolver and the same domains: every router then asks for the one wildcard certificate instead of
 * one per host name.
 */
export function acmeRouterTls(domain: string): { certResolver: string; domains: { main: string; sans: string[] }[] } {
  return { certResolver: ACME_RESOLVER, domains: [{ main: domain, sans: [`*.${domain}`] }] };
}
