/**
 * The monitoring part (Compose profile monitoring): Prometheus, Grafana, cAdvisor, node-exporter and, with the photos
 * part, postgres-exporter for Immich's database. Their configuration files are the monitoring role's; this file only
 * says where each container finds them.
 */
import { envRef } from '../../../lib/compose/render.ts';
import type { ComposeService } from '../../../lib/compose/types.ts';
import { COMMON, healthcheck } from './common.ts';
import { traefikLabels } from './labels.ts';
import { CONTAINER, DB_DATABASE_NAME, ENV, NETWORK, SERVICE } from './names.ts';

export const PROMETHEUS_PORT = 9090;
export const GRAFANA_PORT = 3000;
export const CADVISOR_PORT = 8080;
export const NODE_EXPORTER_PORT = 9100;
export const POSTGRES_EXPORTER_PORT = 9187;

/** The users the images run as: nobody for Prometheus, grafana (472, group root) for Grafana. */
export const PROMETHEUS_USER = { uid: 65534, gid: 65534 };
export const GRAFANA_USER = { uid: 472, gid: 0 };

/** node-exporter's textfile directory on the VM (Debian's default, as on the Proxmox host): the backup role writes its metrics here. */
export const TEXTFILE_DIR = '/var/lib/prometheus/node-exporter';

export const grafanaHost = (domain: string) => `grafana.${domain}`;

/** Where the monitoring role writes the configuration on the VM (under monitoring_dir). */
export function monitoringLayout(dir: string) {
  return {
    prometheus: `${dir}/prometheus`,
    prometheusYml: `${dir}/prometheus/prometheus.yml`,
    rules: `${dir}/prometheus/rules`,
    grafana: `${dir}/grafana`,
    /** grafana.ini and the admin password file (readable by Grafana's user only). */
    grafanaConfig: `${dir}/grafana/config`,
    provisioning: `${dir}/grafana/provisioning`,
    dashboards: `${dir}/grafana/dashboards`,
  };
}

/** The same places inside the containers. Directories, not single files: a file replaced by rename stays visible. */
export const IN_CONTAINER = {
  prometheusConfig: '/etc/prometheus',
  prometheusYml: '/etc/prometheus/prometheus.yml',
  prometheusRules: '/etc/prometheus/rules',
  prometheusData: '/prometheus',
  grafanaConfig: '/etc/grafana-msh',
  grafanaIni: '/etc/grafana-msh/grafana.ini',
  grafanaAdminPassword: '/etc/grafana-msh/admin-password',
  provisioning: '/etc/grafana/provisioning',
  dashboards: '/var/lib/grafana-dashboards',
  grafanaData: '/var/lib/grafana',
  textfile: '/textfile',
} as const;

export interface MonitoringSettings {
  images: { prometheus: string; grafana: string; cadvisor: string; nodeExporter: string; postgresExporter: string };
  domain: string;
  monitoringDir: string;
  prometheusDataDir: string;
  grafanaDataDir: string;
  retentionTime: string;
  retentionSize: string;
  /** The VM address node-exporter listens on (docker0's by default). */
  nodeExporterAddress: string;
  /** The photos part is on: Immich's database exists, so postgres-exporter has something to watch. */
  photos: boolean;
  /** tls_mode acme-dns: the router asks Traefik's ACME resolver for the certificate of the domain and *.domain. */
  acme?: boolean;
}

const PROFILE = ['monitoring'];
const wget = (url: string) => healthcheck(['CMD-SHELL', `wget -qO /dev/null ${url} || exit 1`], '30s');

export function prometheusService(s: MonitoringSettings): ComposeService {
  const l = monitoringLayout(s.monitoringDir);
  return {
    image: s.images.prometheus,
    container_name: CONTAINER[SERVICE.prometheus],
    profiles: PROFILE,
    ...COMMON,
    user: `${PROMETHEUS_USER.uid}:${PROMETHEUS_USER.gid}`,
    // Replaces the image's CMD entirely; a configuration change is applied by SIGHUP (the role's handler), so the
    // lifecycle API stays off.
    command: [
      `--config.file=${IN_CONTAINER.prometheusYml}`,
      `--storage.tsdb.path=${IN_CONTAINER.prometheusData}`,
      `--storage.tsdb.retention.time=${s.retentionTime}`,
      `--storage.tsdb.retention.size=${s.retentionSize}`,
    ],
    expose: [String(PROMETHEUS_PORT)],
    volumes: [
      { type: 'bind', source: l.prometheus, target: IN_CONTAINER.prometheusConfig, read_only: true },
      { type: 'bind', source: s.prometheusDataDir, target: IN_CONTAINER.prometheusData },
    ],
    // proxy: Traefik's metrics entrypoint, Jellyfin and Immich; monitoring: the exporters, Grafana and the way out to pve.
    networks: [NETWORK.proxy.key, NETWORK.monitoring.key],
    security_opt: ['no-new-privileges:true'],
    healthcheck: wget(`http://127.0.0.1:${PROMETHEUS_PORT}/-/ready`),
  };
}

export function grafanaService(s: MonitoringSettings): ComposeService {
  const l = monitoringLayout(s.monitoringDir);
  return {
    image: s.images.grafana,
    container_name: CONTAINER[SERVICE.grafana],
    profiles: PROFILE,
    ...COMMON,
    user: `${GRAFANA_USER.uid}:${GRAFANA_USER.gid}`,
    // The image's start script passes GF_PATHS_CONFIG as --config: our grafana.ini overrides Grafana's defaults.
    environment: { GF_PATHS_CONFIG: IN_CONTAINER.grafanaIni },
    expose: [String(GRAFANA_PORT)],
    volumes: [
      { type: 'bind', source: l.grafanaConfig, target: IN_CONTAINER.grafanaConfig, read_only: true },
      { type: 'bind', source: l.provisioning, target: IN_CONTAINER.provisioning, read_only: true },
      { type: 'bind', source: l.dashboards, target: IN_CONTAINER.dashboards, read_only: true },
      { type: 'bind', source: s.grafanaDataDir, target: IN_CONTAINER.grafanaData },
    ],
    networks: [NETWORK.proxy.key, NETWORK.monitoring.key],
    labels: traefikLabels({ name: SERVICE.grafana, host: grafanaHost(s.domain), port: GRAFANA_PORT, acmeDomain: s.acme ? s.domain : undefined }),
    security_opt: ['no-new-privileges:true'],
    healthcheck: wget(`http://127.0.0.1:${GRAFANA_PORT}/api/health`),
  };
}

/** Per-container CPU, memory, network and restarts, read from the host's cgroups and Docker's state (read-only). */
export function cadvisorService(s: MonitoringSettings): ComposeService {
  return {
    image: s.images.cadvisor,
    container_name: CONTAINER[SERVICE.cadvisor],
    profiles: PROFILE,
    ...COMMON,
    command: ['--docker_only=true', '--housekeeping_interval=30s', '--store_container_labels=false', '--whitelisted_container_labels=com.docker.compose.service'],
    expose: [String(CADVISOR_PORT)],
    volumes: [
      { type: 'bind', source: '/', target: '/rootfs', read_only: true },
      { type: 'bind', source: '/var/run', target: '/var/run', read_only: true },
      { type: 'bind', source: '/sys', target: '/sys', read_only: true },
      { type: 'bind', source: '/var/lib/docker', target: '/var/lib/docker', read_only: true },
      { type: 'bind', source: '/dev/disk', target: '/dev/disk', read_only: true },
    ],
    networks: [NETWORK.monitoring.key],
    security_opt: ['no-new-privileges:true'],
    healthcheck: wget(`http://127.0.0.1:${CADVISOR_PORT}/healthz`),
  };
}

/**
 * node-exporter in the host's network and process namespaces (the VM's own interfaces and processes, as upstream
 * documents for Docker), listening only on nodeExporterAddress: containers reach it there, the LAN does not.
 */
export function nodeExporterService(s: MonitoringSettings): ComposeService {
  const listen = `${s.nodeExporterAddress}:${NODE_EXPORTER_PORT}`;
  return {
    image: s.images.nodeExporter,
    container_name: CONTAINER[SERVICE.nodeExporter],
    profiles: PROFILE,
    ...COMMON,
    network_mode: 'host',
    pid: 'host',
    command: [
      '--path.rootfs=/host',
      `--web.listen-address=${listen}`,
      `--collector.textfile.directory=${IN_CONTAINER.textfile}`,
      // $$: a literal dollar for Compose (the regex's end of line).
      '--collector.filesystem.mount-points-exclude=^/(dev|proc|run|sys|var/lib/docker/.+)($$|/)',
    ],
    volumes: [
      { type: 'bind', source: '/', target: '/host', read_only: true, bind: { propagation: 'rslave' } },
      { type: 'bind', source: TEXTFILE_DIR, target: IN_CONTAINER.textfile, read_only: true },
    ],
    security_opt: ['no-new-privileges:true'],
    healthcheck: wget(`http://${listen}/metrics`),
  };
}

/** Immich's database as metrics; connects with the database user and password of the project's .env. */
export function postgresExporterService(s: MonitoringSettings): ComposeService {
  return {
    image: s.images.postgresExporter,
    container_name: CONTAINER[SERVICE.postgresExporter],
    profiles: PROFILE,
    ...COMMON,
    environment: {
      // connect_timeout: a database that does not answer makes /metrics report pg_up 0 within seconds (two
      // collectors, 2 s each: measured 4.3 s) instead of hanging, and with it the healthcheck (10 s) and the scrape.
      DATA_SOURCE_URI: `${SERVICE.postgres}:5432/${DB_DATABASE_NAME}?sslmode=disable&connect_timeout=2`,
      DATA_SOURCE_USER: envRef(ENV.dbUsername),
      DATA_SOURCE_PASS: envRef(ENV.dbPassword),
    },
    expose: [String(POSTGRES_EXPORTER_PORT)],
    // backend: the database; monitoring: Prometheus.
    networks: [NETWORK.backend.key, NETWORK.monitoring.key],
    security_opt: ['no-new-privileges:true'],
    healthcheck: wget(`http://127.0.0.1:${POSTGRES_EXPORTER_PORT}/metrics`),
  };
}

/** The part's services by Compose service name; postgres-exporter only with the photos part. */
export function monitoringServices(s: MonitoringSettings): Record<string, ComposeService> {
  return {
    [SERVICE.prometheus]: prometheusService(s),
    [SERVICE.grafana]: grafanaService(s),
    [SERVICE.cadvisor]: cadvisorService(s),
    [SERVICE.nodeExporter]: nodeExporterService(s),
    ...(s.photos ? { [SERVICE.postgresExporter]: postgresExporterService(s) } : {}),
  };
}
