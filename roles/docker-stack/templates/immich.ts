import { parseImageRef } from '../../../lib/compose/image-ref.ts';
import { envRef } from '../../../lib/compose/render.ts';
import type { ComposeService } from '../../../lib/compose/types.ts';
import { COMMON, healthcheck } from './common.ts';
import { traefikLabels } from './labels.ts';
import { CONTAINER, ENV, NETWORK, SERVICE } from './names.ts';

export const IMMICH_PORT = 2283;
/** IMMICH_TELEMETRY_INCLUDE=all: Prometheus metrics of the API (8081) and of the microservices worker (8082). */
export const IMMICH_METRICS_PORTS = [8081, 8082];
export const ML_PORT = 3003;

export const photosHost = (domain: string) => `photos.${domain}`;

export interface ImmichSettings {
  serverImage: string;
  mlImage: string;
  valkeyImage: string;
  postgresImage: string;
  domain: string;
  /** Pass the host's /dev/dri for hardware transcoding (Immich's "quicksync" hwaccel), and to an -openvino ML image. */
  gpu: boolean;
  /** tls_mode acme-dns: the router asks Traefik's ACME resolver for the certificate of the domain and *.domain. */
  acme?: boolean;
}

/** The database connection every Immich process needs; the password comes from the .env only. */
const database = {
  DB_HOSTNAME: SERVICE.postgres,
  DB_USERNAME: envRef(ENV.dbUsername),
  DB_PASSWORD: envRef(ENV.dbPassword),
  DB_DATABASE_NAME: envRef(ENV.dbDatabaseName),
};

export function immichServerService(s: ImmichSettings): ComposeService {
  return {
    image: s.serverImage,
    container_name: CONTAINER[SERVICE.immichServer],
    profiles: ['photos'],
    ...COMMON,
    ...(s.gpu ? { devices: ['/dev/dri:/dev/dri'] } : {}),
    environment: {
      ...database,
      REDIS_HOSTNAME: SERVICE.valkey,
      IMMICH_MACHINE_LEARNING_URL: `http://${SERVICE.immichMl}:${ML_PORT}`,
      IMMICH_TELEMETRY_INCLUDE: 'all',
    },
    expose: [IMMICH_PORT, ...IMMICH_METRICS_PORTS].map(String),
    volumes: [
      { type: 'bind', source: envRef(ENV.uploadLocation), target: '/data' },
      { type: 'bind', source: '/etc/localtime', target: '/etc/localtime', read_only: true },
    ],
    // proxy: reached by Traefik; backend: reaches its database, Valkey and machine learning.
    networks: [NETWORK.proxy.key, NETWORK.backend.key],
    labels: traefikLabels({ name: 'immich', host: photosHost(s.domain), port: IMMICH_PORT, acmeDomain: s.acme ? s.domain : undefined }),
    depends_on: { [SERVICE.postgres]: { condition: 'service_healthy' }, [SERVICE.valkey]: { condition: 'service_healthy' } },
    // The image's own HEALTHCHECK: immich-healthcheck asks http://localhost:2283/api/server/ping for {"res":"pong"}.
    healthcheck: healthcheck(['CMD', 'immich-healthcheck'], '120s'),
  };
}

/** Immich's OpenVINO build of machine learning (tag suffix -openvino) can use the Intel iGPU. */
export const mlUsesGpu = (s: ImmichSettings) => s.gpu && /-openvino$/.test(parseImageRef(s.mlImage).tag ?? '');

export function immichMlService(s: ImmichSettings): ComposeService {
  return {
    image: s.mlImage,
    container_name: CONTAINER[SERVICE.immichMl],
    profiles: ['photos'],
    ...COMMON,
    ...(mlUsesGpu(s) ? { devices: ['/dev/dri:/dev/dri'] } : {}),
    expose: [String(ML_PORT)],
    volumes: [{ type: 'volume', source: 'model-cache', target: '/cache' }],
    // backend is internal: egress is its way out to download models on first use.
    networks: [NETWORK.backend.key, NETWORK.egress.key],
    // The image's own HEALTHCHECK: healthcheck.py asks http://localhost:3003/ping for "pong".
    healthcheck: healthcheck(['CMD', 'python3', 'healthcheck.py'], '120s'),
  };
}

export function valkeyService(s: ImmichSettings): ComposeService {
  return {
    image: s.valkeyImage,
    container_name: CONTAINER[SERVICE.valkey],
    profiles: ['photos'],
    ...COMMON,
    expose: ['6379'],
    networks: [NETWORK.backend.key],
    // valkey-cli exits 0 even on an error reply (e.g. LOADING): only PONG is healthy.
    healthcheck: healthcheck(['CMD-SHELL', 'valkey-cli ping | grep -q PONG'], '10s'),
  };
}

export function postgresService(s: ImmichSettings): ComposeService {
  return {
    image: s.postgresImage,
    container_name: CONTAINER[SERVICE.postgres],
    profiles: ['photos'],
    ...COMMON,
    environment: {
      POSTGRES_PASSWORD: envRef(ENV.dbPassword),
      POSTGRES_USER: envRef(ENV.dbUsername),
      POSTGRES_DB: envRef(ENV.dbDatabaseName),
      POSTGRES_INITDB_ARGS: '--data-checksums',
    },
    expose: ['5432'],
    // On the VM's own disk (DESIGN.md deviation): Immich's database must not live on a network share.
    volumes: [{ type: 'bind', source: envRef(ENV.dbDataLocation), target: '/var/lib/postgresql/data' }],
    shm_size: '128mb',
    networks: [NETWORK.backend.key],
    healthcheck: healthcheck(['CMD', 'pg_isready', '--dbname', envRef(ENV.dbDatabaseName), '--username', envRef(ENV.dbUsername)], '30s'),
  };
}
