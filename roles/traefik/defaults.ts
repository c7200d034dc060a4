export const defaults = {
  domain: 'home.arpa',
  traefik_dir: '/mnt/tank/appdata/traefik',
  vm_ip: '',
  tls_mode: 'local-ca',
  tls_names: ['jellyfin', 'photos', 'grafana', 'traefik'],
  tls_ca_dir: 'secrets/ca',
  traefik_dashboard_user: 'admin',
  /** Only ever a reference: the password itself lives in .env. */
  traefik_dashboard_password: '${TRAEFIK_DASHBOARD_PASSWORD}',
  acme_email: '',
  acme_dns_provider: '',
  acme_dns_env: {} as Record<string, string>,
};

export const docs = {
  domain: { description: 'The domain of the services: each one is <name>.<domain> (default home.arpa, the special-use name for home networks, RFC 8375).' },
  traefik_dir: { description: "Traefik's directory on the VM: dynamic/ (file-provider configuration), certs/ (certificate and key), logs/, and acme/ (Let's Encrypt's account and certificates) with tls_mode acme-dns." },
  vm_ip: { description: 'IPv4 address of the services VM: the DNS records printed at the end of the run point every service name at it.' },
  tls_mode: {
    description:
      'local-ca (default): a CA made on this machine signs the certificate; acme-dns: Let\'s Encrypt through a DNS-01 challenge, for a domain you own (role docker-stack gives Traefik the certificate resolver, one certificate for <domain> and *.<domain>, kept in <traefik_dir>/acme/acme.json, mode 0600).',
  },
  tls_names: { description: 'Names under the domain that get HTTPS (the certificate covers <name>.<domain> for each); must include traefik (the dashboard).' },
  tls_ca_dir: { description: 'Where the local CA lives on the machine that runs the playbook (relative to the directory you run it from); keep it: devices trust this CA.' },
  traefik_dashboard_user: { description: 'User name for the Traefik dashboard (basic auth).' },
  traefik_dashboard_password: { description: 'Dashboard password, as a reference to .env (default ${TRAEFIK_DASHBOARD_PASSWORD}); stored on the VM only as an apr1 hash.' },
  acme_email: { description: 'tls_mode acme-dns: your e-mail address for the Let\'s Encrypt account.' },
  acme_dns_provider: { description: 'tls_mode acme-dns: the lego DNS provider code of your DNS host (e.g. cloudflare, ovh, route53; see go-acme.github.io/lego/dns).' },
  acme_dns_env: {
    description:
      'tls_mode acme-dns: the DNS provider\'s credentials under the names lego gives them, each as a reference to .env, e.g. { CF_DNS_API_TOKEN: "${CF_DNS_API_TOKEN}" }; role docker-stack writes the values into the Compose project\'s .env (0600) and Traefik\'s container gets them from there (compose.yml holds only ${NAME} references).',
  },
};

export type TraefikVars = typeof defaults;
