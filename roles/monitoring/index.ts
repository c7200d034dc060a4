import { defineRole } from '../../lib/api/role.ts';
import type { Handler, Step, StepContext } from '../../lib/api/step.ts';
import { assertOk } from '../../lib/connectors/connector.ts';
import { directory, file } from '../../lib/modules/index.ts';
import { deployStep, engineStep, pullStep } from '../docker-stack/deploy.ts';
import { numericDirectory } from '../docker-stack/directories.ts';
import { MONITORING_PARTS } from '../docker-stack/services.ts';
import { enabledProfiles } from '../docker-stack/settings.ts';
import { GRAFANA_USER, monitoringLayout, PROMETHEUS_USER, TEXTFILE_DIR } from '../docker-stack/templates/monitoring.ts';
import { CONTAINER, SERVICE } from '../docker-stack/templates/names.ts';
import { adminPasswordStep } from './admin-password.ts';
import { DASHBOARDS, renderDashboard } from './dashboards/index.ts';
import { defaults, docs, type MonitoringVars } from './defaults.ts';
import { grafanaIniText, prometheusYaml, provisioningFiles, rulesYaml } from './files.ts';
import { jellyfinMetricsStep } from './jellyfin-metrics.ts';
import { monitoringEnabled, validateMonitoring } from './settings.ts';
import { monitoringSummary } from './summary.ts';
import { RULES_FILE } from './templates/prometheus-config.ts';
import { SECRET_FILES } from './templates/grafana.ts';
import { verifyMonitoring } from './verify.ts';

const root = { owner: 'root', group: 'root' };
/** Grafana runs with group root (gid 0): its configuration directory and secrets are root:root 0750 / 0640. */
const grafanaReadable = { owner: 'root', group: 'root' };

const HANDLER = { reloadPrometheus: 'reload prometheus', restartGrafana: 'restart grafana', restartJellyfin: 'restart jellyfin' } as const;

export function monitoringSteps(v: MonitoringVars): Step[] {
  const when: Step['when'] = () => monitoringEnabled(v) || 'monitoring is not in stack_profiles';
  const media: Step['when'] = () => (monitoringEnabled(v) && enabledProfiles(v).includes('media')) || 'needs media and monitoring in stack_profiles';
  const l = monitoringLayout(v.monitoring_dir);
  const dir = (title: string, path: string, mode = '0755', owner = root) => directory({ title, path, ...owner, mode, tags: ['directories'], when });
  const cfg = (title: string, path: string, content: string, notify: string[], extra: { mode?: string; secret?: boolean; tags?: string[] } = {}) =>
    file({ title, path, content, ...grafanaReadable, mode: extra.mode ?? '0644', secret: extra.secret, notify, tags: extra.tags ?? ['config'], when });
  const provisioning = provisioningFiles(v);
  const provisioningDirs = [...new Set(Object.keys(provisioning).map((p) => p.split('/')[0]!))];
  return [
    { ...engineStep(), when },
    dir('Monitoring configuration directory', v.monitoring_dir),
    dir("Prometheus's configuration directory", l.prometheus),
    dir("Prometheus's rules directory", l.rules),
    numericDirectory({ title: `Prometheus's database ${v.prometheus_data_dir} (nobody, 0750)`, path: v.prometheus_data_dir, ...PROMETHEUS_USER, mode: '0750', when }),
    // The mount source of node-exporter's textfile collector; the backup role writes its metrics here.
    dir('node-exporter textfile directory', TEXTFILE_DIR),
    dir("Grafana's directory", l.grafana),
    dir("Grafana's configuration (grafana.ini and secrets, group root)", l.grafanaConfig, '0750', grafanaReadable),
    dir("Grafana's provisioning", l.provisioning),
    ...provisioningDirs.map((d) => dir(`Grafana's ${d} provisioning`, `${l.provisioning}/${d}`)),
    dir("Grafana's dashboards", l.dashboards),
    numericDirectory({ title: `Grafana's database ${v.grafana_data_dir} (472:0, 0750)`, path: v.grafana_data_dir, ...GRAFANA_USER, mode: '0750', when }),
    cfg('prometheus.yml', l.prometheusYml, prometheusYaml(v), [HANDLER.reloadPrometheus]),
    cfg('Alert rules', `${l.prometheus}/${RULES_FILE}`, rulesYaml(v), [HANDLER.reloadPrometheus]),
    cfg('grafana.ini', `${l.grafanaConfig}/grafana.ini`, grafanaIniText(v), [HANDLER.restartGrafana]),
    cfg("Grafana's admin password file (read when Grafana creates its database)", `${l.grafanaConfig}/${SECRET_FILES.adminPassword}`, v.grafana_admin_password, [], { mode: '0640', secret: true, tags: ['config', 'secrets'] }),
    ...(v.alert_contact === 'email'
      ? [cfg("Grafana's SMTP password file", `${l.grafanaConfig}/${SECRET_FILES.smtpPassword}`, v.smtp_password, [HANDLER.restartGrafana], { mode: '0640', secret: true, tags: ['config', 'secrets'] })]
      : []),
    ...Object.entries(provisioning).map(([path, content]) =>
      // The contact point may hold a token: readable by Grafana (group root) only.
      cfg(`Grafana provisioning ${path}`, `${l.provisioning}/${path}`, content, [HANDLER.restartGrafana], path.startsWith('alerting/') ? { mode: '0640' } : {}),
    ),
    // Grafana rescans the dashboards directory every 30 s: no restart needed.
    ...Object.entries(DASHBOARDS).map(([name, build]) => cfg(`Dashboard ${name}`, `${l.dashboards}/${name}`, renderDashboard(build()), [], { tags: ['config', 'dashboards'] })),
    jellyfinMetricsStep(v, media),
    { ...pullStep(v, MONITORING_PARTS, 'Pull missing monitoring images'), when: () => (monitoringEnabled(v) && v.stack_pull) || 'monitoring is not in stack_profiles, or stack_pull is false' },
    { ...deployStep(v, undefined, MONITORING_PARTS, 'Monitoring up and healthy'), when },
    adminPasswordStep(v, when),
  ];
}

/** Acts only on a running container: on a first run the deploy step has just started it with the new files. */
function containerHandler(name: string, container: string, command: string): Handler {
  return {
    name,
    async run(ctx: StepContext) {
      const script = `if [ "$(docker inspect --format '{{.State.Running}}' ${container} 2>/dev/null)" = true ]; then ${command}; fi`;
      assertOk(await ctx.conn.run(script, { timeoutMs: 5 * 60 * 1000 }), name);
    },
  };
}

export const monitoring = defineRole({
  name: 'monitoring',
  description: "Prometheus (scrape targets, alert rules), Grafana (data source, dashboards, alert delivery) and their exporters, in the stack's monitoring part",
  hosts: 'services',
  defaults,
  docs,
  requiredEnv: ['GRAFANA_ADMIN_PASSWORD'],
  validate: validateMonitoring,
  steps: (v) => monitoringSteps(v),
  handlers: (): Handler[] => [
    // Prometheus rereads prometheus.yml and the rules on SIGHUP (and keeps the old ones if they do not load).
    containerHandler(HANDLER.reloadPrometheus, CONTAINER[SERVICE.prometheus], `docker kill --signal HUP ${CONTAINER[SERVICE.prometheus]}`),
    // Data sources, grafana.ini and alerting are read at start only.
    containerHandler(HANDLER.restartGrafana, CONTAINER[SERVICE.grafana], `docker restart ${CONTAINER[SERVICE.grafana]}`),
    containerHandler(HANDLER.restartJellyfin, CONTAINER[SERVICE.jellyfin], `docker restart ${CONTAINER[SERVICE.jellyfin]}`),
  ],
  summary: monitoringSummary,
  verify: verifyMonitoring,
});
