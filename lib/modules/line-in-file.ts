import type { Step } from '../api/step.ts';
import { editFileStep, joinLines, quoteLine, splitLines, type TextEdit } from './edit-file.ts';
import { stepMeta, type StepOptions } from './step-options.ts';

export interface LineInFileOptions extends StepOptions {
  path: string;
  line: string;
  /**
   * Lines this one replaces. present: the last matching line becomes `line` (appended when none matches);
   * absent: every matching line is removed. Without it, lines equal to `line` are looked for.
   */
  regexp?: RegExp | string;
  /** Create the file (mode 0644) when it does not exist; otherwise a missing file is an error for state present. */
  create?: boolean;
  state?: 'present' | 'absent';
}

/** One line of a text file present (or absent), leaving the rest of the file alone. */
export function lineInFile(opts: LineInFileOptions): Step {
  if (opts.line.includes('\n')) throw new Error(`lineInFile ${opts.path}: line must be a single line (use blockInFile for several)`);
  const state = opts.state ?? 'present';
  const re = opts.regexp === undefined ? undefined : toRegExp(opts.regexp);
  const edit = (text: string) => (state === 'present' ? ensureLine(text, opts.line, re) : removeLines(text, opts.line, re));
  const what = re ? `/${re.source}/` : quoteLine(opts.line);
  return editFileStep(stepMeta(opts, `${state === 'present' ? 'line' : 'no line'} ${what} in ${opts.path}`), opts.path, opts.create ?? false, edit);
}

export function ensureLine(text: string, line: string, re?: RegExp): TextEdit | null {
  const { lines, finalNewline } = splitLines(text);
  if (re) {
    let last = -1;
    lines.forEach((l, i) => {
      if (re.test(l)) last = i;
    });
    if (last >= 0) {
      if (lines[last] === line) return null;
      lines[last] = line;
      return { text: joinLines(lines, finalNewline), summary: `replace line ${last + 1} with ${quoteLine(line)}` };
    }
  }
  if (lines.includes(line)) return null;
  lines.push(line);
  return { text: joinLines(lines, true), summary: `add line ${quoteLine(line)}` };
}

export function removeLines(text: string, line: string, re?: RegExp): TextEdit | null {
  const { lines, finalNewline } = splitLines(text);
  const kept = lines.filter((l) => !(re ? re.test(l) : l === line));
  const removed = lines.length - kept.length;
  if (removed === 0) return null;
  const what = re ? `matching /${re.source}/` : quoteLine(line);
  return { text: joinLines(kept, finalNewline), summary: `remove ${removed === 1 ? 'line' : `${removed} lines`} ${what}` };
}

/** A RegExp without the g/y flags, whose lastIndex would make test() stateful. */
function toRegExp(r: RegExp | string): RegExp {
  return typeof r === 'string' ? new RegExp(r) : new RegExp(r.source, r.flags.replace(/[gy]/g, ''));
}
