/** The content of every file the role writes, from the role's variables (pure: the tests render them the same way). */
import { enabledProfiles } from '../docker-stack/settings.ts';
import type { MonitoringVars } from './defaults.ts';
import { prometheusConfig, renderPrometheusConfig } from './templates/prometheus-config.ts';
import { renderRules } from './templates/rules.ts';

export function prometheusYaml(v: MonitoringVars): string {
  return renderPrometheusConfig(
    prometheusConfig({
      scrapeInterval: v.prometheus_scrape_interval,
      profiles: enabledProfiles(v),
      servicesNodeExporter: v.node_exporter_services_address,
      pveAddress: v.pve_ip,
    }),
  );
}

export function rulesYaml(v: MonitoringVars): string {
  return renderRules(v.backup_max_age_hours);
}
