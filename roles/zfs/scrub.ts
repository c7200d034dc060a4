import type { Change, Step } from '../../lib/api/step.ts';
import { assertOk } from '../../lib/connectors/connector.ts';
import { cmd, shq } from '../../lib/connectors/shell.ts';

/** Debian's zfsutils-linux: scrubs every healthy pool on the second Sunday of each month. */
export const SCRUB_CRON = '/etc/cron.d/zfsutils-linux';

export const scrubTimer = (pool: string) => `zfs-scrub-monthly@${pool}.timer`;

export type ScrubState = { cronJob: boolean; cronRunning: boolean; timerUnit: boolean; timerEnabled: string };

/** What the probe found; exported for the tests. */
export function parseScrubProbe(stdout: string): ScrubState {
  const kv = new Map(stdout.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()] as const));
  return { cronJob: kv.get('cron-job') === 'yes', cronRunning: kv.get('cron-running') === 'yes', timerUnit: kv.get('timer-unit') === 'yes', timerEnabled: kv.get('timer-enabled') ?? '' };
}

/**
 * Which monthly scrub the host has: Debian's cron job when it is there and cron runs; otherwise OpenZFS's
 * zfs-scrub-monthly@<pool>.timer, enabled here. Says which (at -v, and in the plan when it enables the timer).
 */
export function decideScrub(s: ScrubState, pool: string): { ok: string } | { enable: string } | { error: string } {
  if (s.cronJob && s.cronRunning) return { ok: `monthly scrub: Debian's cron job ${SCRUB_CRON} (second Sunday of the month, every healthy pool)` };
  if (s.timerUnit) {
    if (s.timerEnabled === 'enabled') return { ok: `monthly scrub: ${scrubTimer(pool)} (enabled)` };
    const why = s.cronJob ? `${SCRUB_CRON} is there but cron is not running` : `there is no ${SCRUB_CRON}`;
    return { enable: `enable and start ${scrubTimer(pool)} (${why})` };
  }
  if (s.cronJob) return { error: `the monthly scrub is a cron job (${SCRUB_CRON}) but cron is not running, and OpenZFS's zfs-scrub-monthly@.timer is not installed: install and start cron (role base does)` };
  return { error: `no monthly scrub: neither ${SCRUB_CRON} nor zfs-scrub-monthly@.timer exists — is zfsutils-linux installed?` };
}

export function monthlyScrub(pool: string): Step {
  const timer = scrubTimer(pool);
  return {
    title: 'Monthly scrub scheduled',
    tags: ['scrub'],
    probe: [
      `if [ -f ${SCRUB_CRON} ] && grep -Eq '^[^#].*zfs-linux/scrub' ${SCRUB_CRON}; then echo cron-job=yes; else echo cron-job=no; fi`,
      `if systemctl is-active --quiet cron 2>/dev/null || pgrep -x cron >/dev/null 2>&1; then echo cron-running=yes; else echo cron-running=no; fi`,
      `if systemctl cat zfs-scrub-monthly@.timer >/dev/null 2>&1; then echo timer-unit=yes; else echo timer-unit=no; fi`,
      `echo "timer-enabled=$(systemctl is-enabled ${shq(timer)} 2>/dev/null)"`,
    ].join('\n'),
    check(ctx, probe): Change | null {
      const decision = decideScrub(parseScrubProbe(probe?.stdout ?? ''), pool);
      if ('error' in decision) throw new Error(decision.error);
      if ('ok' in decision) {
        ctx.log(decision.ok);
        return null;
      }
      return { summary: decision.enable };
    },
    async apply(ctx) {
      assertOk(await ctx.conn.run(cmd('systemctl', 'enable', '--now', timer)), `systemctl enable --now ${timer}`);
    },
  };
}
