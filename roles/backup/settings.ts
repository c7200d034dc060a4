import { isAbsolute } from 'node:path';
import { containsSecret } from '../../lib/redact.ts';
import { DEFAULT_CALENDAR, type defaults } from './defaults.ts';

export type V = typeof defaults;

/** The sets restic backs up, then the two schedules that only read the repository. */
export const BACKUP_SETS = ['appdata', 'photos', 'media'] as const;
export type BackupSet = (typeof BACKUP_SETS)[number];
export const SCHEDULES = [...BACKUP_SETS, 'check', 'drill'] as const;
export type Schedule = (typeof SCHEDULES)[number];

/** The .env variable that holds the repositories' password. */
export const PASSWORD_ENV = 'RESTIC_PASSWORD';

/** Where the role puts things on the host; tests point it at a temporary directory. */
export interface Layout {
  configDir: string;
  passwordFile: string;
  offsiteEnvFile: string;
  configFile: string;
  script: string;
  stateDir: string;
  cacheDir: string;
  lockFile: string;
  unitDir: string;
}

export const HOST_LAYOUT: Layout = {
  configDir: '/etc/media-server-home/backup',
  passwordFile: '/etc/media-server-home/backup/restic-password',
  offsiteEnvFile: '/etc/media-server-home/backup/offsite.env',
  configFile: '/etc/media-server-home/backup/config.json',
  script: '/usr/local/sbin/msh-backup',
  stateDir: '/var/lib/media-server-home/backup',
  cacheDir: '/var/cache/msh-backup',
  lockFile: '/run/msh-backup.lock',
  unitDir: '/etc/systemd/system',
};

export const unitName = (s: Schedule) => `msh-backup-${s}`;

export function setPaths(v: V, set: BackupSet): string[] {
  return { appdata: v.backup_appdata_paths, photos: v.backup_photos_paths, media: v.backup_media_paths }[set];
}

/** A schedule runs when it has something to do: a backup set with paths; check and drill always. */
export function scheduleEnabled(v: V, s: Schedule): boolean {
  return s === 'check' || s === 'drill' || setPaths(v, s).length > 0;
}

export function calendar(v: V, s: Schedule): string {
  return { ...DEFAULT_CALENDAR, ...v.backup_on_calendar }[s];
}

export interface Repository {
  name: 'local' | 'offsite';
  url: string;
}

export function repositories(v: V): Repository[] {
  return [{ name: 'local', url: v.backup_repository }, ...(v.backup_offsite_repository ? [{ name: 'offsite' as const, url: v.backup_offsite_repository }] : [])];
}

type Problem = { key: keyof V & string; message: string; fix: string } | undefined;

const PLAIN_PATH = (p: string) => isAbsolute(p) && p.length > 1 && !/[\s$'"`\\]/.test(p);
/** restic's remote backends (the local one is backup_repository). */
const OFFSITE = /^(s3|b2|azure|gs|swift|sftp|rest|rclone):\S+$/;
const SUBSET = /^(\d+(\.\d+)?%|\d+\/\d+|\d+[kKmMgGtT])$/;

export function validateBackup(v: V): Problem {
  for (const key of ['backup_repository', 'backup_db_dump_dir', 'backup_metrics_dir'] as const) {
    if (!PLAIN_PATH(v[key])) return { key, message: `"${v[key]}" is not an absolute path without spaces or quotes`, fix: 'e.g. /mnt/tank/backups/restic' };
  }
  for (const set of BACKUP_SETS) {
    const key = `backup_${set}_paths` as const;
    const bad = setPaths(v, set).find((p) => !PLAIN_PATH(p));
    if (bad !== undefined) return { key, message: `"${bad}" is not an absolute path without spaces or quotes`, fix: `e.g. /mnt/tank/${set}` };
  }
  if (BACKUP_SETS.every((s) => setPaths(v, s).length === 0)) return { key: 'backup_appdata_paths', message: 'every backup set is empty: nothing would be backed up', fix: 'list at least the appdata paths' };
  if (v.backup_offsite_repository !== '' && !OFFSITE.test(v.backup_offsite_repository)) {
    return { key: 'backup_offsite_repository', message: 'the off-site repository is not a restic remote location', fix: 'e.g. s3:s3.amazonaws.com/<bucket>/restic or b2:<bucket>:restic, set in .env and referred to as "${RESTIC_OFFSITE_REPOSITORY}"' };
  }
  for (const [name, value] of Object.entries(v.backup_offsite_env)) {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) return { key: 'backup_offsite_env', message: `"${name}" is not an environment variable name`, fix: 'e.g. AWS_ACCESS_KEY_ID' };
    if (typeof value !== 'string' || !containsSecret(value)) {
      return { key: 'backup_offsite_env', message: `${name} is not taken from .env (secrets live only there)`, fix: `write ${name}: "\${${name}}" and put ${name}=<value> in .env` };
    }
    if (/['\n]/.test(value)) return { key: 'backup_offsite_env', message: `the value of ${name} holds a single quote or a newline`, fix: 'credentials from S3 and B2 never do: check the value in .env' };
  }
  if (Object.keys(v.backup_offsite_env).length > 0 && v.backup_offsite_repository === '') {
    return { key: 'backup_offsite_env', message: 'credentials are set but there is no off-site repository', fix: 'set backup_offsite_repository too, or remove backup_offsite_env' };
  }
  for (const [name, expr] of Object.entries(v.backup_on_calendar)) {
    if (!(SCHEDULES as readonly string[]).includes(name)) return { key: 'backup_on_calendar', message: `unknown schedule "${name}"`, fix: `use ${SCHEDULES.join(', ')}` };
    if (typeof expr !== 'string' || expr.trim() === '' || /[\n%]/.test(expr)) return { key: 'backup_on_calendar', message: `${name}: "${String(expr)}" is not an OnCalendar expression`, fix: 'e.g. *-*-* 03:00:00, Sun *-*-* 04:00:00 or daily (man systemd.time)' };
  }
  for (const key of ['backup_keep_daily', 'backup_keep_weekly', 'backup_keep_monthly'] as const) {
    if (!Number.isInteger(v[key]) || v[key] < 0) return { key, message: `${v[key]} is not a number of snapshots`, fix: 'a whole number, 0 or more' };
  }
  if (v.backup_keep_daily + v.backup_keep_weekly + v.backup_keep_monthly === 0) return { key: 'backup_keep_daily', message: 'forget would keep no snapshot at all', fix: 'keep at least one (defaults 7 daily, 4 weekly, 6 monthly)' };
  if (!SUBSET.test(v.backup_check_subset)) return { key: 'backup_check_subset', message: `"${v.backup_check_subset}" is not a --read-data-subset`, fix: 'a percentage (5%), a part (1/10) or a size (2G)' };
  if (!Number.isInteger(v.backup_db_dump_keep_days) || v.backup_db_dump_keep_days < 1) return { key: 'backup_db_dump_keep_days', message: `${v.backup_db_dump_keep_days} is not a number of days`, fix: 'a whole number, at least 1' };
  if (!Number.isInteger(v.backup_drill_sample_files) || v.backup_drill_sample_files < 1) return { key: 'backup_drill_sample_files', message: `${v.backup_drill_sample_files} is not a number of files`, fix: 'a whole number, at least 1' };
  if (v.backup_db_dump_command.trim() !== '' && v.backup_db_restore_command.trim() === '') {
    return { key: 'backup_db_restore_command', message: 'the database is dumped but the restore drill has no way to load the dump', fix: 'keep the default, or give a command that loads SQL from stdin into a throwaway Postgres' };
  }
  return undefined;
}
