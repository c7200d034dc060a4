/** The host-side script's configuration (config.json, mode 0600): what the timers run, in the script's own terms. */
import { BACKUP_SETS, repositories, setPaths, type BackupSet, type Layout, type V } from '../settings.ts';

export interface ScriptConfig {
  restic: string;
  password_file: string;
  cache_dir: string;
  state_dir: string;
  lock_file: string;
  metrics_dir: string;
  repositories: { name: string; url: string; env_file?: string }[];
  sets: Record<BackupSet, { paths: string[]; exclude: string[] }>;
  keep: { daily: number; weekly: number; monthly: number };
  check_subset: string;
  db_dump: { command: string; dir: string; keep_days: number; restore_command: string } | null;
  drill_sample_files: number;
}

export function scriptConfig(v: V, layout: Layout): ScriptConfig {
  const sets = Object.fromEntries(BACKUP_SETS.map((s) => [s, { paths: setPaths(v, s), exclude: v.backup_exclude }])) as ScriptConfig['sets'];
  return {
    restic: 'restic',
    password_file: layout.passwordFile,
    cache_dir: layout.cacheDir,
    state_dir: layout.stateDir,
    lock_file: layout.lockFile,
    metrics_dir: v.backup_metrics_dir,
    repositories: repositories(v).map((r) => (r.name === 'offsite' ? { ...r, env_file: layout.offsiteEnvFile } : { ...r })),
    sets,
    keep: { daily: v.backup_keep_daily, weekly: v.backup_keep_weekly, monthly: v.backup_keep_monthly },
    check_subset: v.backup_check_subset,
    db_dump:
      v.backup_db_dump_command.trim() === ''
        ? null
        : { command: v.backup_db_dump_command, dir: v.backup_db_dump_dir, keep_days: v.backup_db_dump_keep_days, restore_command: v.backup_db_restore_command },
    drill_sample_files: v.backup_drill_sample_files,
  };
}

export function configJson(v: V, layout: Layout): string {
  return `${JSON.stringify(scriptConfig(v, layout), null, 2)}\n`;
}

/** The off-site credentials as NAME=value lines (values from .env: the file is written 0600 and never shown). */
export function offsiteEnv(v: V): string {
  // Single-quoted: the role's shell sources the file (validation refuses values holding a quote or a newline).
  const lines = Object.entries(v.backup_offsite_env).map(([k, val]) => `${k}='${val}'`);
  return ['# Managed by media-server-home (role backup): credentials of the off-site restic repository.', ...lines, ''].join('\n');
}
