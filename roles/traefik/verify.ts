import { parse } from 'yaml';
import { commandSucceeds, outputMatches, type VerifyCheck } from '../../lib/api/verify.ts';
import { cmd, shq } from '../../lib/connectors/shell.ts';
import { basicAuthUsers } from './basic-auth.ts';
import type { TraefikVars } from './defaults.ts';
import { fqdn, SECURITY_HEADERS } from './names.ts';
import { hostPaths } from './paths.ts';
import { containerCertificate } from './templates/tls.ts';
import { HSTS_SECONDS } from './templates/middlewares.ts';

/** A dynamic-configuration file exists, parses as YAML, and `wanted` finds what it must hold (or says what is missing). */
function dynamicFile(path: string, wanted: (doc: any) => string | undefined): VerifyCheck {
  return {
    title: `${path} exists and parses`,
    script: `cat ${shq(path)}`,
    expect(r) {
      if (r.code !== 0) return `cannot read ${path}: ${r.stderr.trim()}`;
      let doc: unknown;
      try {
        doc = parse(r.stdout);
      } catch (e) {
        return `not valid YAML: ${(e as Error).message.split('\n')[0]}`;
      }
      return wanted(doc ?? {});
    },
  };
}

export function verifyTraefik(v: TraefikVars): VerifyCheck[] {
  const p = hostPaths(v.traefik_dir);
  const local = v.tls_mode === 'local-ca';
  const names = v.tls_names.map((n) => fqdn(n, v.domain));
  const userLine = new RegExp(`^${v.traefik_dashboard_user.replace(/[.]/g, '\\.')}:\\$apr1\\$[./0-9A-Za-z]{1,8}\\$[./0-9A-Za-z]{22}$`);
  const checks: VerifyCheck[] = [
    dynamicFile(p.tlsYml, (d) => {
      if (d.tls?.options?.default?.minVersion !== 'VersionTLS12') return 'tls.options.default.minVersion is not VersionTLS12';
      if (local && d.tls?.certificates?.[0]?.certFile !== containerCertificate().certFile) return `tls.certificates does not name ${containerCertificate().certFile}`;
      return undefined;
    }),
    dynamicFile(p.middlewaresYml, (d) => (d.http?.middlewares?.[SECURITY_HEADERS]?.headers?.stsSeconds === HSTS_SECONDS ? undefined : `${SECURITY_HEADERS} has no stsSeconds ${HSTS_SECONDS}`)),
    dynamicFile(p.dashboardYml, (d) => {
      const r = d.http?.routers?.dashboard;
      return r?.service === 'api@internal' && String(r.rule).includes(fqdn('traefik', v.domain)) ? undefined : `no dashboard router to api@internal for ${fqdn('traefik', v.domain)}`;
    }),
    {
      title: 'the dashboard has one basic-auth user with an apr1 hash',
      script: `cat ${shq(p.dashboardAuthYml)}`,
      // Never quote the line: it holds the hash.
      expect: (r) => {
        if (r.code !== 0) return `cannot read ${p.dashboardAuthYml}`;
        const users = basicAuthUsers(r.stdout);
        return users.length === 1 && userLine.test(users[0]!) ? undefined : `expected one line "${v.traefik_dashboard_user}:$apr1$…", found ${users.length} line(s) not all of that form`;
      },
    },
    outputMatches('dashboard-auth.yml is 0600 root', `stat -c '%a %U' ${shq(p.dashboardAuthYml)}`, /^600 root$/m),
  ];
  if (!local) return checks;
  return [
    ...checks,
    outputMatches('the key is 0600 root', `stat -c '%a %U' ${shq(p.key)}`, /^600 root$/m),
    outputMatches(
      'the certificate matches its key (same public key)',
      `a=$(openssl x509 -noout -pubkey -in ${shq(p.cert)} | openssl sha256) && b=$(openssl pkey -pubout -in ${shq(p.key)} | openssl sha256) && [ "$a" = "$b" ] && echo same`,
      /^same$/m,
    ),
    outputMatches('the certificate chains to the local CA', `openssl verify -purpose sslserver -CAfile ${cmd(p.caCert, p.cert)}`, /: OK$/m),
    {
      title: `the certificate covers ${names.join(', ')}`,
      script: `openssl x509 -noout -ext subjectAltName -in ${shq(p.cert)}`,
      expect: (r) => {
        if (r.code !== 0) return `openssl failed: ${r.stderr.trim()}`;
        const have = r.stdout.split(/[,\s]+/).filter((w) => w.startsWith('DNS:')).map((w) => w.slice(4));
        const missing = names.filter((n) => !have.includes(n));
        return missing.length ? `missing from subjectAltName: ${missing.join(', ')}` : undefined;
      },
    },
    commandSucceeds('the certificate is valid for 30 more days at least', `openssl x509 -noout -checkend ${30 * 86400} -in ${shq(p.cert)}`),
    httpsAnswers(names, p.caCert),
  ];
}

/**
 * A real TLS client (curl) on the host asks https://<name>/ through the port Docker publishes, trusting only the local
 * CA: the handshake must verify for every name (any HTTP status will do: what answers behind Traefik is not this role's).
 */
function httpsAnswers(names: string[], caCert: string): VerifyCheck {
  const script = names
    .map((n) => `curl -sS -o /dev/null -w ${shq(`%{http_code} ${n}\n`)} --max-time 10 --cacert ${shq(caCert)} --resolve ${shq(`${n}:443:127.0.0.1`)} ${shq(`https://${n}/`)} 2>&1 || echo ${shq(`FAILED ${n}`)}`)
    .join('\n');
  return {
    title: `HTTPS on 443 verifies with the local CA for ${names.join(', ')} (curl on the host)`,
    script,
    expect: (r) => {
      const failed = r.stdout.split('\n').filter((l) => /^FAILED |^curl: /.test(l));
      return failed.length ? failed.join('; ') : undefined;
    },
    skipUnless: { script: "docker ps --filter name=^traefik$ --filter status=running --quiet | grep -q .", reason: 'Traefik is not running: the docker-stack role starts it' },
  };
}
