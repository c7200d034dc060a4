import { acmeRouterTls } from '../../traefik/acme.ts';

/** The Traefik labels that publish one web service at https://<host>, through the file provider's security headers. */
export interface WebRoute {
  /** Router and service name in Traefik (one per web service). */
  name: string;
  host: string;
  /** The port the container listens on. */
  port: number;
  /** Paths Traefik does not route (they answer 404): endpoints meant for Prometheus on the internal network only. */
  hiddenPaths?: string[];
  /**
   * tls_mode acme-dns: the domain whose certificate (the domain and *.domain) the router asks Traefik's ACME resolver
   * for. Absent: the router serves the certificate of the file provider's tls.yml (local CA).
   */
  acmeDomain?: string;
}

/** Defined by the traefik role in its dynamic (file provider) configuration. */
export const SECURITY_HEADERS_MIDDLEWARE = 'security-headers@file';

export function traefikLabels(route: WebRoute): Record<string, string> {
  const r = `traefik.http.routers.${route.name}`;
  return {
    'traefik.enable': 'true',
    [`${r}.rule`]: [`Host(\`${route.host}\`)`, ...(route.hiddenPaths ?? []).map((p) => `!PathPrefix(\`${p}\`)`)].join(' && '),
    [`${r}.entrypoints`]: 'websecure',
    [`${r}.tls`]: 'true',
    ...(route.acmeDomain === undefined ? {} : acmeLabels(r, route.acmeDomain)),
    [`${r}.middlewares`]: SECURITY_HEADERS_MIDDLEWARE,
    [`${r}.service`]: route.name,
    [`traefik.http.services.${route.name}.loadbalancer.server.port`]: String(route.port),
  };
}

/** The router's tls.certresolver and tls.domains as labels (a router's own TLS replaces the entry point's). */
function acmeLabels(router: string, domain: string): Record<string, string> {
  const tls = acmeRouterTls(domain);
  return {
    [`${router}.tls.certresolver`]: tls.certResolver,
    ...Object.fromEntries(
      tls.domains.flatMap((d, i) => [
        [`${router}.tls.domains[${i}].main`, d.main],
        [`${router}.tls.domains[${i}].sans`, d.sans.join(',')],
      ]),
    ),
  };
}
