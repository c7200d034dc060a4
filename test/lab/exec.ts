/** Running programs on the controller for the lab, and the lab's error type. */
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { spawnCollect, type SpawnOptions, type SpawnResult } from '../../lib/connectors/process.ts';

/** A lab operation failed; the message says what and, where known, what to do. */
export class LabError extends Error {
  override name = 'LabError';
}

/** Something the lab needs is missing (root, a program): nothing was changed. */
export class LabPrerequisiteError extends LabError {
  override name = 'LabPrerequisiteError';
  constructor(readonly missing: string[]) {
    super(`the lab cannot run here:\n${missing.map((m) => `  - ${m}`).join('\n')}`);
  }
}

export type Log = (line: string) => void;

// Root's PATH lacks the sbin directories in some shells; the lab's tools live there.
const SEARCH_PATH = [...(process.env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin', '/bin'].filter(Boolean);

/** Absolute path of a program, or undefined when it is not installed. */
export function which(program: string): string | undefined {
  for (const dir of SEARCH_PATH) {
    const file = join(dir, program);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

function resolveProgram(program: string): string {
  return program.includes('/') ? program : (which(program) ?? program);
}

/** Runs a program; never throws on its exit code. */
export function tryRun(program: string, args: string[], opts: SpawnOptions = {}): Promise<SpawnResult> {
  return spawnCollect(resolveProgram(program), args, opts);
}

/** Runs a program and throws a LabError naming the command and its last words when it fails. */
export async function run(program: string, args: string[], opts: SpawnOptions = {}): Promise<SpawnResult> {
  const res = await tryRun(program, args, opts);
  if (res.timedOut) throw new LabError(`${program} ${args.join(' ')}: no result within ${Math.round((opts.timeoutMs ?? 0) / 1000)}s`);
  if (res.code !== 0) throw new LabError(`${program} ${args.join(' ')} failed (exit ${res.code}): ${tail(res.stderr || res.stdout)}`);
  return res;
}

/** The last few non-empty lines of a program's output, on one line. */
export function tail(text: string, lines = 3): string {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).slice(-lines).join(' | ') || '(no output)';
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function seconds(sinceMs: number): string {
  return `${((Date.now() - sinceMs) / 1000).toFixed(1)} s`;
}
