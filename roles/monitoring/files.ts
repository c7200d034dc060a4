/** The content of every file the role writes, from the role's variables (pure: the tests render them the same way). */
import { enabledProfiles } from '../docker-stack/settings.ts';
import type { MonitoringVars } from './defaults.ts';
import { prometheusConfig, renderPrometheusConfig } from './templates/prometheus-config.ts';
import { renderRules } from './templates/rules.ts';
import { alertRulesYaml, contactPointsYaml, dashboardProviderYaml, datasourcesYaml, grafanaIni, policiesYaml, type Receiver } from './templates/grafana.ts';

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

export function grafanaIniText(v: MonitoringVars): string {
  const smtp = v.alert_contact === 'email' ? { host: v.smtp_host, user: v.smtp_user, from: v.smtp_from } : undefined;
  return grafanaIni({ domain: v.domain, adminUser: v.grafana_admin_user, smtp });
}

/** The contact point's integration for alert_contact; undefined for none. */
export function receiver(v: MonitoringVars): Receiver | undefined {
  switch (v.alert_contact) {
    case 'email':
      return { type: 'email', settings: { addresses: v.alert_email_to, singleEmail: true } };
    case 'telegram':
      return { type: 'telegram', settings: { bottoken: v.alert_telegram_bot_token, chatid: v.alert_telegram_chat_id } };
    case 'ntfy':
      return {
        type: 'webhook',
        settings: { url: v.alert_ntfy_url, httpMethod: 'POST', ...(v.alert_ntfy_token ? { authorization_scheme: 'Bearer', authorization_credentials: v.alert_ntfy_token } : {}) },
      };
    default:
      return undefined;
  }
}

/** Grafana's provisioning files, by path under the provisioning directory. */
export function provisioningFiles(v: MonitoringVars): Record<string, string> {
  const files: Record<string, string> = {
    'datasources/media-server.yml': datasourcesYaml(v.prometheus_scrape_interval),
    'dashboards/media-server.yml': dashboardProviderYaml(),
  };
  const r = receiver(v);
  if (r) {
    files['alerting/contact-points.yml'] = contactPointsYaml(r);
    files['alerting/policies.yml'] = policiesYaml();
    files['alerting/rules.yml'] = alertRulesYaml();
  }
  return files;
}
