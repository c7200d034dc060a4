/**
 * prometheus.yml, typed after the subset of Prometheus's configuration file we write
 * (prometheus.io/docs/prometheus/latest/configuration/configuration/), and the scrape jobs the inventory asks for.
 */
import { stringify } from 'yaml';
import { IMMICH_METRICS_PORTS } from '../../docker-stack/templates/immich.ts';
import { JELLYFIN_PORT } from '../../docker-stack/templates/jellyfin.ts';
import { CADVISOR_PORT, GRAFANA_PORT, NODE_EXPORTER_PORT, POSTGRES_EXPORTER_PORT, PROMETHEUS_PORT } from '../../docker-stack/templates/monitoring.ts';
import { SERVICE } from '../../docker-stack/templates/names.ts';
import { TRAEFIK_METRICS_PORT } from '../../docker-stack/templates/traefik.ts';
import type { Profile } from '../../docker-stack/settings.ts';

export interface StaticConfig {
  targets: string[];
  labels?: Record<string, string>;
}

export interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  static_configs: StaticConfig[];
}

export interface PrometheusConfig {
  global: { scrape_interval: string; evaluation_interval: string };
  /** Relative to prometheus.yml's directory, as Prometheus and promtool resolve them. */
  rule_files: string[];
  scrape_configs: ScrapeConfig[];
}

/** The rules file, relative to prometheus.yml (rules/ next to it, in the same mounted directory). */
export const RULES_FILE = 'rules/media-server.yml';

export interface ScrapeTargets {
  scrapeInterval: string;
  /** Enabled parts of the stack: a part's jobs only when it runs. */
  profiles: Profile[];
  /** node-exporter of the VM (docker0's address) and of the Proxmox host. */
  servicesNodeExporter: string;
  pveAddress: string;
}

/** `host` says which machine a series is about (dashboards and alerts group by it). */
const on = (host: string, targets: string[]): StaticConfig[] => [{ targets, labels: { host } }];

export function scrapeConfigs(t: ScrapeTargets): ScrapeConfig[] {
  const has = (p: Profile) => t.profiles.includes(p);
  const jobs: ScrapeConfig[] = [
    { job_name: 'prometheus', static_configs: on('services', [`localhost:${PROMETHEUS_PORT}`]) },
    { job_name: 'node-services', static_configs: on('services', [`${t.servicesNodeExporter}:${NODE_EXPORTER_PORT}`]) },
    { job_name: 'node-pve', static_configs: on('pve', [`${t.pveAddress}:${NODE_EXPORTER_PORT}`]) },
    { job_name: 'cadvisor', static_configs: on('services', [`${SERVICE.cadvisor}:${CADVISOR_PORT}`]) },
    { job_name: 'grafana', static_configs: on('services', [`${SERVICE.grafana}:${GRAFANA_PORT}`]) },
  ];
  if (has('proxy')) jobs.push({ job_name: 'traefik', static_configs: on('services', [`${SERVICE.traefik}:${TRAEFIK_METRICS_PORT}`]) });
  // /metrics answers once the role has set EnableMetrics in Jellyfin's system.xml.
  if (has('media')) jobs.push({ job_name: 'jellyfin', static_configs: on('services', [`${SERVICE.jellyfin}:${JELLYFIN_PORT}`]) });
  if (has('photos')) {
    const [api, microservices] = IMMICH_METRICS_PORTS;
    jobs.push(
      { job_name: 'immich-api', static_configs: on('services', [`${SERVICE.immichServer}:${api}`]) },
      { job_name: 'immich-microservices', static_configs: on('services', [`${SERVICE.immichServer}:${microservices}`]) },
      { job_name: 'postgres', static_configs: on('services', [`${SERVICE.postgresExporter}:${POSTGRES_EXPORTER_PORT}`]) },
    );
  }
  return jobs;
}

export function prometheusConfig(t: ScrapeTargets): PrometheusConfig {
  return {
    global: { scrape_interval: t.scrapeInterval, evaluation_interval: t.scrapeInterval },
    rule_files: [RULES_FILE],
    scrape_configs: scrapeConfigs(t),
  };
}

export function renderPrometheusConfig(config: PrometheusConfig): string {
  return `# Managed by media-server-home (role monitoring): changes here are overwritten.\n${stringify(config, { lineWidth: 0 })}`;
}
