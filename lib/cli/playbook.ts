import type { Role } from '../api/role.ts';
import { EXIT, InputError } from '../errors.ts';
import { loadEnvFile } from '../inventory/env-file.ts';
import { loadInventory } from '../inventory/load.ts';
import { buildSchema } from '../inventory/schema.ts';
import { jsonLogFile, jsonStdout } from '../output/json-log.ts';
import { listrRenderer } from '../output/listr.ts';
import { plainRenderer, playHeader } from '../output/plain.ts';
import { redact } from '../redact.ts';
import type { Emit } from '../runner/events.ts';
import { planRun } from '../runner/plan.ts';
import { runPlay } from '../runner/run-play.ts';
import { parseCli, type ExtraFlag } from './args.ts';
import { helpText } from './help.ts';

export interface Playbook {
  name: string;
  description: string;
  /** The roles this playbook runs, in order. */
  roles: Role[];
  /** Every role the project has: the inventory may set any of their variables. */
  allRoles: Role[];
  /** Flags of the playbook itself; the flags its roles declare are added. */
  extraFlags?: ExtraFlag[];
}

/** The playbook's own flags and those of its roles, once each. */
export function playbookFlags(pb: Playbook): ExtraFlag[] {
  const flags = new Map<string, ExtraFlag>();
  for (const f of [...(pb.extraFlags ?? []), ...pb.roles.flatMap((r) => r.flags ?? [])]) if (!flags.has(f.name)) flags.set(f.name, f);
  return [...flags.values()];
}

const out = (line: string) => process.stdout.write(`${redact(line)}\n`);
const err = (line: string) => process.stderr.write(`${redact(line)}\n`);

/** Parses flags, loads .env and the inventory, plans, runs, prints the recap; returns the exit code. */
export async function runPlaybook(pb: Playbook, argv: string[] = playbookArgs(pb.name)): Promise<number> {
  let opts;
  let plans;
  try {
    const flags = playbookFlags(pb);
    opts = parseCli(argv, flags);
    if (opts.help) {
      out(helpText(pb.name, pb.description, pb.roles, flags));
      return EXIT.ok;
    }
    const env = loadEnvFile(opts.envFile);
    const inventory = loadInventory(opts.inventory, buildSchema(pb.allRoles));
    plans = planRun(inventory, pb.roles, env, opts);
  } catch (e) {
    if (e instanceof InputError) {
      err(`error: ${e.format()}`);
      return EXIT.badInput;
    }
    throw e;
  }

  const log = jsonLogFile(opts.logDir, pb.name);
  const interactive = Boolean(process.stdout.isTTY) && process.env.CI !== 'true' && !opts.json;
  if (interactive) out(playHeader(pb.name, opts.check, plans.map((p) => p.host.name)));
  const listr = interactive ? listrRenderer(plans, out) : undefined;
  const view: Emit = opts.json ? jsonStdout(out) : listr ? listr.emit : plainRenderer(out, opts.verbosity);
  const { exitCode } = await runPlay(plans, { playbook: pb.name, checkMode: opts.check, diff: opts.diff, yes: opts.yes, forks: opts.forks, envFile: opts.envFile }, (e) => {
    log.emit(e);
    view(e);
  });
  await listr?.done();
  if (!opts.json) out(`log: ${log.path}`);
  return exitCode;
}

/** The flags after the playbook's own path: `npx zx playbooks/site.ts` and `node playbooks/site.ts` put it at different places. */
function playbookArgs(name: string): string[] {
  const at = process.argv.findIndex((a, i) => i > 0 && (a.endsWith(`/${name}.ts`) || a === `${name}.ts`));
  return process.argv.slice(at >= 0 ? at + 1 : 2);
}

/** Entry point for playbooks/*.ts: runs and exits with the documented code. */
export async function main(pb: Playbook): Promise<void> {
  try {
    process.exitCode = await runPlaybook(pb);
  } catch (e) {
    err(`internal error: ${(e as Error).stack ?? String(e)}`);
    process.exitCode = EXIT.failed;
  }
}
