import { commandSucceeds, outputMatches, type VerifyCheck } from '../../lib/api/verify.ts';
import { shq } from '../../lib/connectors/shell.ts';
import { parseComposePs } from '../../lib/compose/ps.ts';
import { notReady, psScript } from './health.ts';
import { envPath } from './model.ts';
import { DOCKER_STACK_PARTS, wantedServices } from './services.ts';
import { ACME_STORAGE_FILE, acmeHostDir } from '../traefik/acme.ts';
import { acmeCredentials, enabledProfiles, usesAcme, type V } from './settings.ts';
import { CONTAINER, SERVICE } from './templates/names.ts';

/** A mapping Docker publishes, from `docker ps` Ports ("0.0.0.0:443->443/tcp", "[::]:80->80/tcp", ":::80->80/tcp"). */
export function publishedPorts(portsColumn: string): { address: string; port: number }[] {
  return portsColumn
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.includes('->'))
    .map((p) => {
      const host = p.slice(0, p.indexOf('->'));
      const colon = host.lastIndexOf(':');
      return { address: host.slice(0, colon), port: Number(host.slice(colon + 1).split('-')[0]) };
    });
}

/** Problems with what `docker ps --format '{{.Names}}\t{{.Ports}}'` shows: only Traefik may publish, only 80 and 443. */
export function publishingProblems(psOutput: string, proxyEnabled: boolean): string[] {
  const problems: string[] = [];
  const seen = new Set<number>();
  for (const line of psOutput.split('\n').filter((l) => l.trim() !== '')) {
    const [name = '', ports = ''] = line.split('\t');
    for (const p of publishedPorts(ports)) {
      const anyAddress = ['0.0.0.0', '[::]', '::', ''].includes(p.address);
      if (name !== CONTAINER[SERVICE.traefik] || ![80, 443].includes(p.port) || !anyAddress) problems.push(`${name} publishes ${p.address}:${p.port}`);
      else seen.add(p.port);
    }
  }
  if (proxyEnabled) for (const port of [80, 443]) if (!seen.has(port)) problems.push(`traefik does not publish 0.0.0.0:${port}`);
  return problems;
}

/** Compares hashes only: prints which reads of the password agree, never the password. */
function passwordScript(v: V): string {
  const env = shq(envPath(v));
  const read = `sed -n 's/^DB_PASSWORD=//p' ${env} | tail -n 1`;
  return [
    `a=$(${read} | sha256sum); b=$(${read} | sha256sum)`,
    `c=$(docker inspect --format '{{range .Config.Env}}{{println .}}{{end}}' ${CONTAINER[SERVICE.postgres]} | sed -n 's/^POSTGRES_PASSWORD=//p' | sha256sum)`,
    '[ "$a" = "$b" ] && echo two-reads-agree',
    '[ "$a" = "$c" ] && echo database-container-agrees',
    `${read} | grep -Eq '^[A-Za-z0-9]{16,}$' && echo format-ok`,
    'true',
  ].join('\n');
}

export function verifyDockerStack(v: V): VerifyCheck[] {
  const profiles = enabledProfiles(v);
  // The monitoring part is the monitoring role's to start and verify.
  const parts = profiles.filter((p) => DOCKER_STACK_PARTS.includes(p));
  const services = wantedServices(v, DOCKER_STACK_PARTS).map((w) => w.service);
  const checks: VerifyCheck[] = [
    commandSucceeds('docker compose config validates the project', `cd ${shq(v.compose_dir)} && docker compose config -q`),
    {
      title: `every service of ${parts.join(', ')} is running and healthy`,
      script: psScript(v.compose_dir),
      expect: (r) => {
        if (r.code !== 0) return `docker compose ps failed: ${(r.stderr || r.stdout).trim().slice(0, 200)}`;
        const pending = notReady(services, parseComposePs(r.stdout));
        return pending.length ? pending.map((p) => `${p.name} ${p.why}`).join(', ') : undefined;
      },
    },
    {
      title: 'only Traefik publishes ports, and only 0.0.0.0:80 and :443',
      script: "docker ps --format '{{.Names}}\t{{.Ports}}'",
      expect: (r) => {
        if (r.code !== 0) return `docker ps failed: ${r.stderr.trim().slice(0, 200)}`;
        const problems = publishingProblems(r.stdout, profiles.includes('proxy'));
        return problems.length ? problems.join('; ') : undefined;
      },
    },
    outputMatches(`${envPath(v)} is mode 0600, owned by root`, `stat -c '%a %U %G' ${shq(envPath(v))}`, /^600 root root$/m),
    outputMatches(`${envPath(v)} selects the parts ${profiles.join(',')}`, `grep -c ${shq(`^COMPOSE_PROFILES=${profiles.join(',')}$`)} ${shq(envPath(v))}`, /^1$/m),
  ];
  if (profiles.includes('proxy') && usesAcme(v)) checks.push(...acmeChecks(v));
  if (profiles.includes('photos')) {
    checks.push(
      outputMatches(
        'the database password is stable: two reads of .env and the running database container agree (hashes only)',
        passwordScript(v),
        /two-reads-agree\ndatabase-container-agrees\nformat-ok/,
      ),
    );
  }
  return checks;
}

/**
 * tls_mode acme-dns: acme.json is 0600 (Traefik skips the resolver otherwise), and Traefik's container has every
 * credential of acme_dns_env, not empty. Only the variables' names are printed, never their values.
 */
function acmeChecks(v: V): VerifyCheck[] {
  const names = acmeCredentials(v).map(([name]) => name);
  const store = `${acmeHostDir(v.traefik_dir)}/${ACME_STORAGE_FILE}`;
  return [
    outputMatches(`${store} is mode 0600`, `stat -c '%a' ${shq(store)}`, /^600$/m),
    {
      title: `Traefik's container has the DNS provider's credentials ${names.join(', ')} (names only)`,
      // The values stay in a shell variable: only the names of the non-empty ones are printed.
      script: `env=$(docker inspect --format '{{range .Config.Env}}{{println .}}{{end}}' ${CONTAINER[SERVICE.traefik]}) || exit 1\nprintf '%s\\n' "$env" | sed -n 's/^\\([A-Za-z_][A-Za-z0-9_]*\\)=..*$/\\1/p'`,
      expect: (r) => {
        if (r.code !== 0) return `docker inspect ${CONTAINER[SERVICE.traefik]} failed: ${r.stderr.trim().slice(0, 200)}`;
        const set = r.stdout.split('\n');
        const missing = names.filter((n) => !set.includes(n));
        return missing.length ? `not set or empty in the container: ${missing.join(', ')}` : undefined;
      },
    },
  ];
}
