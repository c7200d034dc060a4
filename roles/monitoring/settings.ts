import { containsSecret } from '../../lib/redact.ts';
import { enabledProfiles, validateDockerStack } from '../docker-stack/settings.ts';
import { ALERT_CONTACTS, type MonitoringVars } from './defaults.ts';
import { scrapeConfigs } from './templates/prometheus-config.ts';

type Problem = { key: keyof MonitoringVars & string; message: string; fix: string } | undefined;

export const MIN_PASSWORD_LENGTH = 12;
const HOST = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export const monitoringEnabled = (v: MonitoringVars) => enabledProfiles(v).includes('monitoring');

/** Every scrape job name Prometheus could have, whatever the parts. */
export const ALL_JOBS = scrapeConfigs({ scrapeInterval: '30s', profiles: ['media', 'photos', 'proxy', 'monitoring'], servicesNodeExporter: 'x', pveAddress: 'x' }).map((j) => j.job_name);

function fromEnv(v: MonitoringVars, key: keyof MonitoringVars & string, example: string): Problem {
  const value = String(v[key]);
  if (value === '') return { key, message: `alert_contact ${v.alert_contact} needs ${key}`, fix: `set ${key}: "\${${example}}" and put ${example}=<value> in .env` };
  if (!containsSecret(value)) return { key, message: `${key} is not taken from .env (secrets live only there)`, fix: `write ${key}: "\${${example}}" and put ${example}=<value> in .env` };
  return undefined;
}

function validateContact(v: MonitoringVars): Problem {
  switch (v.alert_contact) {
    case 'email':
      if (!/^[^@\s;]+@[^@\s;]+(\s*;\s*[^@\s;]+@[^@\s;]+)*$/.test(v.alert_email_to)) return { key: 'alert_email_to', message: 'alert_contact email needs the address(es) to write to', fix: 'e.g. alert_email_to: you@example.com' };
      if (!/^[A-Za-z0-9.-]+:\d{1,5}$/.test(v.smtp_host)) return { key: 'smtp_host', message: `"${v.smtp_host}" is not host:port`, fix: 'e.g. smtp_host: smtp.example.com:587' };
      if (!/^[^@\s]+@[^@\s]+$/.test(v.smtp_from)) return { key: 'smtp_from', message: 'alert_contact email needs a sender address', fix: 'e.g. smtp_from: grafana@example.com' };
      return fromEnv(v, 'smtp_password', 'SMTP_PASSWORD');
    case 'telegram':
      if (!/^-?\d+$/.test(v.alert_telegram_chat_id)) return { key: 'alert_telegram_chat_id', message: 'alert_contact telegram needs the chat id (a number)', fix: 'e.g. alert_telegram_chat_id: "123456789"' };
      return fromEnv(v, 'alert_telegram_bot_token', 'TELEGRAM_BOT_TOKEN');
    case 'ntfy':
      if (!/^https?:\/\/[^\s/]+\/[A-Za-z0-9_-]+$/.test(v.alert_ntfy_url)) return { key: 'alert_ntfy_url', message: `"${v.alert_ntfy_url}" is not an ntfy topic URL`, fix: 'e.g. alert_ntfy_url: https://ntfy.sh/my-secret-topic' };
      return v.alert_ntfy_token === '' ? undefined : fromEnv(v, 'alert_ntfy_token', 'NTFY_TOKEN');
    default:
      return undefined;
  }
}

export function validateMonitoring(v: MonitoringVars): Problem {
  const stack = validateDockerStack(v);
  if (stack) return stack;
  if (!monitoringEnabled(v)) return undefined;
  if (!HOST.test(v.pve_ip)) return { key: 'pve_ip', message: v.pve_ip ? `"${v.pve_ip}" is not an address` : "Prometheus needs the Proxmox host's address to scrape its node-exporter", fix: 'set pve_ip to the Proxmox host\'s LAN address, e.g. 192.168.1.10' };
  if (!/^\d+(s|m)$/.test(v.prometheus_scrape_interval)) return { key: 'prometheus_scrape_interval', message: `"${v.prometheus_scrape_interval}" is not an interval in seconds or minutes`, fix: 'e.g. 30s or 1m' };
  for (const [schedule, hours] of Object.entries(v.backup_max_age_hours)) {
    if (!/^[a-z0-9_-]+$/.test(schedule)) return { key: 'backup_max_age_hours', message: `"${schedule}" is not a schedule name`, fix: 'lower-case names: appdata, photos, media' };
    if (!Number.isInteger(hours) || hours < 1) return { key: 'backup_max_age_hours', message: `${schedule}: ${hours} is not a whole number of hours`, fix: 'e.g. appdata: 30' };
  }
  const unknown = v.monitoring_targets_may_be_down.find((j) => !ALL_JOBS.includes(j));
  if (unknown !== undefined) return { key: 'monitoring_targets_may_be_down', message: `"${unknown}" is not a scrape job`, fix: `use some of: ${ALL_JOBS.join(', ')}` };
  if (!/^[A-Za-z0-9._-]+$/.test(v.grafana_admin_user)) return { key: 'grafana_admin_user', message: `"${v.grafana_admin_user}" is not a plain user name`, fix: 'letters, digits, dot, underscore and hyphen, e.g. admin' };
  if (v.grafana_admin_password.length < MIN_PASSWORD_LENGTH) {
    return { key: 'grafana_admin_password', message: `Grafana's admin password (GRAFANA_ADMIN_PASSWORD in .env) has fewer than ${MIN_PASSWORD_LENGTH} characters`, fix: 'set a longer one in .env, e.g. the output of: openssl rand -base64 18' };
  }
  if (!(ALERT_CONTACTS as readonly string[]).includes(v.alert_contact)) return { key: 'alert_contact', message: `"${v.alert_contact}" is not a contact`, fix: `use one of ${ALERT_CONTACTS.join(', ')}` };
  return validateContact(v);
}
