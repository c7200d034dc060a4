import { readFileSync } from 'node:fs';
import { defineRole, type RoleFlags } from '../../lib/api/role.ts';
import type { Step } from '../../lib/api/step.ts';
import { apt, directory, file, service, systemdUnit } from '../../lib/modules/index.ts';
import { defaults, docs } from './defaults.ts';
import { calendarStep, resticVersionStep } from './host-checks.ts';
import { envPasswordStep, hostPasswordStep, type PasswordState } from './password.ts';
import { repositoryStep } from './repository.ts';
import { parseNowFlag, reportSummary, runNowStep } from './run-now.ts';
import { HOST_LAYOUT, repositories, SCHEDULES, scheduleEnabled, setPaths, unitName, validateBackup, type Layout, type Schedule, type V } from './settings.ts';
import { backupSummary } from './summary.ts';
import { configJson, offsiteEnv } from './templates/config.ts';
import { backupService, backupTimer } from './templates/units.ts';
import { verifyBackup } from './verify.ts';

/** The host-side script, installed as it is. */
export const SCRIPT = readFileSync(new URL('./files/msh-backup.py', import.meta.url), 'utf8');

const root = { owner: 'root', group: 'root' };
const withSystemd: Step['when'] = (f) => f.systemd || 'no running systemd';

/** The local paths a schedule reads or writes: its unit requires their mounts. */
export function scheduleMounts(v: V, s: Schedule): string[] {
  const sets = s === 'check' ? [] : s === 'drill' ? (['appdata', 'photos', 'media'] as const) : ([s] as const);
  const paths = [v.backup_repository, ...sets.flatMap((set) => setPaths(v, set))];
  if ((s === 'appdata' || s === 'drill') && v.backup_db_dump_command.trim() !== '') paths.push(v.backup_db_dump_dir);
  const unique = [...new Set(paths)];
  // A path inside another one needs no mount of its own listed.
  return unique.filter((p) => !unique.some((q) => q !== p && p.startsWith(`${q}/`)));
}

function unitSteps(v: V, layout: Layout): Step[] {
  return SCHEDULES.flatMap((s) => {
    const on = scheduleEnabled(v, s);
    return [
      systemdUnit({ title: `${unitName(s)}.service`, name: `${unitName(s)}.service`, content: backupService(s, layout, scheduleMounts(v, s)), dir: layout.unitDir, tags: ['timers'] }),
      systemdUnit({ title: `${unitName(s)}.timer`, name: `${unitName(s)}.timer`, content: backupTimer(v, s), dir: layout.unitDir, tags: ['timers'] }),
      service({
        title: `${unitName(s)}.timer ${on ? 'enabled and started' : 'off (no paths)'}`,
        name: `${unitName(s)}.timer`,
        enabled: on,
        state: on ? 'started' : 'stopped',
        tags: ['timers'],
        when: withSystemd,
      }),
    ];
  });
}

/** Every step of the role; `layout` moves the host-side files (tests). */
export function backupSteps(v: V, flags: RoleFlags, layout: Layout = HOST_LAYOUT): Step[] {
  const now = parseNowFlag(flags['now']);
  const password: PasswordState = {};
  const repos = repositories(v);
  const offsite = repos.find((r) => r.name === 'offsite');
  let credentialsPending = false;
  const offsiteEnvFile = file({ title: `off-site credentials ${layout.offsiteEnvFile} (root, 0600)`, path: layout.offsiteEnvFile, content: offsiteEnv(v), secret: true, ...root, mode: '0600', tags: ['secrets'] });
  const trackedEnvFile: Step = {
    ...offsiteEnvFile,
    async check(ctx, probe) {
      const change = await offsiteEnvFile.check(ctx, probe);
      credentialsPending = change !== null;
      return change;
    },
  };
  return [
    apt({ title: 'restic, Python and gzip', packages: ['restic', 'python3', 'gzip'], tags: ['packages'] }),
    resticVersionStep(),
    directory({ title: `configuration directory ${layout.configDir} (root, 0700)`, path: layout.configDir, ...root, mode: '0700' }),
    directory({ title: `state directory ${layout.stateDir} (reports)`, path: layout.stateDir, ...root, mode: '0700' }),
    directory({ title: `restic cache ${layout.cacheDir}`, path: layout.cacheDir, ...root, mode: '0700' }),
    directory({ title: `node-exporter textfile directory ${v.backup_metrics_dir}`, path: v.backup_metrics_dir, mode: '0755' }),
    ...(v.backup_db_dump_command.trim() !== '' ? [directory({ title: `database dump directory ${v.backup_db_dump_dir} (root, 0700)`, path: v.backup_db_dump_dir, ...root, mode: '0700' })] : []),
    envPasswordStep(v, layout, password),
    hostPasswordStep(v, layout, password),
    ...(offsite ? [trackedEnvFile] : []),
    file({ title: `backup configuration ${layout.configFile}`, path: layout.configFile, content: configJson(v, layout), ...root, mode: '0600' }),
    file({ title: `backup script ${layout.script}`, path: layout.script, content: SCRIPT, ...root, mode: '0755' }),
    repositoryStep({ repo: repos[0]!, password }),
    ...(offsite ? [repositoryStep({ repo: offsite, password, envFile: layout.offsiteEnvFile, credentialsPending: () => credentialsPending })] : []),
    calendarStep(v),
    ...unitSteps(v, layout),
    ...(now ? [runNowStep(now, layout)] : []),
  ];
}

export const backup = defineRole({
  name: 'backup',
  description: 'restic backups of appdata (with the Immich database dump), photos and media to a local and an optional off-site repository, checked weekly, restore-drilled monthly, with metrics',
  hosts: 'services',
  defaults,
  docs,
  validate: validateBackup,
  flags: [
    {
      name: 'now',
      type: 'string',
      description: `Run one schedule now, after converging, and wait for it: ${SCHEDULES.join(', ')} (the same unit the timer starts; its report is printed at the end).`,
    },
  ],
  steps: (v, flags) => backupSteps(v, flags),
  summary: (v, facts) => [...backupSummary(v), ...reportSummary(facts.hostname)],
  verify: verifyBackup,
});
