import { X509Certificate } from 'node:crypto';
import { defineRole } from '../../lib/api/role.ts';
import type { Step } from '../../lib/api/step.ts';
import { apt, directory, file } from '../../lib/modules/index.ts';
import { lazyFile } from '../../lib/modules/lazy-file.ts';
import { dashboardAuthFile } from './basic-auth.ts';
import { defaults, docs, type TraefikVars } from './defaults.ts';
import { localCa, localCaLayout } from './local-ca.ts';
import { fqdn } from './names.ts';
import { hostPaths } from './paths.ts';
import { dashboardYaml } from './templates/dashboard.ts';
import { middlewaresYaml } from './templates/middlewares.ts';
import { tlsYaml } from './templates/tls.ts';
import { validateTraefik } from './validate.ts';
import { verifyTraefik } from './verify.ts';

import { traefikSummary } from './summary.ts';

export { traefikSummary };

const root = { owner: 'root', group: 'root' };

/** Local CA: made on the controller, then the certificate, its key and the CA certificate copied to certs/. */
function localCaSteps(v: TraefikVars, p: ReturnType<typeof hostPaths>): { steps: Step[]; tlsFile: Step } {
  const ca = localCa({ layout: localCaLayout(v.tls_ca_dir), domain: v.domain, dnsNames: v.tls_names.map((n) => fqdn(n, v.domain)), tags: ['tls'] });
  const tags = ['tls'];
  return {
    steps: [
      ...ca.steps,
      directory({ title: 'Certificate directory', path: p.certs, ...root, mode: '0700', tags }),
      lazyFile({ title: 'Server certificate on the host', path: p.cert, content: ca.serverCert, madeFrom: 'the certificate issued above', ...root, mode: '0644', tags }),
      lazyFile({ title: 'Server key on the host', path: p.key, content: ca.serverKey, madeFrom: 'the key made with the certificate above', secret: true, ...root, mode: '0600', tags }),
      lazyFile({ title: 'CA certificate on the host', path: p.caCert, content: ca.caCert, madeFrom: 'the local CA made above', ...root, mode: '0644', tags }),
    ],
    // After the certificate files: writing it is what makes Traefik load them (see templates/tls.ts).
    tlsFile: lazyFile({
      title: 'TLS configuration (tls.yml)',
      path: p.tlsYml,
      content: () => {
        const cert = ca.serverCert();
        return cert && tlsYaml({ localCert: { sha256Fingerprint: new X509Certificate(cert).fingerprint256 } });
      },
      madeFrom: 'the fingerprint of the certificate issued above',
      ...root,
      mode: '0644',
      tags,
    }),
  };
}

export const traefik = defineRole({
  name: 'traefik',
  description: "Traefik's dynamic configuration (TLS, security headers, dashboard behind basic auth) and the local CA with its certificate",
  hosts: 'services',
  defaults,
  docs,
  requiredEnv: ['TRAEFIK_DASHBOARD_PASSWORD'],
  validate: validateTraefik,
  steps: (v) => {
    const p = hostPaths(v.traefik_dir);
    const acme = v.tls_mode === 'acme-dns';
    const tls = acme
      ? { steps: [], tlsFile: file({ title: 'TLS configuration (tls.yml)', path: p.tlsYml, content: tlsYaml({}), ...root, mode: '0644', tags: ['tls'] }) }
      : localCaSteps(v, p);
    return [
      apt({ title: 'openssl (to check certificates on the host)', packages: ['openssl'], tags: ['packages'] }),
      directory({ title: 'Dynamic configuration directory', path: p.dynamic, ...root, mode: '0755' }),
      ...tls.steps,
      tls.tlsFile,
      file({ title: 'Security headers (middlewares.yml)', path: p.middlewaresYml, content: middlewaresYaml(), ...root, mode: '0644' }),
      file({ title: 'Dashboard router (dashboard.yml)', path: p.dashboardYml, content: dashboardYaml({ domain: v.domain, acme }), ...root, mode: '0644', tags: ['dashboard'] }),
      dashboardAuthFile({ path: p.dashboardAuthYml, user: v.traefik_dashboard_user, password: v.traefik_dashboard_password, tags: ['dashboard'] }),
    ];
  },
  summary: traefikSummary,
  verify: verifyTraefik,
});
