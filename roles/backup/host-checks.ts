/** Read-only preconditions on the host: a restic that is new enough, calendar expressions systemd accepts. */
import type { Change, Step } from '../../lib/api/step.ts';
import { shq } from '../../lib/connectors/shell.ts';
import { calendar, SCHEDULES, type V } from './settings.ts';

/** The oldest restic the script and the role work with (Debian 12's; the drill avoids --stdin-from-command, 0.17). */
export const MIN_RESTIC = [0, 14] as const;

export function resticVersion(output: string): [number, number, number] | undefined {
  const m = /^restic (\d+)\.(\d+)\.(\d+)/m.exec(output);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

export function resticVersionStep(): Step {
  return {
    title: `restic is version ${MIN_RESTIC.join('.')} or newer`,
    tags: ['packages'],
    probe: 'restic version 2>&1 || true',
    check(ctx, probe): Change | null {
      const out = probe?.stdout ?? '';
      const v = resticVersion(out);
      if (!v) {
        if (ctx.checkMode) return { summary: 'restic is installed by the step above' };
        throw new Error(`restic does not answer "restic version": ${out.trim().slice(0, 200)}`);
      }
      if (v[0] === MIN_RESTIC[0] && v[1] < MIN_RESTIC[1]) throw new Error(`restic ${v.join('.')} is too old: ${MIN_RESTIC.join('.')} or newer is needed (Debian 12 and Ubuntu 24.04 have it)`);
      return null;
    },
    apply: async () => undefined,
  };
}

/** systemd-analyze calendar on every expression, so a typo fails the run instead of a timer that never fires. */
export function calendarStep(v: V): Step {
  const exprs = SCHEDULES.map((s) => calendar(v, s));
  return {
    title: 'Backup schedules are valid systemd calendar expressions',
    tags: ['timers'],
    when: (f) => f.systemd || 'no running systemd',
    probe: exprs.map((e, i) => `systemd-analyze calendar ${shq(e)} >/dev/null 2>&1 || echo bad=${i}`).join('\n') + '\ntrue',
    check(_ctx, probe): Change | null {
      const bad = [...(probe?.stdout ?? '').matchAll(/^bad=(\d+)$/gm)].map((m) => Number(m[1]));
      if (bad.length) throw new Error(`backup_on_calendar: systemd does not accept ${bad.map((i) => `${SCHEDULES[i]} "${exprs[i]}"`).join(', ')} (see man systemd.time, or test with systemd-analyze calendar)`);
      return null;
    },
    apply: async () => undefined,
  };
}
