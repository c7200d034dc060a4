/** Names the compose file, the .env, the deploy steps and the other roles (traefik, backup, monitoring) agree on. */

export const PROJECT = 'media-server';

/** Compose service keys; Compose's DNS answers these names on the networks a service shares. */
export const SERVICE = {
  traefik: 'traefik',
  jellyfin: 'jellyfin',
  immichServer: 'immich-server',
  immichMl: 'immich-machine-learning',
  valkey: 'immich-valkey',
  postgres: 'immich-postgres',
  prometheus: 'prometheus',
  grafana: 'grafana',
  cadvisor: 'cadvisor',
  nodeExporter: 'node-exporter',
  postgresExporter: 'postgres-exporter',
} as const;
export type ServiceKey = (typeof SERVICE)[keyof typeof SERVICE];

/** Fixed container names: the backup role dumps the database with `docker exec immich_postgres pg_dump …`. */
export const CONTAINER: Record<ServiceKey, string> = {
  traefik: 'traefik',
  jellyfin: 'jellyfin',
  'immich-server': 'immich_server',
  'immich-machine-learning': 'immich_machine_learning',
  'immich-valkey': 'immich_valkey',
  'immich-postgres': 'immich_postgres',
  prometheus: 'prometheus',
  grafana: 'grafana',
  cadvisor: 'cadvisor',
  'node-exporter': 'node_exporter',
  'postgres-exporter': 'postgres_exporter',
};

/**
 * proxy: Traefik and the web services it routes to. backend: internal (no route out), Immich with its database and
 * Valkey. egress: the machine-learning container alone, so it can download its models on first use. monitoring:
 * Prometheus, Grafana and the exporters; not internal, because Prometheus scrapes the Proxmox host's node-exporter on
 * the LAN and Grafana sends alert notifications out.
 * Engine-level names are fixed so Traefik's docker provider can name the proxy network.
 */
export const NETWORK = {
  proxy: { key: 'proxy', name: `${PROJECT}_proxy` },
  backend: { key: 'backend', name: `${PROJECT}_backend` },
  egress: { key: 'egress', name: `${PROJECT}_egress` },
  monitoring: { key: 'monitoring', name: `${PROJECT}_monitoring` },
} as const;

/** Variables of the project's .env that compose.yml refers to as ${NAME}. */
export const ENV = {
  profiles: 'COMPOSE_PROFILES',
  immichVersion: 'IMMICH_VERSION',
  uploadLocation: 'UPLOAD_LOCATION',
  dbDataLocation: 'DB_DATA_LOCATION',
  dbUsername: 'DB_USERNAME',
  dbDatabaseName: 'DB_DATABASE_NAME',
  dbPassword: 'DB_PASSWORD',
} as const;

export const DB_USERNAME = 'postgres';
export const DB_DATABASE_NAME = 'immich';

/** Where Traefik finds its files inside its container. */
export const TRAEFIK_PATHS = { dynamic: '/etc/traefik/dynamic', certs: '/certs', logs: '/logs' } as const;
