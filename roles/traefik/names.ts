/** Names the Compose project (role docker-stack) and this role's dynamic configuration must agree on. */

/** Where docker-stack mounts `${traefik_dir}/dynamic` and `${traefik_dir}/certs` in Traefik's container. */
export const DYNAMIC_DIR_IN_CONTAINER = '/etc/traefik/dynamic';
export const CERTS_DIR_IN_CONTAINER = '/certs';

/** The HTTPS entry point of the static configuration. */
export const HTTPS_ENTRYPOINT = 'websecure';

/** Middlewares defined here; Docker labels refer to them with the provider suffix, e.g. `security-headers@file`. */
export const SECURITY_HEADERS = 'security-headers';
export const DASHBOARD_AUTH = 'dashboard-auth';

/** Base name of the server certificate and key, on the controller and in certs/. */
export const SERVER_CERT_NAME = 'media-server';
/** The CA certificate as exported for devices (.crt PEM, .der DER), and copied into certs/. */
export const CA_EXPORT_NAME = 'media-server-home-ca';

/** The certificate resolver of tls_mode acme-dns. */
export const ACME_RESOLVER = 'acme';

/** The host name of a service: `<name>.<domain>`. */
export const fqdn = (name: string, domain: string) => `${name}.${domain}`;
