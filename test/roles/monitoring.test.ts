/**
 * Role monitoring at unit level: validation, the files it writes (written for real by its own steps into a temporary
 * monitoring_dir, then checked by the real promtool), Grafana's provisioning and dashboards (datasource by fixed uid,
 * no ${DS_…} placeholder, every query parsed by the real promtool), Jellyfin's EnableMetrics edit, the admin password
 * step's decision and the verify helpers. Docker is not on this machine: the steps that need it are left to the lab.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parse, stringify } from 'yaml';
import { renderCompose } from '../../lib/compose/render.ts';
import { composeFile } from '../../roles/docker-stack/templates/compose.ts';
import { stackModel } from '../../roles/docker-stack/model.ts';
import { IN_CONTAINER, monitoringLayout } from '../../roles/docker-stack/templates/monitoring.ts';
import { adminPasswordStep, passwordHash } from '../../roles/monitoring/admin-password.ts';
import { DATASOURCE_UID } from '../../roles/monitoring/dashboards/builders.ts';
import { DASHBOARDS, renderDashboard } from '../../roles/monitoring/dashboards/index.ts';
import { defaults, type MonitoringVars } from '../../roles/monitoring/defaults.ts';
import { grafanaIniText, provisioningFiles } from '../../roles/monitoring/files.ts';
import { monitoring, monitoringSteps } from '../../roles/monitoring/index.ts';
import { enableMetrics, jellyfinMetricsStep, systemXmlPath } from '../../roles/monitoring/jellyfin-metrics.ts';
import { validateMonitoring } from '../../roles/monitoring/settings.ts';
import { FORWARD_EXPR } from '../../roles/monitoring/templates/grafana.ts';
import { dashboardProblems, targetProblems } from '../../roles/monitoring/verify.ts';
import { check, context, removeTempDir, runStep, sh, tempDir } from '../helpers/steps.ts';

const t = suite('role monitoring');
const PASSWORD = 'grafana-admin-password-1';
const v = (over: Partial<MonitoringVars> = {}): MonitoringVars => ({ ...defaults, pve_ip: '192.168.1.10', grafana_admin_password: PASSWORD, ...over });
let root = '';

t.before(() => {
  root = tempDir('msh-monitoring-');
});
t.after(() => removeTempDir(root));

t('validate: pve_ip, passwords, contact settings from .env, job names; nothing asked when monitoring is off', () => {
  assert.is(validateMonitoring(v()), undefined);
  assert.is(validateMonitoring(v({ pve_ip: '' }))!.key, 'pve_ip');
  assert.is(validateMonitoring(v({ pve_ip: '', stack_profiles: ['media', 'proxy'] })), undefined, 'monitoring off: no pve_ip needed');
  assert.match(validateMonitoring(v({ grafana_admin_password: 'short' }))!.message, /fewer than 12 characters/);
  assert.is(validateMonitoring(v({ alert_contact: 'pager' }))!.key, 'alert_contact');
  assert.is(validateMonitoring(v({ alert_contact: 'email' }))!.key, 'alert_email_to');
  const email = { alert_contact: 'email', alert_email_to: 'me@example.com', smtp_host: 'smtp.example.com:587', smtp_from: 'grafana@example.com' };
  assert.equal(validateMonitoring(v({ ...email, smtp_password: 'literal-secret' })), {
    key: 'smtp_password',
    message: 'smtp_password is not taken from .env (secrets live only there)',
    fix: 'write smtp_password: "${SMTP_PASSWORD}" and put SMTP_PASSWORD=<value> in .env',
  });
  assert.is(validateMonitoring(v({ alert_contact: 'ntfy', alert_ntfy_url: 'ntfy.sh/topic' }))!.key, 'alert_ntfy_url');
  assert.is(validateMonitoring(v({ alert_contact: 'ntfy', alert_ntfy_url: 'https://ntfy.sh/my-topic' })), undefined, 'a public topic needs no token');
  assert.match(validateMonitoring(v({ monitoring_targets_may_be_down: ['jellyfn'] }))!.fix, /jellyfin/);
  assert.is(validateMonitoring(v({ prometheus_retention_size: '8G' }))!.key, 'prometheus_retention_size', "docker-stack's checks run too");
  assert.is(validateMonitoring(v({ backup_max_age_hours: { appdata: 0 } }))!.key, 'backup_max_age_hours');
  assert.equal(monitoring.requiredEnv, ['GRAFANA_ADMIN_PASSWORD']);
});

t('monitoring not in stack_profiles: every step is skipped with the reason', () => {
  const off = monitoringSteps(v({ stack_profiles: ['media', 'photos', 'proxy'] }));
  for (const s of off) assert.type(s.when?.({} as never), 'string', s.title);
});

t('the role writes its files for real (temporary monitoring_dir): modes, owners, and the real promtool accepts them', async () => {
  const vars = v({ monitoring_dir: join(root, 'monitoring'), prometheus_data_dir: join(root, 'prom-data'), grafana_data_dir: join(root, 'grafana-data') });
  const steps = monitoringSteps(vars).filter((s) => s.tags?.some((x) => x === 'directories' || x === 'config') && !s.title.includes('textfile'));
  const ctx = await context();
  for (const s of steps) await runStep(s, ctx);
  for (const s of steps) assert.is(await check(s, ctx), null, `${s.title}: a second run changes nothing`);
  const l = monitoringLayout(vars.monitoring_dir);
  const r = spawnSync('promtool', ['check', 'config', l.prometheusYml], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /SUCCESS: 1 rule files found/);
  const pw = join(l.grafanaConfig, 'admin-password');
  assert.is(readFileSync(pw, 'utf8'), PASSWORD);
  assert.is((statSync(pw).mode & 0o777).toString(8), '640', 'readable by Grafana (group root), not by others');
  assert.is((statSync(l.grafanaConfig).mode & 0o777).toString(8), '750');
  assert.is(statSync(vars.prometheus_data_dir).uid, 65534, "Prometheus's database belongs to nobody");
  assert.is(statSync(vars.grafana_data_dir).uid, 472, "Grafana's database belongs to 472");
  for (const name of Object.keys(DASHBOARDS)) assert.ok(statSync(join(l.dashboards, name)).isFile(), name);
  assert.ok(statSync(join(l.provisioning, 'datasources/media-server.yml')).isFile());
});

t('every path the compose file mounts for the monitoring part is one the role writes', () => {
  const vars = v();
  const compose = parse(renderCompose(composeFile(stackModel(vars, { renderNode: false, renderGid: undefined }, 'services')))) as { services: Record<string, { volumes?: { source: string; target: string }[] }> };
  const l = monitoringLayout(vars.monitoring_dir);
  const mounts = (svc: string) => Object.fromEntries(compose.services[svc]!.volumes!.map((m) => [m.target, m.source]));
  assert.is(mounts('prometheus')[IN_CONTAINER.prometheusConfig], l.prometheus);
  assert.is(mounts('grafana')[IN_CONTAINER.provisioning], l.provisioning);
  assert.is(mounts('grafana')[IN_CONTAINER.dashboards], l.dashboards);
  assert.is(mounts('grafana')[IN_CONTAINER.grafanaConfig], l.grafanaConfig);
  const provider = parse(provisioningFiles(vars)['dashboards/media-server.yml']!) as { providers: { options: { path: string } }[] };
  assert.is(provider.providers[0]!.options.path, IN_CONTAINER.dashboards, 'the dashboards provider reads where the dashboards are mounted');
});

t('Grafana provisioning: the Prometheus data source by fixed uid; alerting files only with a contact, tokens kept as given', () => {
  const files = provisioningFiles(v());
  assert.equal(Object.keys(files), ['datasources/media-server.yml', 'dashboards/media-server.yml']);
  const ds = parse(files['datasources/media-server.yml']!) as { apiVersion: number; datasources: { uid: string; type: string; url: string; isDefault: boolean }[] };
  assert.is(ds.apiVersion, 1);
  assert.equal(ds.datasources.map((d) => [d.uid, d.type, d.url, d.isDefault]), [[DATASOURCE_UID, 'prometheus', 'http://prometheus:9090', true]]);
  const tg = provisioningFiles(v({ alert_contact: 'telegram', alert_telegram_bot_token: '123:abc', alert_telegram_chat_id: '42' }));
  assert.equal(Object.keys(tg).filter((k) => k.startsWith('alerting/')), ['alerting/contact-points.yml', 'alerting/policies.yml', 'alerting/rules.yml']);
  const cp = parse(tg['alerting/contact-points.yml']!) as { contactPoints: { name: string; receivers: { type: string; settings: Record<string, string> }[] }[] };
  assert.equal(cp.contactPoints[0]!.receivers[0]!.settings, { bottoken: '123:abc', chatid: '42' });
  const policy = parse(tg['alerting/policies.yml']!) as { policies: { receiver: string }[] };
  assert.is(policy.policies[0]!.receiver, cp.contactPoints[0]!.name);
  const rules = parse(tg['alerting/rules.yml']!) as { groups: { rules: { data: { datasourceUid: string }[] }[] }[] };
  assert.is(rules.groups[0]!.rules[0]!.data[0]!.datasourceUid, DATASOURCE_UID);
  const ntfy = parse(provisioningFiles(v({ alert_contact: 'ntfy', alert_ntfy_url: 'https://ntfy.sh/t', alert_ntfy_token: 'tk' }))['alerting/contact-points.yml']!) as typeof cp;
  assert.equal(ntfy.contactPoints[0]!.receivers[0]!.settings, { url: 'https://ntfy.sh/t', httpMethod: 'POST', authorization_scheme: 'Bearer', authorization_credentials: 'tk' });
  for (const [name, text] of Object.entries(tg)) assert.not.match(text, /\$\{DS_/, name);
});

t('grafana.ini: anonymous access off, no sign-up, admin password read from a file, SMTP only for email', () => {
  const ini = grafanaIniText(v());
  assert.match(ini, /\[auth\.anonymous\]\nenabled = false/);
  assert.match(ini, /allow_sign_up = false/);
  assert.match(ini, /root_url = https:\/\/grafana\.home\.arpa\//);
  assert.match(ini, /admin_password = \$__file\{\/etc\/grafana-msh\/admin-password\}/);
  assert.not.match(ini, new RegExp(PASSWORD), 'the password itself is never in grafana.ini');
  assert.match(ini, /\[smtp\]\nenabled = false/);
  const mail = grafanaIniText(v({ alert_contact: 'email', smtp_host: 'smtp.example.com:587', smtp_user: 'u', smtp_from: 'g@example.com' }));
  assert.match(mail, /\[smtp\]\nenabled = true\nhost = smtp\.example\.com:587\nuser = u\npassword = \$__file\{\/etc\/grafana-msh\/smtp-password\}\nfrom_address = g@example\.com/);
});

t('dashboards: JSON on the fixed data source uid, no ${DS_…} placeholder, unique uids and panel ids, inside the grid', () => {
  const uids = new Set<string>();
  for (const [name, build] of Object.entries(DASHBOARDS)) {
    const text = renderDashboard(build());
    assert.is(dashboardProblems(name, text), undefined);
    assert.not.match(text, /\$\{DS_|\$\{datasource\}/);
    const d = JSON.parse(text) as { uid: string; panels: { id: number; gridPos: { x: number; w: number } }[] };
    assert.not.ok(uids.has(d.uid), `${name}: uid ${d.uid} is unique`);
    uids.add(d.uid);
    assert.is(new Set(d.panels.map((p) => p.id)).size, d.panels.length, `${name}: panel ids unique`);
    for (const p of d.panels) assert.ok(p.gridPos.x + p.gridPos.w <= 24, `${name}: panel ${p.id} inside the 24 columns`);
  }
  assert.match(dashboardProblems('x.json', '{"uid":"a","panels":[{"datasource":{"uid":"${DS_PROMETHEUS}"}}]}')!, /placeholder/);
  assert.match(dashboardProblems('x.json', '{"uid":"a","panels":[{"datasource":{"uid":"other"},"targets":[]}]}')!, /does not use the data source/);
});

t('every dashboard query and the alert-forwarding query are PromQL the real promtool parses', () => {
  const exprs = Object.values(DASHBOARDS).flatMap((b) => b().panels.flatMap((p) => p.targets.map((x) => x.expr)));
  exprs.push(FORWARD_EXPR);
  const file = join(root, 'queries.yml');
  writeFileSync(file, stringify({ groups: [{ name: 'queries', rules: exprs.map((expr, i) => ({ record: `msh:query${i}`, expr })) }] }));
  const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`SUCCESS: ${exprs.length} rules found`));
});

t("Jellyfin's system.xml: EnableMetrics set, added when missing, left alone when on", () => {
  const xml = (inner: string) => `<?xml version="1.0" encoding="utf-8"?>\n<ServerConfiguration xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n  <LogFileRetentionDays>3</LogFileRetentionDays>\n${inner}</ServerConfiguration>\n`;
  assert.equal(enableMetrics(xml('  <EnableMetrics>false</EnableMetrics>\n')), { text: xml('  <EnableMetrics>true</EnableMetrics>\n'), summary: 'set EnableMetrics to true' });
  assert.equal(enableMetrics(xml('')), { text: xml('  <EnableMetrics>true</EnableMetrics>\n'), summary: 'add EnableMetrics true' });
  assert.is(enableMetrics(xml('  <EnableMetrics>true</EnableMetrics>\n')), null);
  assert.throws(() => enableMetrics('<html/>'), /not the Jellyfin server configuration/);
});

t("Jellyfin's step on a real file: edits it keeping owner and mode, then reports nothing; a missing file waits for Jellyfin", async () => {
  const vars = v({ appdata_dir: join(root, 'appdata') });
  const path = systemXmlPath(vars);
  const step = jellyfinMetricsStep(vars, () => true);
  assert.match((await check(step, await context({ checkMode: true })))!.summary, /once Jellyfin has started and written it/);
  await assert_rejects(() => check(step), /does not exist: Jellyfin writes it when it first starts/);
  await sh(`mkdir -p ${join(root, 'appdata/jellyfin/config/config')} && printf '<?xml version="1.0"?>\\n<ServerConfiguration>\\n  <EnableMetrics>false</EnableMetrics>\\n</ServerConfiguration>\\n' > ${path} && chown 1000:1000 ${path} && chmod 0640 ${path}`);
  const res = await runStep(step);
  assert.ok(res.changed);
  assert.match(readFileSync(path, 'utf8'), /<EnableMetrics>true<\/EnableMetrics>/);
  assert.is(statSync(path).uid, 1000, "Jellyfin's user keeps its file");
  assert.is((statSync(path).mode & 0o777).toString(8), '640');
  assert.is(await check(step), null);
  assert.equal(step.notify, ['restart jellyfin']);
});

async function assert_rejects(fn: () => Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await fn();
  } catch (e) {
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable('expected a rejection');
}

t("Grafana's admin password step: nothing when the stamp has the password's hash; a reset otherwise (through stdin)", async () => {
  const vars = v();
  const step = adminPasswordStep(vars, () => true);
  const ctx = await context();
  const probe = (stamp: string, running: string) => ({ stdout: `@@stamp ${stamp}\n@@running ${running}\n`, code: 0 });
  assert.is(step.check(ctx, probe(passwordHash(PASSWORD), 'true')), null);
  const change = (await step.check(ctx, probe('', 'true')))!;
  assert.match(change.summary, /reset-admin-password \(the password from \.env, through stdin\)/);
  assert.not.match(change.summary, new RegExp(PASSWORD));
  assert.throws(() => step.check(ctx, probe(passwordHash('old-password-123'), '')), /grafana container is not running/);
  assert.ok(step.check(await context({ checkMode: true }), probe('', '')), 'check mode on a fresh host: the reset is announced');
  assert.not.match(step.probe!, new RegExp(PASSWORD), 'the probe never carries the password');
});

t('verify: targets up except the listed jobs; a missing job is named; the checks the lab runs', () => {
  const json = (targets: [string, string][]) => JSON.stringify({ status: 'success', data: { activeTargets: targets.map(([job, health]) => ({ labels: { job, instance: `${job}:1` }, health, lastError: health === 'up' ? '' : 'connection refused' })) } });
  assert.is(targetProblems(json([['prometheus', 'up'], ['jellyfin', 'up']]), ['prometheus', 'jellyfin'], []), undefined);
  assert.is(targetProblems(json([['prometheus', 'up'], ['jellyfin', 'down']]), ['prometheus', 'jellyfin'], []), 'jellyfin (jellyfin:1) is down: connection refused');
  assert.is(targetProblems(json([['prometheus', 'up'], ['jellyfin', 'down']]), ['prometheus', 'jellyfin'], ['jellyfin']), undefined);
  assert.is(targetProblems(json([['prometheus', 'up']]), ['prometheus', 'node-pve'], []), 'job node-pve has no target');
  const titles = monitoring.verify!(v()).map((c) => c.title);
  assert.ok(titles.includes('Prometheus answers ready'));
  assert.ok(titles.some((x) => x.startsWith('every target is up (prometheus, node-services, node-pve, cadvisor, grafana, traefik, jellyfin, immich-api, immich-microservices, postgres)')));
  assert.ok(titles.some((x) => x.startsWith('Prometheus loaded every alert rule')));
  assert.is(titles.filter((x) => x.startsWith('dashboard ')).length, Object.keys(DASHBOARDS).length);
  assert.equal(monitoring.verify!(v({ stack_profiles: ['media'] })), [], 'nothing to verify with monitoring off');
});

t('summary: the Grafana URL and where the password is', () => {
  assert.equal(monitoring.summary!(v(), {} as never), [
    'Grafana: https://grafana.home.arpa/   (user admin, password GRAFANA_ADMIN_PASSWORD from .env; dashboards in the folder "Media server")',
    'Alerts: shown in Grafana (Alerting → Alert rules → Prometheus); set alert_contact (email, telegram, ntfy) to receive them',
  ]);
});

t.run();
