/** What the run prints at its end for this role: the schedules, and what the user must keep safe. */
import { calendar, PASSWORD_ENV, repositories, SCHEDULES, scheduleEnabled, unitName, type V } from './settings.ts';

export const BACKUPS_DOC = 'docs/backups.md';

export function backupSummary(v: V): string[] {
  const repos = repositories(v);
  const lines = [
    `Backups (restic) to ${repos.map((r) => (r.name === 'local' ? v.backup_repository : 'the off-site repository')).join(' and ')}:`,
    ...SCHEDULES.map((s) => `  ${s.padEnd(8)} ${scheduleEnabled(v, s) ? `${calendar(v, s)}   (${unitName(s)}.timer)` : 'off (no paths)'}`),
    `  Run one now: npx zx playbooks/backup.ts --now <schedule>; restore drill: npx zx playbooks/restore-drill.ts`,
    `  Keep a copy of ${PASSWORD_ENV} from .env somewhere other than this machine and the server: without it no backup can be restored.`,
  ];
  if (repos.length === 1) lines.push(`  No off-site repository: a repository on the same pool does not survive losing the pool. See ${BACKUPS_DOC}.`);
  return lines;
}
