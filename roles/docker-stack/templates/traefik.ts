import { basename, dirname } from 'node:path';
import { envRef } from '../../../lib/compose/render.ts';
import type { ComposeService } from '../../../lib/compose/types.ts';
import { ACME_STORAGE_DIR, acmeHostDir, acmeStaticArgs, type AcmeDnsSettings } from '../../traefik/acme.ts';
import { COMMON, healthcheck } from './common.ts';
import { CONTAINER, NETWORK, SERVICE, TRAEFIK_PATHS } from './names.ts';

/** Traefik's own entrypoint: /ping (and nothing else: the API is never served insecurely); not published. */
export const TRAEFIK_PING_PORT = 8080;
/** Prometheus metrics entrypoint: reachable on the proxy network only, not published. */
export const TRAEFIK_METRICS_PORT = 8082;

interface EntryPoint {
  address: string;
  http?: { redirections: { entryPoint: { to: string; scheme: 'https'; permanent: boolean } } };
  transport?: { respondingTimeouts: { readTimeout: string } };
}

/** The subset of Traefik v3's install (static) configuration we set, in its own structure and key names. */
export interface TraefikStaticConfig {
  global: { checkNewVersion: boolean; sendAnonymousUsage: boolean };
  log: { level: string };
  entryPoints: Record<string, EntryPoint>;
  providers: {
    docker: { endpoint: string; exposedByDefault: boolean; network: string };
    file: { directory: string; watch: boolean };
  };
  api: { dashboard: boolean; insecure: false };
  ping: true;
  metrics: { prometheus: { entryPoint: string; addRoutersLabels: boolean } };
  accessLog: { filePath: string; format: 'common' };
}

export interface TraefikSettings {
  image: string;
  logLevel: string;
  traefikDir: string;
  accessLog: string;
  /**
   * tls_mode acme-dns: the certificate resolver (role traefik's acmeStaticArgs), and the names of the DNS provider's
   * credentials, which the container gets as ${NAME} from the project's .env (their values are never in compose.yml).
   */
  acme?: { resolver: AcmeDnsSettings; credentials: string[] };
}

export function traefikStaticConfig(s: TraefikSettings): TraefikStaticConfig {
  return {
    global: { checkNewVersion: false, sendAnonymousUsage: false },
    log: { level: s.logLevel },
    entryPoints: {
      web: { address: ':80', http: { redirections: { entryPoint: { to: 'websecure', scheme: 'https', permanent: true } } } },
      // Traefik v3 cuts requests after 60 s by default; Immich uploads of large videos take longer.
      websecure: { address: ':443', transport: { respondingTimeouts: { readTimeout: '600s' } } },
      traefik: { address: `:${TRAEFIK_PING_PORT}` },
      metrics: { address: `:${TRAEFIK_METRICS_PORT}` },
    },
    providers: {
      docker: { endpoint: 'unix:///var/run/docker.sock', exposedByDefault: false, network: NETWORK.proxy.name },
      file: { directory: TRAEFIK_PATHS.dynamic, watch: true },
    },
    api: { dashboard: true, insecure: false },
    ping: true,
    metrics: { prometheus: { entryPoint: 'metrics', addRoutersLabels: true } },
    // Common Log Format: what the hardening role's traefik-auth Fail2ban filter reads.
    accessLog: { filePath: `${TRAEFIK_PATHS.logs}/${basename(s.accessLog)}`, format: 'common' },
  };
}

/** The configuration as command-line flags: `--entryPoints.web.address=:80`, one per leaf, in model order. */
export function traefikArgs(config: TraefikStaticConfig): string[] {
  const out: string[] = [];
  const walk = (node: unknown, path: string) => {
    if (node !== null && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) walk(v, path ? `${path}.${k}` : k);
    } else out.push(`--${path}=${String(node)}`);
  };
  walk(config, '');
  return out;
}

export function traefikService(s: TraefikSettings): ComposeService {
  return {
    image: s.image,
    container_name: CONTAINER[SERVICE.traefik],
    profiles: ['proxy'],
    ...COMMON,
    command: [...traefikArgs(traefikStaticConfig(s)), ...(s.acme ? acmeStaticArgs(s.acme.resolver) : [])],
    ...(s.acme ? { environment: Object.fromEntries(s.acme.credentials.map((name) => [name, envRef(name)])) } : {}),
    ports: [
      { target: 80, published: '80', protocol: 'tcp' },
      { target: 443, published: '443', protocol: 'tcp' },
    ],
    expose: [String(TRAEFIK_METRICS_PORT)],
    volumes: [
      { type: 'bind', source: '/var/run/docker.sock', target: '/var/run/docker.sock', read_only: true },
      { type: 'bind', source: `${s.traefikDir}/dynamic`, target: TRAEFIK_PATHS.dynamic, read_only: true },
      { type: 'bind', source: `${s.traefikDir}/certs`, target: TRAEFIK_PATHS.certs, read_only: true },
      // The host side is where Fail2ban reads the log (traefik_access_log).
      { type: 'bind', source: dirname(s.accessLog), target: TRAEFIK_PATHS.logs },
      // ACME's account and certificates (acme.json, 0600), kept across restarts so Traefik does not ask again.
      ...(s.acme ? [{ type: 'bind' as const, source: acmeHostDir(s.traefikDir), target: ACME_STORAGE_DIR }] : []),
    ],
    networks: [NETWORK.proxy.key],
    security_opt: ['no-new-privileges:true'],
    // The same ping entrypoint as the running Traefik: the healthcheck is a separate process with its own flags.
    healthcheck: healthcheck(['CMD', 'traefik', 'healthcheck', '--ping', `--entryPoints.traefik.address=:${TRAEFIK_PING_PORT}`], '10s'),
  };
}
