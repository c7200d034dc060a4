/**
 * The monitoring role's Prometheus files checked by the REAL promtool (Debian's `prometheus` package: apt-get install
 * prometheus): `promtool check config` (with the rules it loads), `promtool check rules`, and `promtool test rules`
 * with one firing and one quiet case per alert rule.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parse, stringify } from 'yaml';
import { defaults } from '../../roles/monitoring/defaults.ts';
import { prometheusYaml, rulesYaml } from '../../roles/monitoring/files.ts';
import { RULES_FILE } from '../../roles/monitoring/templates/prometheus-config.ts';
import { ruleGroups } from '../../roles/monitoring/templates/rules.ts';
import { removeTempDir, tempDir } from '../helpers/steps.ts';

const t = suite('monitoring: Prometheus configuration and alert rules (real promtool)');
const v = { ...defaults, pve_ip: '192.168.1.10' };
let dir = '';

const promtool = (...args: string[]) => spawnSync('promtool', args, { cwd: dir, encoding: 'utf8' });

t.before(() => {
  dir = tempDir('msh-rules-');
  mkdirSync(join(dir, 'rules'));
  writeFileSync(join(dir, 'prometheus.yml'), prometheusYaml(v));
  writeFileSync(join(dir, RULES_FILE), rulesYaml(v));
});
t.after(() => removeTempDir(dir));

t('promtool is the real one', () => {
  assert.match(execFileSync('promtool', ['--version'], { encoding: 'utf8' }) + '', /promtool, version \d+\.\d+/);
});

t('promtool check config accepts prometheus.yml and the rules file it names', () => {
  const r = promtool('check', 'config', 'prometheus.yml');
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /SUCCESS: 1 rule files found/);
  assert.match(r.stdout, /SUCCESS: \d+ rules found/);
});

t('promtool check rules accepts the rules; a broken expression is refused (the check is real)', () => {
  const ok = promtool('check', 'rules', RULES_FILE);
  assert.is(ok.status, 0, ok.stdout + ok.stderr);
  assert.not.match(ok.stdout + ok.stderr, /FAILED|lint/, 'no lint finding either');
  const broken = stringify({ groups: [{ name: 'x', rules: [{ alert: 'X', expr: 'up ==' }] }] });
  writeFileSync(join(dir, 'broken.yml'), broken);
  const bad = promtool('check', 'rules', 'broken.yml');
  assert.is.not(bad.status, 0);
});

t('every rule has a severity, a summary and a description; names are unique per group', () => {
  for (const g of ruleGroups(v.backup_max_age_hours).groups) {
    for (const r of g.rules) {
      assert.ok(['critical', 'warning'].includes(r.labels.severity), r.alert);
      assert.ok(r.annotations.summary && r.annotations.description, r.alert);
    }
  }
});

/** One `promtool test rules` test group. */
interface RuleTest {
  interval: string;
  /** How often promtool evaluates the rules in this test (default 1m; coarser for alerts that wait days). */
  evaluation?: string;
  input_series: { series: string; values: string }[];
  alert_rule_test: { eval_time: string; alertname: string; exp_alerts: { exp_labels: Record<string, string>; exp_annotations: Record<string, string> }[] }[];
}

const node = (host: string) => ({ job: `node-${host}`, instance: host === 'pve' ? '192.168.1.10:9100' : '172.17.0.1:9100', host });
const sel = (name: string, labels: Record<string, string>) => `${name}{${Object.entries(labels).map(([k, x]) => `${k}="${x}"`).join(',')}}`;

const TESTS: Record<string, RuleTest> = {
  TargetDown: {
    interval: '1m',
    input_series: [
      { series: sel('up', { job: 'jellyfin', instance: 'jellyfin:8096', host: 'services' }), values: '0x10' },
      { series: sel('up', { job: 'traefik', instance: 'traefik:8082', host: 'services' }), values: '1x10' },
      { series: sel('up', { job: 'grafana', instance: 'grafana:3000', host: 'services' }), values: '1 1 0 0 0 1 1 1 1 1' },
    ],
    alert_rule_test: [
      { eval_time: '4m', alertname: 'TargetDown', exp_alerts: [] },
      {
        eval_time: '6m',
        alertname: 'TargetDown',
        exp_alerts: [
          {
            exp_labels: { severity: 'warning', job: 'jellyfin', instance: 'jellyfin:8096', host: 'services' },
            exp_annotations: { summary: 'jellyfin on services is down', description: 'Prometheus could not scrape jellyfin:8096 (job jellyfin) for 5 minutes.' },
          },
        ],
      },
    ],
  },
  PrometheusConfigReloadFailed: {
    interval: '1m',
    input_series: [{ series: sel('prometheus_config_last_reload_successful', { job: 'prometheus', instance: 'localhost:9090', host: 'services' }), values: '1 1 0x10' }],
    alert_rule_test: [
      { eval_time: '3m', alertname: 'PrometheusConfigReloadFailed', exp_alerts: [] },
      {
        eval_time: '8m',
        alertname: 'PrometheusConfigReloadFailed',
        exp_alerts: [
          {
            exp_labels: { severity: 'warning', job: 'prometheus', instance: 'localhost:9090', host: 'services' },
            exp_annotations: { summary: "Prometheus's configuration did not load", description: 'Prometheus runs on its previous configuration: docker logs prometheus says why.' },
          },
        ],
      },
    ],
  },
  FilesystemAlmostFull: {
    interval: '1m',
    input_series: [
      { series: sel('node_filesystem_size_bytes', { ...node('services'), device: '/dev/sda1', fstype: 'ext4', mountpoint: '/' }), values: '200x20' },
      { series: sel('node_filesystem_avail_bytes', { ...node('services'), device: '/dev/sda1', fstype: 'ext4', mountpoint: '/' }), values: '25x20' },
      // 90% used, but datasets and the pool's mounts in the VM are the pool rule's business.
      { series: sel('node_filesystem_size_bytes', { ...node('pve'), device: 'tank/media', fstype: 'zfs', mountpoint: '/mnt/tank/media' }), values: '100x20' },
      { series: sel('node_filesystem_avail_bytes', { ...node('pve'), device: 'tank/media', fstype: 'zfs', mountpoint: '/mnt/tank/media' }), values: '10x20' },
      { series: sel('node_filesystem_size_bytes', { ...node('services'), device: 'tank-media', fstype: 'virtiofs', mountpoint: '/mnt/tank/media' }), values: '100x20' },
      { series: sel('node_filesystem_avail_bytes', { ...node('services'), device: 'tank-media', fstype: 'virtiofs', mountpoint: '/mnt/tank/media' }), values: '10x20' },
      // 50% used: quiet.
      { series: sel('node_filesystem_size_bytes', { ...node('pve'), device: '/dev/nvme0n1p2', fstype: 'ext4', mountpoint: '/' }), values: '100x20' },
      { series: sel('node_filesystem_avail_bytes', { ...node('pve'), device: '/dev/nvme0n1p2', fstype: 'ext4', mountpoint: '/' }), values: '50x20' },
    ],
    alert_rule_test: [
      { eval_time: '10m', alertname: 'FilesystemAlmostFull', exp_alerts: [] },
      {
        eval_time: '16m',
        alertname: 'FilesystemAlmostFull',
        exp_alerts: [
          {
            exp_labels: { severity: 'warning', ...node('services'), device: '/dev/sda1', fstype: 'ext4', mountpoint: '/' },
            exp_annotations: { summary: '/ on services is 87.5% full', description: 'Alert threshold: 80% used.' },
          },
        ],
      },
    ],
  },
  ZfsPoolAlmostFull: {
    interval: '1m',
    input_series: [
      { series: sel('node_filesystem_size_bytes', { ...node('pve'), device: 'tank/media', fstype: 'zfs', mountpoint: '/mnt/tank/media' }), values: '1000x20' },
      { series: sel('node_filesystem_avail_bytes', { ...node('pve'), device: 'tank/media', fstype: 'zfs', mountpoint: '/mnt/tank/media' }), values: '100x20' },
      { series: sel('node_filesystem_size_bytes', { ...node('pve'), device: 'tank/photos', fstype: 'zfs', mountpoint: '/mnt/tank/photos' }), values: '300x20' },
      { series: sel('node_filesystem_avail_bytes', { ...node('pve'), device: 'tank/photos', fstype: 'zfs', mountpoint: '/mnt/tank/photos' }), values: '100x20' },
      // Another pool, half full: quiet.
      { series: sel('node_filesystem_size_bytes', { ...node('pve'), device: 'rpool/ROOT/pve-1', fstype: 'zfs', mountpoint: '/' }), values: '200x20' },
      { series: sel('node_filesystem_avail_bytes', { ...node('pve'), device: 'rpool/ROOT/pve-1', fstype: 'zfs', mountpoint: '/' }), values: '100x20' },
    ],
    alert_rule_test: [
      { eval_time: '10m', alertname: 'ZfsPoolAlmostFull', exp_alerts: [] },
      {
        eval_time: '16m',
        alertname: 'ZfsPoolAlmostFull',
        exp_alerts: [
          {
            // (900 + 200) used of (900 + 200 + 100): 91.67%.
            exp_labels: { severity: 'warning', host: 'pve', pool: 'tank' },
            exp_annotations: { summary: 'ZFS pool tank is 91.67% full', description: 'Keep 10% of a pool free (ZFS slows down when nearly full); alert threshold 80% used.' },
          },
        ],
      },
    ],
  },
  ZfsPoolNotOnline: {
    interval: '1m',
    input_series: [
      { series: sel('node_zfs_zpool_state', { ...node('pve'), zpool: 'tank', state: 'online' }), values: '1 1 0x10' },
      { series: sel('node_zfs_zpool_state', { ...node('pve'), zpool: 'tank', state: 'degraded' }), values: '0 0 1x10' },
      { series: sel('node_zfs_zpool_state', { ...node('pve'), zpool: 'rpool', state: 'online' }), values: '1x12' },
      { series: sel('node_zfs_zpool_state', { ...node('pve'), zpool: 'rpool', state: 'faulted' }), values: '0x12' },
    ],
    alert_rule_test: [
      { eval_time: '1m', alertname: 'ZfsPoolNotOnline', exp_alerts: [] },
      {
        eval_time: '5m',
        alertname: 'ZfsPoolNotOnline',
        exp_alerts: [
          {
            exp_labels: { severity: 'critical', ...node('pve'), zpool: 'tank', state: 'degraded' },
            exp_annotations: { summary: 'ZFS pool tank is degraded', description: 'zpool status -x on the Proxmox host tells which disk and what to do.' },
          },
        ],
      },
    ],
  },
  BackupTooOld: {
    interval: '1m',
    input_series: [
      // appdata last succeeded at the epoch: at 31 h it is 31 h old (limit 30 h). photos succeeded at 100000 s.
      { series: sel('msh_backup_last_success_timestamp_seconds', { ...node('services'), schedule: 'appdata' }), values: '0x1900' },
      { series: sel('msh_backup_last_success_timestamp_seconds', { ...node('services'), schedule: 'photos' }), values: '100000x1900' },
    ],
    alert_rule_test: [
      { eval_time: '29h', alertname: 'BackupTooOld', exp_alerts: [] },
      {
        eval_time: '31h',
        alertname: 'BackupTooOld',
        exp_alerts: [
          {
            exp_labels: { severity: 'warning', ...node('services'), schedule: 'appdata' },
            exp_annotations: { summary: 'The last successful appdata backup is older than 30 hours', description: "journalctl -u 'msh-backup-appdata*' on the VM says why the later runs failed." },
          },
        ],
      },
    ],
  },
  BackupNeverSucceeded: {
    interval: '1h',
    evaluation: '1h',
    input_series: [
      { series: sel('msh_backup_last_success_timestamp_seconds', { ...node('services'), schedule: 'appdata' }), values: '0x200' },
      { series: sel('msh_backup_last_success_timestamp_seconds', { ...node('services'), schedule: 'photos' }), values: '0x200' },
    ],
    alert_rule_test: [
      { eval_time: '179h', alertname: 'BackupNeverSucceeded', exp_alerts: [] },
      {
        eval_time: '181h',
        alertname: 'BackupNeverSucceeded',
        exp_alerts: [
          {
            exp_labels: { severity: 'warning', schedule: 'media' },
            exp_annotations: { summary: 'No successful media backup reported for 180 hours', description: 'The backup role writes this metric after each successful run; is the backup role set up?' },
          },
        ],
      },
    ],
  },
  ContainerRestarting: {
    interval: '1m',
    input_series: [
      { series: sel('container_start_time_seconds', { job: 'cadvisor', instance: 'cadvisor:8080', host: 'services', name: 'jellyfin' }), values: '100 200 300 400 500x10' },
      { series: sel('container_start_time_seconds', { job: 'cadvisor', instance: 'cadvisor:8080', host: 'services', name: 'grafana' }), values: '100 100 200x12' },
    ],
    alert_rule_test: [
      {
        eval_time: '5m',
        alertname: 'ContainerRestarting',
        exp_alerts: [
          {
            exp_labels: { severity: 'warning', job: 'cadvisor', instance: 'cadvisor:8080', host: 'services', name: 'jellyfin' },
            exp_annotations: { summary: 'Container jellyfin restarted 4 times in 15 minutes', description: 'docker logs jellyfin on the VM shows why it stops.' },
          },
        ],
      },
    ],
  },
  MemoryPressure: {
    interval: '1m',
    input_series: [
      { series: sel('node_memory_MemAvailable_bytes', node('services')), values: '5x20' },
      { series: sel('node_memory_MemTotal_bytes', node('services')), values: '100x20' },
      { series: sel('node_memory_MemAvailable_bytes', node('pve')), values: '50x20' },
      { series: sel('node_memory_MemTotal_bytes', node('pve')), values: '100x20' },
    ],
    alert_rule_test: [
      { eval_time: '8m', alertname: 'MemoryPressure', exp_alerts: [] },
      {
        eval_time: '12m',
        alertname: 'MemoryPressure',
        exp_alerts: [
          {
            exp_labels: { severity: 'warning', ...node('services') },
            exp_annotations: { summary: 'services has 5% of its memory available', description: 'Less than 10% available for 10 minutes: the kernel will start to kill processes.' },
          },
        ],
      },
    ],
  },
  SecurityUpdatesPending: {
    interval: '1m',
    input_series: [
      { series: sel('apt_upgrades_pending', { ...node('pve'), kind: 'security' }), values: '3x80' },
      { series: sel('apt_upgrades_pending', { ...node('pve'), kind: 'all' }), values: '12x80' },
    ],
    alert_rule_test: [
      { eval_time: '50m', alertname: 'SecurityUpdatesPending', exp_alerts: [] },
      {
        eval_time: '70m',
        alertname: 'SecurityUpdatesPending',
        exp_alerts: [
          {
            exp_labels: { severity: 'warning', ...node('pve'), kind: 'security' },
            exp_annotations: { summary: '3 security updates are pending on pve', description: 'Install them: npx zx playbooks/proxmox-host.ts --upgrade (then --reboot if a new kernel came).' },
          },
        ],
      },
    ],
  },
};

t('every alert rule has a unit test here', () => {
  const alerts = new Set(ruleGroups(v.backup_max_age_hours).groups.flatMap((g) => g.rules.map((r) => r.alert)));
  assert.equal([...alerts].sort(), Object.keys(TESTS).sort());
});

for (const [alert, test] of Object.entries(TESTS)) {
  t(`promtool test rules: ${alert} fires when it should, and only then`, () => {
    const file = `test-${alert}.yml`;
    const { evaluation = '1m', ...group } = test;
    writeFileSync(join(dir, file), stringify({ rule_files: [RULES_FILE], evaluation_interval: evaluation, tests: [group] }));
    const r = promtool('test', 'rules', file);
    assert.is(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS/);
  });
}

t('promtool test rules really compares: a wrong expectation fails', () => {
  const wrong = structuredClone(TESTS['MemoryPressure']!);
  wrong.alert_rule_test[1]!.exp_alerts[0]!.exp_labels['host'] = 'pve';
  writeFileSync(join(dir, 'wrong.yml'), stringify({ rule_files: [RULES_FILE], evaluation_interval: '1m', tests: [wrong] }));
  const r = promtool('test', 'rules', 'wrong.yml');
  assert.is.not(r.status, 0);
  assert.match(r.stdout + r.stderr, /FAILED/);
});

t('the rules file parses back to the typed groups', () => {
  assert.equal(parse(rulesYaml(v)), ruleGroups(v.backup_max_age_hours));
});

t.run();
