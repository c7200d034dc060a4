/** The rendered dynamic configuration, the variable checks, the ACME option and the step list per TLS mode. */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { clearSecretsForTests, registerSecret } from '../../lib/redact.ts';
import { acmeStaticArgs } from '../../roles/traefik/acme.ts';
import { defaults, docs, type TraefikVars } from '../../roles/traefik/defaults.ts';
import { traefik } from '../../roles/traefik/index.ts';
import { dashboardAuthYaml, dashboardYaml } from '../../roles/traefik/templates/dashboard.ts';
import { middlewaresYaml } from '../../roles/traefik/templates/middlewares.ts';
import { tlsYaml } from '../../roles/traefik/templates/tls.ts';
import { validateTraefik } from '../../roles/traefik/validate.ts';

const t = suite('traefik: templates and variables');
const vars = (over: Partial<TraefikVars> = {}): TraefikVars => ({ ...defaults, traefik_dashboard_password: 'a-long-enough-password', ...over });

t('tls.yml with the local CA: the certificate, the same one as default, TLS 1.2 at least, the fingerprint in a comment', () => {
  const text = tlsYaml({ localCert: { sha256Fingerprint: 'AA:BB:CC' } });
  assert.equal(parse(text), {
    tls: {
      certificates: [{ certFile: '/certs/media-server.crt', keyFile: '/certs/media-server.key' }],
      stores: { default: { defaultCertificate: { certFile: '/certs/media-server.crt', keyFile: '/certs/media-server.key' } } },
      options: { default: { minVersion: 'VersionTLS12' } },
    },
  });
  assert.match(text, /^# certificate SHA-256 AA:BB:CC$/m);
  assert.not.match(text, /[&*]a\d/, 'no YAML anchors or aliases');
  assert.not.equal(text, tlsYaml({ localCert: { sha256Fingerprint: 'DD:EE:FF' } }), 'a new certificate changes the file (Traefik reloads it)');
});

t('tls.yml with ACME: options only (Traefik keeps its own certificates)', () => {
  assert.equal(parse(tlsYaml({})), { tls: { options: { default: { minVersion: 'VersionTLS12' } } } });
});

t('middlewares.yml: HSTS one year with subdomains, nosniff, frame deny, same-origin referrer, no X-XSS-Protection', () => {
  assert.equal(parse(middlewaresYaml()), {
    http: { middlewares: { 'security-headers': { headers: { stsSeconds: 31536000, stsIncludeSubdomains: true, contentTypeNosniff: true, frameDeny: true, referrerPolicy: 'same-origin' } } } },
  });
  assert.not.match(middlewaresYaml(), /browserXssFilter/);
});

t('dashboard.yml: traefik.<domain> to api@internal on websecure with TLS, basic auth then the headers', () => {
  assert.equal(parse(dashboardYaml({ domain: 'home.arpa', acme: false })), {
    http: {
      routers: {
        dashboard: { rule: 'Host(`traefik.home.arpa`)', entryPoints: ['websecure'], service: 'api@internal', middlewares: ['dashboard-auth', 'security-headers'], tls: {} },
      },
    },
  });
  // A router's own tls replaces the entry point's: the dashboard names the resolver and the same wildcard certificate.
  assert.equal(parse(dashboardYaml({ domain: 'example.com', acme: true })).http.routers.dashboard.tls, { certResolver: 'acme', domains: [{ main: 'example.com', sans: ['*.example.com'] }] });
  assert.not.match(dashboardYaml({ domain: 'home.arpa', acme: false }), /insecure/);
});

t('dashboard-auth.yml: exactly one user line, the hash as it is ($ not doubled: files are not Compose labels)', () => {
  const hash = '$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/';
  assert.equal(parse(dashboardAuthYaml('admin', hash)), { http: { middlewares: { 'dashboard-auth': { basicAuth: { users: [`admin:${hash}`], removeHeader: true } } } } });
});

t('every variable has a description; the shared ones have the shared defaults', () => {
  for (const key of Object.keys(defaults)) assert.ok(docs[key as keyof typeof docs]?.description, key);
  assert.is(defaults.domain, 'home.arpa');
  assert.is(defaults.traefik_dir, '/mnt/tank/appdata/traefik');
  assert.is(defaults.vm_ip, '');
  assert.is(defaults.traefik_dashboard_password, '${TRAEFIK_DASHBOARD_PASSWORD}');
  assert.equal(traefik.requiredEnv, ['TRAEFIK_DASHBOARD_PASSWORD']);
});

t('bad values are refused with the fix', () => {
  assert.is(validateTraefik(vars()), undefined);
  const cases: [Partial<TraefikVars>, string, RegExp][] = [
    [{ domain: 'Home.Arpa' }, 'domain', /not a DNS domain/],
    [{ domain: 'home..arpa' }, 'domain', /not a DNS domain/],
    [{ tls_mode: 'self-signed' }, 'tls_mode', /not a TLS mode/],
    [{ tls_names: ['jellyfin', 'traefik', 'bad_name'] }, 'tls_names', /"bad_name" is not a DNS label/],
    [{ tls_names: ['jellyfin'] }, 'tls_names', /traefik is missing/],
    [{ tls_names: ['traefik', 'traefik'] }, 'tls_names', /listed twice/],
    [{ traefik_dashboard_user: 'ad:min' }, 'traefik_dashboard_user', /not a plain user name/],
    [{ traefik_dashboard_password: 'short' }, 'traefik_dashboard_password', /fewer than 12 characters/],
    [{ vm_ip: '192.168.1' }, 'vm_ip', /not an IPv4 address/],
    [{ tls_mode: 'acme-dns' }, 'domain', /no public CA issues certificates for home\.arpa/],
    [{ tls_mode: 'acme-dns', domain: 'home.example.com' }, 'acme_email', /e-mail/],
    [{ tls_mode: 'acme-dns', domain: 'home.example.com', acme_email: 'me@example.com' }, 'acme_dns_provider', /DNS provider/],
    [{ tls_mode: 'acme-dns', domain: 'home.example.com', acme_email: 'me@example.com', acme_dns_provider: 'cloudflare' }, 'acme_dns_env', /credentials/],
    [{ tls_mode: 'acme-dns', domain: 'home.example.com', acme_email: 'me@example.com', acme_dns_provider: 'cloudflare', acme_dns_env: { CF_DNS_API_TOKEN: 'typed-in-the-inventory' } }, 'acme_dns_env', /not taken from \.env/],
  ];
  for (const [over, key, message] of cases) {
    const invalid = validateTraefik(vars(over));
    assert.is(invalid?.key, key, JSON.stringify(over));
    assert.match(invalid!.message, message);
    assert.ok(invalid!.fix);
  }
  assert.not.match(validateTraefik(vars({ traefik_dashboard_password: 'short-pw' }))!.message, /short-pw/, 'the password is never quoted');
});

t('ACME with credentials from .env passes; its static arguments for docker-stack', () => {
  registerSecret('token-from-the-env-file');
  try {
    assert.is(validateTraefik(vars({ tls_mode: 'acme-dns', domain: 'home.example.com', acme_email: 'me@example.com', acme_dns_provider: 'cloudflare', acme_dns_env: { CF_DNS_API_TOKEN: 'token-from-the-env-file' } })), undefined);
  } finally {
    clearSecretsForTests();
  }
  assert.equal(acmeStaticArgs({ email: 'me@example.com', provider: 'cloudflare', domain: 'home.example.com', resolvers: ['1.1.1.1:53', '9.9.9.9:53'] }), [
    '--certificatesresolvers.acme.acme.email=me@example.com',
    '--certificatesresolvers.acme.acme.storage=/acme/acme.json',
    '--certificatesresolvers.acme.acme.dnschallenge.provider=cloudflare',
    '--certificatesresolvers.acme.acme.dnschallenge.resolvers=1.1.1.1:53,9.9.9.9:53',
    '--entrypoints.websecure.http.tls.certresolver=acme',
    '--entrypoints.websecure.http.tls.domains[0].main=home.example.com',
    '--entrypoints.websecure.http.tls.domains[0].sans=*.home.example.com',
  ]);
  assert.ok(acmeStaticArgs({ email: 'a@b.c', provider: 'ovh', domain: 'x.example', staging: true }).includes('--certificatesresolvers.acme.acme.caserver=https://acme-staging-v02.api.letsencrypt.org/directory'));
});

t('the steps per mode: the local CA only with local-ca; building them changes nothing (they run at plan time)', () => {
  const titles = (v: TraefikVars) => traefik.steps(v, {}).map((s) => s.title);
  const caDir = join(tmpdir(), `msh-never-made-${process.pid}`);
  assert.equal(titles(vars({ tls_ca_dir: caDir })), [
    'openssl (to check certificates on the host)',
    'Dynamic configuration directory',
    'Local CA on the controller',
    'CA certificate exported for devices',
    'Server certificate on the controller',
    'Certificate directory',
    'Server certificate on the host',
    'Server key on the host',
    'CA certificate on the host',
    'TLS configuration (tls.yml)',
    'Security headers (middlewares.yml)',
    'Dashboard router (dashboard.yml)',
    'Dashboard password hash (dashboard-auth.yml)',
  ]);
  assert.equal(titles(vars({ tls_mode: 'acme-dns', domain: 'home.example.com' })), [
    'openssl (to check certificates on the host)',
    'Dynamic configuration directory',
    'TLS configuration (tls.yml)',
    'Security headers (middlewares.yml)',
    'Dashboard router (dashboard.yml)',
    'Dashboard password hash (dashboard-auth.yml)',
  ]);
  assert.not.ok(existsSync(caDir), 'no CA directory from building the steps');
  // The defaults as they are (unresolved .env reference): what --tags planning does.
  assert.ok(traefik.steps(traefik.defaults, {}).length > 0);
});

t.run();
