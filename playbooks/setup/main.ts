/** `npx zx playbooks/setup.ts`: asks, writes inventory and .env after review, prints the next commands. */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { EXIT, InputError } from '../../lib/errors.ts';
import { loadInventory } from '../../lib/inventory/load.ts';
import { buildSchema } from '../../lib/inventory/schema.ts';
import { redact, registerSecret } from '../../lib/redact.ts';
import { loadAnswers } from '../../lib/wizard/answers.ts';
import { AnswersPrompter } from '../../lib/wizard/answers-prompter.ts';
import { InquirerPrompter } from '../../lib/wizard/inquirer-prompter.ts';
import type { Prompter } from '../../lib/wizard/prompter.ts';
import { findKeyPair } from '../../lib/wizard/ssh-access.ts';
import { OverwriteRefused, pendingReplacement, writeReviewed, type WriteOutcome } from '../../lib/wizard/write-file.ts';
import { allRoles } from '../../roles/index.ts';
import { parse } from 'dotenv';
import { parseSetupArgs, setupHelp } from './cli.ts';
import { renderEnv } from './env.ts';
import { renderInventory } from './inventory.ts';
import { ANSWER_KEYS, type Setup } from './model.ts';
import { nextCommands } from './next.ts';
import { pveAccess, PveUnreachable, type PveAccess } from './pve.ts';
import { askSetup } from './questions.ts';

export interface SetupIo {
  out(line: string): void;
  err(line: string): void;
  /** Whether a person can answer (a TTY, CI not set). */
  terminal: boolean;
}

export interface SetupOverrides {
  access?: PveAccess;
  /** Used instead of the terminal (tests drive the questions with it). */
  prompter?: Prompter;
  defaultKey?: string;
  timezone?: string;
}

export const EXIT_INTERRUPTED = 130;

export function defaultIo(): SetupIo {
  return {
    out: (line) => process.stdout.write(`${redact(line)}\n`),
    err: (line) => process.stderr.write(`${redact(line)}\n`),
    terminal: Boolean(process.stdin.isTTY && process.stdout.isTTY) && process.env.CI !== 'true',
  };
}

function controllerTimezone(): string {
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return tz && /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(tz) ? tz : 'Etc/UTC';
}

function readIfExists(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

export async function runSetup(argv: string[], io: SetupIo = defaultIo(), o: SetupOverrides = {}): Promise<number> {
  let opts;
  let prompter: Prompter;
  try {
    opts = parseSetupArgs(argv);
    if (opts.help) {
      io.out(setupHelp());
      return EXIT.ok;
    }
    if (o.prompter) prompter = o.prompter;
    else if (opts.answers) prompter = new AnswersPrompter(loadAnswers(opts.answers, Object.keys(ANSWER_KEYS)), io.out);
    else if (!io.terminal) throw new InputError('no terminal: the wizard cannot ask its questions', undefined, 'pass --answers FILE (see inventory/answers.example.yml); every answer left out takes its default');
    else prompter = new InquirerPrompter(io.out);
  } catch (e) {
    if (e instanceof InputError) {
      io.err(`error: ${e.format()}`);
      return EXIT.badInput;
    }
    throw e;
  }

  const envText = readIfExists(opts.envFile);
  const env = envText ? parse(envText) : {};
  for (const v of Object.values(env)) registerSecret(v);
  let setup: Setup;
  try {
    setup = await askSetup(prompter, {
      offline: opts.offline,
      access: o.access ?? pveAccess(),
      defaultKey: o.defaultKey ?? tildePath(findKeyPair() ?? join(homedir(), '.ssh', 'id_ed25519')),
      timezone: o.timezone ?? controllerTimezone(),
      env,
    });
  } catch (e) {
    if (e instanceof InputError) {
      io.err(`error: ${e.format()}`);
      return EXIT.badInput;
    }
    if (e instanceof PveUnreachable) {
      io.err(`error: ${e.message}`);
      io.err('nothing was written');
      return EXIT.unreachable;
    }
    if ((e as Error).name === 'ExitPromptError') {
      io.err('setup interrupted: nothing was written');
      return EXIT_INTERRUPTED;
    }
    throw e;
  }

  const schema = buildSchema(allRoles);
  const inventoryText = renderInventory(setup, schema);
  const newEnv = renderEnv(setup, envText);
  const outcomes: [string, WriteOutcome][] = [];
  const refuse = (refused: { path: string; diff: string }[]): number => {
    for (const { path, diff } of refused) {
      io.err(diff);
      io.err(`error: ${path} exists and differs from what the wizard would write; not replaced`);
    }
    io.err(`  fix: rerun with --overwrite to replace it, or pass another path (--inventory / --secrets)${outcomes.length === 0 ? '; nothing was written' : ''}`);
    return EXIT.failed;
  };
  if (!prompter.interactive && !opts.overwrite) {
    // Refuse before writing anything: a run that wrote the inventory and then refused .env would be half-applied.
    const refused = [
      { path: opts.inventory, diff: pendingReplacement(opts.inventory, inventoryText) },
      { path: opts.envFile, diff: pendingReplacement(opts.envFile, newEnv) },
    ].filter((r): r is { path: string; diff: string } => r.diff !== undefined);
    if (refused.length > 0) return refuse(refused);
  }
  try {
    const consent = prompter.interactive
      ? {
          ask: async (diff: string) => {
            io.out(diff);
            return prompter.confirm({ id: 'replace', message: 'This file exists and differs (diff above). Replace it?', default: false });
          },
        }
      : { overwrite: opts.overwrite };
    outcomes.push([opts.inventory, await writeReviewed({ path: opts.inventory, content: inventoryText, mode: 0o644, consent })]);
    // The inventory written must load with the playbooks' own loader: a wizard that writes a file site.ts refuses is a bug.
    if (outcomes[0]![1] !== 'kept') loadInventory(opts.inventory, schema);
    outcomes.push([opts.envFile, await writeReviewed({ path: opts.envFile, content: newEnv, mode: 0o600, consent })]);
  } catch (e) {
    // Only when a file changed between the check above and the write.
    if (e instanceof OverwriteRefused) return refuse([{ path: e.path, diff: e.diff }]);
    if ((e as Error).name === 'ExitPromptError') {
      io.err('setup interrupted');
      return EXIT_INTERRUPTED;
    }
    throw e;
  }

  io.out('');
  for (const [path, outcome] of outcomes) io.out(`${path}: ${{ created: 'written', replaced: 'replaced', unchanged: 'unchanged', kept: 'kept as it was (not replaced)' }[outcome]}`);
  for (const line of nextCommands(setup, opts)) io.out(line);
  return EXIT.ok;
}

/** /root/.ssh/id_ed25519 → ~/.ssh/id_ed25519 (the inventory stays valid for the same user on another machine). */
function tildePath(path: string): string {
  const home = homedir();
  return path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}

export async function main(argv: string[]): Promise<void> {
  try {
    process.exitCode = await runSetup(argv);
  } catch (e) {
    process.stderr.write(`${redact(`internal error: ${(e as Error).stack ?? String(e)}`)}\n`);
    process.exitCode = EXIT.failed;
  }
}
