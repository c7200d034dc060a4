/**
 * Running one schedule now (--now <schedule>, and playbooks/restore-drill.ts): the step only starts the schedule's
 * unit and waits for it (so the run is the one the timer would make: same script, same lock, same metrics), then
 * reads the report the script wrote. Without a running systemd (a container, a test) it runs the script itself.
 */
import type { Step, StepContext } from '../../lib/api/step.ts';
import { shq } from '../../lib/connectors/shell.ts';
import { InputError } from '../../lib/errors.ts';
import { SCHEDULES, unitName, type Layout, type Schedule } from './settings.ts';

/** The reports of this run's --now steps, by host name, for the role's summary. */
export const reports = new Map<string, { schedule: Schedule; lines: string[]; ok: boolean }>();

export function parseNowFlag(value: unknown): Schedule | undefined {
  if (value === undefined || value === false) return undefined;
  const s = String(value);
  if (!(SCHEDULES as readonly string[]).includes(s)) throw new InputError(`--now ${s}: no such schedule`, undefined, `use one of ${SCHEDULES.join(', ')}`);
  return s as Schedule;
}

function runScript(schedule: Schedule, layout: Layout, systemd: boolean): string {
  const unit = `${unitName(schedule)}.service`;
  return systemd ? `systemctl start --wait ${shq(unit)}` : `${shq(layout.script)} --config ${shq(layout.configFile)} ${schedule}`;
}

async function readReport(ctx: StepContext, schedule: Schedule, layout: Layout): Promise<string[]> {
  const res = await ctx.conn.run(`cat ${shq(`${layout.stateDir}/${schedule}.report`)} 2>/dev/null || true`);
  return res.stdout.trimEnd().split('\n').filter(Boolean);
}

export function runNowStep(schedule: Schedule, layout: Layout): Step {
  let done = false;
  const unit = `${unitName(schedule)}.service`;
  return {
    title: schedule === 'drill' ? `Restore drill now (${unit})` : `Run ${schedule} now (${unit})`,
    tags: ['run-now'],
    check: () => (done ? null : { summary: `start ${unit} and wait for it to end` }),
    async apply(ctx) {
      const t0 = Date.now();
      const res = await ctx.conn.run(runScript(schedule, layout, ctx.facts.systemd), { timeoutMs: 24 * 3600_000 });
      done = true;
      const lines = await readReport(ctx, schedule, layout);
      for (const line of lines) ctx.log(line);
      reports.set(ctx.facts.hostname, { schedule, lines, ok: res.code === 0 });
      if (res.code !== 0) {
        const journal = ctx.facts.systemd ? (await ctx.conn.run(`journalctl -u ${shq(unit)} --since=@${Math.floor(t0 / 1000) - 1} --no-pager -q -o cat | tail -n 30`)).stdout.trim() : (res.stdout + res.stderr).trim();
        throw new Error(`${unit} failed (exit ${res.code}):\n${(lines.length ? lines.join('\n') : journal) || '(no output)'}${lines.length && journal ? `\n--- journal ---\n${journal}` : ''}`);
      }
    },
  };
}

export function reportSummary(host: string): string[] {
  const r = reports.get(host);
  if (!r) return [];
  return [`${r.schedule === 'drill' ? 'Restore drill' : `Backup ${r.schedule}`}: ${r.ok ? 'ok' : 'FAILED'}`, ...r.lines.map((l) => `  ${l}`)];
}
