import { appendFileSync, chmodSync, mkdirSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import type { Emit } from '../runner/events.ts';

/** A JSON-lines log of every event of a run, under logs/ (mode 0600: diffs can show configuration). */
export function jsonLogFile(dir: string, playbook: string): { path: string; emit: Emit } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  const path = join(dir, `${stamp}-${playbook}-${process.pid}.jsonl`);
  closeSync(openSync(path, 'a', 0o600));
  chmodSync(path, 0o600);
  return { path, emit: (event) => appendFileSync(path, `${JSON.stringify(event)}\n`) };
}

/** --json: the same events as JSON lines on standard output, for scripts. */
export function jsonStdout(write: (line: string) => void): Emit {
  return (event) => write(JSON.stringify(event));
}
