import { defaults as stackDefaults, docs as stackDocs } from '../docker-stack/defaults.ts';

/** Where the monitoring role sends Prometheus's firing alerts through Grafana. */
export const ALERT_CONTACTS = ['none', 'email', 'telegram', 'ntfy'] as const;

/**
 * The role reads docker-stack's variables too (same keys, same defaults): it deploys the monitoring part of the same
 * Compose project with docker-stack's deploy step.
 */
export const defaults = {
  ...stackDefaults,
  pve_ip: '',
  prometheus_scrape_interval: '30s',
  monitoring_targets_may_be_down: [] as string[],
  backup_max_age_hours: { appdata: 30, photos: 180, media: 180 } as Record<string, number>,
  grafana_admin_user: 'admin',
  /** Only ever a reference: the password itself lives in .env. */
  grafana_admin_password: '${GRAFANA_ADMIN_PASSWORD}',
  alert_contact: 'none',
  alert_email_to: '',
  smtp_host: '',
  smtp_user: '',
  smtp_password: '',
  smtp_from: '',
  alert_telegram_bot_token: '',
  alert_telegram_chat_id: '',
  alert_ntfy_url: '',
  alert_ntfy_token: '',
};

export const docs = {
  ...stackDocs,
  pve_ip: { description: 'Address of the Proxmox host, the NFS server when the datasets are shared over NFS (e.g. 192.168.1.10); Prometheus scrapes its node-exporter at <pve_ip>:9100.' },
  prometheus_scrape_interval: { description: 'How often Prometheus scrapes every target and evaluates the alert rules (e.g. 30s).' },
  monitoring_targets_may_be_down: {
    description: 'Scrape jobs the verify checks accept as down (e.g. [jellyfin] where a part cannot run); names: prometheus, node-services, node-pve, cadvisor, grafana, traefik, jellyfin, immich-api, immich-microservices, postgres.',
  },
  backup_max_age_hours: {
    description: 'Per backup schedule (appdata, photos, media), the age in hours of its last successful run past which an alert fires: the schedule plus a margin (default 30 for the daily appdata, 180 for the weekly ones).',
  },
  grafana_admin_user: { description: "Grafana's administrator login." },
  grafana_admin_password: { description: "Grafana's administrator password, as a reference to .env (default ${GRAFANA_ADMIN_PASSWORD}, 12+ characters); the role keeps Grafana's admin password equal to it." },
  alert_contact: { description: 'Where Prometheus alerts are sent, through Grafana: none (default; see them in Grafana), email, telegram or ntfy.' },
  alert_email_to: { description: 'alert_contact email: the address(es) that get alerts, separated by ;.' },
  smtp_host: { description: 'alert_contact email: the SMTP server as host:port (e.g. smtp.example.com:587).' },
  smtp_user: { description: 'alert_contact email: the SMTP login.' },
  smtp_password: { description: 'alert_contact email: the SMTP password, as a reference to .env, e.g. ${SMTP_PASSWORD}.' },
  smtp_from: { description: 'alert_contact email: the sender address.' },
  alert_telegram_bot_token: { description: 'alert_contact telegram: the bot token, as a reference to .env, e.g. ${TELEGRAM_BOT_TOKEN}.' },
  alert_telegram_chat_id: { description: 'alert_contact telegram: the chat id the bot writes to.' },
  alert_ntfy_url: { description: 'alert_contact ntfy: the topic URL (e.g. https://ntfy.sh/my-secret-topic); Grafana posts its webhook JSON to it.' },
  alert_ntfy_token: { description: 'alert_contact ntfy: an access token for the topic, as a reference to .env (e.g. ${NTFY_TOKEN}); empty for a public topic.' },
};

export type MonitoringVars = typeof defaults;
