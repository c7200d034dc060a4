import { parse } from 'yaml';
import { outputMatches, type VerifyCheck } from '../../lib/api/verify.ts';
import { shq } from '../../lib/connectors/shell.ts';
import { GRAFANA_PORT, monitoringLayout, PROMETHEUS_PORT } from '../docker-stack/templates/monitoring.ts';
import { CONTAINER, SERVICE } from '../docker-stack/templates/names.ts';
import { DATASOURCE_UID } from './dashboards/builders.ts';
import { DASHBOARDS } from './dashboards/index.ts';
import type { MonitoringVars } from './defaults.ts';
import { prometheusYaml, provisioningFiles } from './files.ts';
import { monitoringEnabled } from './settings.ts';
import { ruleGroups } from './templates/rules.ts';

const PROM = CONTAINER[SERVICE.prometheus];
const api = (path: string) => `docker exec ${PROM} wget -qO- ${shq(`http://127.0.0.1:${PROMETHEUS_PORT}${path}`)}`;

interface ActiveTarget {
  labels: { job: string; instance: string };
  health: string;
  lastError: string;
}

/** Targets not up, except the jobs listed as allowed down; undefined when all is well. */
export function targetProblems(json: string, wantedJobs: string[], mayBeDown: string[]): string | undefined {
  let targets: ActiveTarget[];
  try {
    targets = (JSON.parse(json) as { data: { activeTargets: ActiveTarget[] } }).data.activeTargets;
  } catch {
    return `not the JSON of /api/v1/targets: ${json.slice(0, 200)}`;
  }
  const problems: string[] = [];
  for (const job of wantedJobs) if (!targets.some((t) => t.labels.job === job)) problems.push(`job ${job} has no target`);
  for (const t of targets) {
    if (t.health !== 'up' && !mayBeDown.includes(t.labels.job)) problems.push(`${t.labels.job} (${t.labels.instance}) is ${t.health}${t.lastError ? `: ${t.lastError}` : ''}`);
  }
  return problems.length ? problems.join('; ') : undefined;
}

/** Every dashboard: valid JSON, every query on the provisioned data source, no import placeholder. */
export function dashboardProblems(name: string, text: string): string | undefined {
  if (/\$\{DS_/.test(text)) return `${name} has a \${DS_…} placeholder`;
  let d: { uid?: string; panels?: { datasource?: { uid?: string }; targets?: { datasource?: { uid?: string } }[] }[] };
  try {
    d = JSON.parse(text);
  } catch (e) {
    return `${name} is not JSON: ${(e as Error).message}`;
  }
  if (!d.uid || !Array.isArray(d.panels) || d.panels.length === 0) return `${name} has no uid or no panels`;
  for (const p of d.panels) {
    const uids = [p.datasource?.uid, ...(p.targets ?? []).map((t) => t.datasource?.uid)];
    if (uids.some((u) => u !== DATASOURCE_UID)) return `${name}: a panel does not use the data source ${DATASOURCE_UID}`;
  }
  return undefined;
}

/** A provisioning file on the host parses as YAML and says what we wrote (a hand edit shows here). */
function provisioningFile(path: string, expected: string): VerifyCheck {
  return {
    title: `${path} parses and is what the role wrote`,
    script: `cat ${shq(path)}`,
    expect(r) {
      if (r.code !== 0) return `cannot read ${path}: ${r.stderr.trim()}`;
      try {
        parse(r.stdout);
      } catch (e) {
        return `not valid YAML: ${(e as Error).message.split('\n')[0]}`;
      }
      return r.stdout === expected ? undefined : 'its content differs from what the role writes';
    },
  };
}

export function verifyMonitoring(v: MonitoringVars): VerifyCheck[] {
  if (!monitoringEnabled(v)) return [];
  const l = monitoringLayout(v.monitoring_dir);
  const jobs = (parse(prometheusYaml(v)) as { scrape_configs: { job_name: string }[] }).scrape_configs.map((j) => j.job_name);
  const alerts = [...new Set(ruleGroups(v.backup_max_age_hours).groups.flatMap((g) => g.rules.map((r) => r.alert)))];
  // Right after a converge Jellyfin may be restarting and a first scrape pending: wait up to 3 minutes until every
  // target not allowed down has been scraped and is up (Prometheus's own query: no JSON parsing in the shell).
  const required = jobs.filter((j) => !v.monitoring_targets_may_be_down.includes(j));
  const selector = `{job=~"${required.join('|')}"}`;
  const query = (q: string) => api(`/api/v1/query?query=${encodeURIComponent(q)}`);
  const targetsScript = [
    'for i in $(seq 1 36); do',
    `  n=$(${query(`count(up${selector} == 1)`)}) || n=''`,
    `  case "$n" in *',"${required.length}"]'*) break;; esac`,
    '  sleep 5',
    'done',
    api('/api/v1/targets?state=active'),
  ].join('\n');
  return [
    outputMatches('Prometheus answers ready', api('/-/ready'), /Ready/),
    outputMatches("the real promtool (in Prometheus's container) accepts the configuration and rules", `docker exec ${PROM} promtool check config /etc/prometheus/prometheus.yml 2>&1`, /SUCCESS: 1 rule files found[\s\S]*SUCCESS: \d+ rules found/),
    {
      title: `Prometheus loaded every alert rule (${alerts.length})`,
      script: api('/api/v1/rules?type=alert'),
      expect: (r) => {
        if (r.code !== 0) return `cannot ask Prometheus: ${r.stderr.trim()}`;
        const missing = alerts.filter((a) => !r.stdout.includes(`"name":"${a}"`));
        return missing.length ? `not loaded: ${missing.join(', ')}` : undefined;
      },
    },
    {
      title: `every target is up (${jobs.join(', ')})${v.monitoring_targets_may_be_down.length ? `, except ${v.monitoring_targets_may_be_down.join(', ')} that may be down` : ''}`,
      script: targetsScript,
      expect: (r) => (r.code !== 0 ? `cannot ask Prometheus: ${r.stderr.trim()}` : targetProblems(r.stdout, jobs, v.monitoring_targets_may_be_down)),
    },
    outputMatches('Grafana answers, its database ok', `docker exec ${CONTAINER[SERVICE.grafana]} wget -qO- http://127.0.0.1:${GRAFANA_PORT}/api/health`, /"database":\s*"ok"/),
    ...Object.entries(provisioningFiles(v)).map(([path, content]) => provisioningFile(`${l.provisioning}/${path}`, content)),
    ...Object.keys(DASHBOARDS).map(
      (name): VerifyCheck => ({
        title: `dashboard ${name} is JSON on the data source ${DATASOURCE_UID}, no \${DS_…} placeholder`,
        script: `cat ${shq(`${l.dashboards}/${name}`)}`,
        expect: (r) => (r.code !== 0 ? `cannot read it: ${r.stderr.trim()}` : dashboardProblems(name, r.stdout)),
      }),
    ),
    outputMatches("Grafana's secrets are not readable by others", `stat -c '%a %U %G' ${shq(`${l.grafanaConfig}/admin-password`)}`, /^640 root root$/m),
  ];
}
