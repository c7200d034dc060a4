import type { Facts } from '../../lib/facts/facts.ts';
import { grafanaHost } from '../docker-stack/templates/monitoring.ts';
import type { MonitoringVars } from './defaults.ts';
import { monitoringEnabled } from './settings.ts';

export function monitoringSummary(v: MonitoringVars, _facts?: Facts): string[] {
  if (!monitoringEnabled(v)) return [];
  return [
    `Grafana: https://${grafanaHost(v.domain)}/   (user ${v.grafana_admin_user}, password GRAFANA_ADMIN_PASSWORD from .env; dashboards in the folder "Media server")`,
    v.alert_contact === 'none'
      ? 'Alerts: shown in Grafana (Alerting → Alert rules → Prometheus); set alert_contact (email, telegram, ntfy) to receive them'
      : `Alerts: Prometheus's firing alerts go out by ${v.alert_contact} through Grafana`,
  ];
}
