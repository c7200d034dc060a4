/**
 * Writes a file the wizard made, never replacing a different one without consent: a person sees the diff and is asked;
 * an answers-file run needs --overwrite (otherwise the diff is printed and the run refuses). The mode is always set,
 * also when the content is unchanged (a .env left readable by others gets 0600).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { modeOf, writeFileAtomicLocal } from '../local-files.ts';
import { contentDiff } from '../modules/diff.ts';

export type WriteOutcome = 'created' | 'unchanged' | 'replaced' | 'kept';

export interface WriteRequest {
  path: string;
  content: string;
  mode: number;
  /** How a replacement is decided: ask the person (with the diff shown), or the --overwrite flag. */
  consent: { ask: (diff: string) => Promise<boolean> } | { overwrite: boolean };
}

/** A different file is there and the run may not replace it. */
export class OverwriteRefused extends Error {
  override name = 'OverwriteRefused';
  constructor(
    readonly path: string,
    readonly diff: string,
  ) {
    super(`${path} exists and differs from what the wizard would write`);
  }
}

/** The diff of an existing file that differs from `content`, or undefined when writing it needs no consent. */
export function pendingReplacement(path: string, content: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const before = readFileSync(path);
  return before.toString('utf8') === content ? undefined : contentDiff(path, before, content);
}

export async function writeReviewed(req: WriteRequest): Promise<WriteOutcome> {
  const existed = existsSync(req.path);
  const diff = pendingReplacement(req.path, req.content);
  const keepWithMode = (outcome: WriteOutcome): WriteOutcome => {
    if (modeOf(req.path) !== req.mode) chmodSync(req.path, req.mode);
    return outcome;
  };
  if (existed && diff === undefined) return keepWithMode('unchanged');
  if (diff !== undefined) {
    if ('overwrite' in req.consent) {
      if (!req.consent.overwrite) throw new OverwriteRefused(req.path, diff);
    } else if (!(await req.consent.ask(diff))) return keepWithMode('kept');
  }
  mkdirSync(dirname(req.path), { recursive: true });
  writeFileAtomicLocal(req.path, req.content, req.mode);
  return existed ? 'replaced' : 'created';
}
