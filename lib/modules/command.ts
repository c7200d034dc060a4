import type { Step } from '../api/step.ts';
import { assertOk } from '../connectors/connector.ts';
import { shq } from '../connectors/shell.ts';
import { oneLine, stepMeta, type StepOptions } from './step-options.ts';

/** A command is only idempotent with a guard: at least one of creates / unless is required. */
type Guard = { creates: string; unless?: string } | { creates?: string; unless: string };

export type CommandOptions = StepOptions &
  Guard & {
    title: string;
    /** Shell script run with /bin/sh on the host. */
    run: string;
  };

/**
 * A shell command run only when its guard says it is needed: `creates` names a path the command makes
 * (skip when it exists), `unless` is a read-only test command (skip when it succeeds).
 */
export function command(opts: CommandOptions): Step {
  if (opts.creates === undefined && opts.unless === undefined) throw new Error(`command "${opts.title}": set creates or unless, or it would run every time`);
  const probe: string[] = [];
  if (opts.creates !== undefined) probe.push(`if [ -e ${shq(opts.creates)} ] || [ -L ${shq(opts.creates)} ]; then echo creates-exists; fi`);
  // In a subshell with no stdin: the test may exit, and must not read the rest of a batched probe script.
  if (opts.unless !== undefined) probe.push(`if (\n${opts.unless}\n) </dev/null >/dev/null 2>&1; then echo unless-ok; fi`);
  return {
    ...stepMeta(opts, opts.title),
    probe: probe.join('\n'),
    check(_ctx, result) {
      const out = result?.stdout ?? '';
      if (out.includes('creates-exists') || out.includes('unless-ok')) return null;
      const why = [opts.creates !== undefined ? `${opts.creates} is missing` : '', opts.unless !== undefined ? `"${oneLine(opts.unless, 60)}" failed` : ''].filter(Boolean);
      return { summary: `run "${oneLine(opts.run)}" (${why.join(', ')})` };
    },
    async apply(ctx) {
      const res = assertOk(await ctx.conn.run(opts.run), `command "${oneLine(opts.run)}"`);
      for (const line of res.stdout.trim().split('\n').filter(Boolean).slice(-20)) ctx.log(line);
    },
  };
}
