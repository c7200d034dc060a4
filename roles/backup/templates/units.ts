/** One oneshot service and one timer per schedule; the script serialises runs with a lock, restic guards the repository. */
import { calendar, unitName, type Layout, type Schedule, type V } from '../settings.ts';

const WHAT: Record<Schedule, string> = {
  appdata: 'appdata (Immich database dump, then restic backup and forget --prune)',
  photos: 'photos (restic backup and forget --prune)',
  media: 'media (restic backup and forget --prune)',
  check: 'repository check (restic check --read-data-subset)',
  drill: 'restore drill (restore a sample and the latest database dump, compare checksums, load the dump)',
};

/** The paths a run needs mounted: systemd waits for their mounts and fails the run when one cannot be mounted. */
export function backupService(s: Schedule, layout: Layout, mounts: string[]): string {
  return [
    '# Managed by media-server-home (role backup).',
    '[Unit]',
    `Description=media-server-home backup: ${WHAT[s]}`,
    'Wants=network-online.target',
    'After=network-online.target docker.service',
    ...(mounts.length ? [`RequiresMountsFor=${mounts.join(' ')}`] : []),
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=${layout.script} ${s}`,
    'Nice=10',
    'IOSchedulingClass=idle',
    '',
  ].join('\n');
}

export function backupTimer(v: V, s: Schedule): string {
  return [
    '# Managed by media-server-home (role backup).',
    '[Unit]',
    `Description=media-server-home backup: ${s} on schedule`,
    '',
    '[Timer]',
    `OnCalendar=${calendar(v, s)}`,
    // A run missed while the VM was off happens at the next boot.
    'Persistent=true',
    'RandomizedDelaySec=10min',
    `Unit=${unitName(s)}.service`,
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
}
