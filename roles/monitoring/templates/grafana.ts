/**
 * Grafana's own files: grafana.ini (what differs from Grafana's defaults) and the provisioning files
 * (grafana.com/docs/grafana/latest/administration/provisioning/): the Prometheus data source with its fixed uid, the
 * dashboards folder, and, when alert_contact is set, the contact point, the notification policy and one Grafana rule
 * that forwards Prometheus's firing alerts to it (Prometheus evaluates the rules; there is no Alertmanager).
 */
import { stringify } from 'yaml';
import { GRAFANA_PORT, grafanaHost, IN_CONTAINER, PROMETHEUS_PORT } from '../../docker-stack/templates/monitoring.ts';
import { SERVICE } from '../../docker-stack/templates/names.ts';
import { DATASOURCE_UID } from '../dashboards/builders.ts';

const HEADER = '# Managed by media-server-home (role monitoring): changes here are overwritten.';
const yaml = (doc: unknown) => `${HEADER}\n${stringify(doc, { lineWidth: 0 })}`;

/** The files next to grafana.ini that hold secrets; grafana.ini reads them with $__file{…}. */
export const SECRET_FILES = { adminPassword: 'admin-password', smtpPassword: 'smtp-password' } as const;
const inConfig = (name: string) => `${IN_CONTAINER.grafanaConfig}/${name}`;

export interface GrafanaIniSettings {
  domain: string;
  adminUser: string;
  smtp?: { host: string; user: string; from: string };
}

export function grafanaIni(s: GrafanaIniSettings): string {
  const sections: [string, [string, string][]][] = [
    ['server', [['root_url', `https://${grafanaHost(s.domain)}/`], ['http_port', String(GRAFANA_PORT)]]],
    [
      'security',
      [
        ['admin_user', s.adminUser],
        // Read when Grafana creates its database; afterwards the role keeps the password in step (see admin-password.ts).
        ['admin_password', `$__file{${inConfig(SECRET_FILES.adminPassword)}}`],
        ['cookie_secure', 'true'],
        ['disable_gravatar', 'true'],
      ],
    ],
    ['auth.anonymous', [['enabled', 'false']]],
    ['users', [['allow_sign_up', 'false']]],
    ['analytics', [['reporting_enabled', 'false'], ['check_for_updates', 'false'], ['check_for_plugin_updates', 'false']]],
    ['smtp', s.smtp ? [['enabled', 'true'], ['host', s.smtp.host], ['user', s.smtp.user], ['password', `$__file{${inConfig(SECRET_FILES.smtpPassword)}}`], ['from_address', s.smtp.from]] : [['enabled', 'false']]],
  ];
  const body = sections.map(([name, keys]) => `[${name}]\n${keys.map(([k, val]) => `${k} = ${val}`).join('\n')}`).join('\n\n');
  return `; Managed by media-server-home (role monitoring): changes here are overwritten.\n${body}\n`;
}

export function datasourcesYaml(scrapeInterval: string): string {
  return yaml({
    apiVersion: 1,
    datasources: [
      {
        name: 'Prometheus',
        uid: DATASOURCE_UID,
        type: 'prometheus',
        access: 'proxy',
        url: `http://${SERVICE.prometheus}:${PROMETHEUS_PORT}`,
        isDefault: true,
        editable: false,
        jsonData: { timeInterval: scrapeInterval },
      },
    ],
  });
}

export const DASHBOARD_FOLDER = 'Media server';

export function dashboardProviderYaml(): string {
  return yaml({
    apiVersion: 1,
    providers: [
      {
        name: 'media-server',
        orgId: 1,
        folder: DASHBOARD_FOLDER,
        type: 'file',
        disableDeletion: true,
        allowUiUpdates: false,
        updateIntervalSeconds: 30,
        options: { path: IN_CONTAINER.dashboards, foldersFromFilesStructure: false },
      },
    ],
  });
}

/** A contact point integration, in Grafana's provisioning shape (type and its settings). */
export type Receiver =
  | { type: 'email'; settings: { addresses: string; singleEmail: boolean } }
  | { type: 'telegram'; settings: { bottoken: string; chatid: string } }
  | { type: 'webhook'; settings: { url: string; httpMethod: 'POST'; authorization_scheme?: string; authorization_credentials?: string } };

export const CONTACT_POINT = 'media-server';

export function contactPointsYaml(receiver: Receiver): string {
  return yaml({ apiVersion: 1, contactPoints: [{ orgId: 1, name: CONTACT_POINT, receivers: [{ uid: 'msh-contact', ...receiver, disableResolveMessage: false }] }] });
}

export function policiesYaml(): string {
  return yaml({ apiVersion: 1, policies: [{ orgId: 1, receiver: CONTACT_POINT, group_by: ['grafana_folder', 'prometheus_alert'], group_wait: '30s', group_interval: '5m', repeat_interval: '12h' }] });
}

/**
 * One Grafana rule over Prometheus's ALERTS series: each firing Prometheus alert becomes a Grafana alert instance
 * (its alertname renamed prometheus_alert, Grafana's own alertname being the rule's title), routed to the contact point.
 */
export const FORWARD_EXPR =
  'max without (alertname, alertstate, __name__) (label_replace(ALERTS{alertstate="firing"}, "prometheus_alert", "$1", "alertname", "(.*)"))';

export function alertRulesYaml(): string {
  return yaml({
    apiVersion: 1,
    groups: [
      {
        orgId: 1,
        name: 'prometheus-alerts',
        folder: DASHBOARD_FOLDER,
        interval: '1m',
        rules: [
          {
            uid: 'msh-prometheus-alerts',
            title: 'Prometheus alert',
            condition: 'B',
            data: [
              { refId: 'A', relativeTimeRange: { from: 300, to: 0 }, datasourceUid: DATASOURCE_UID, model: { refId: 'A', expr: FORWARD_EXPR, instant: true } },
              { refId: 'B', datasourceUid: '__expr__', model: { refId: 'B', type: 'threshold', expression: 'A', conditions: [{ evaluator: { type: 'gt', params: [0] } }] } },
            ],
            noDataState: 'OK',
            execErrState: 'Error',
            for: '0s',
            annotations: { summary: '{{ $labels.prometheus_alert }} ({{ $labels.severity }}) on {{ $labels.host }}' },
            labels: {},
          },
        ],
      },
    ],
  });
}
