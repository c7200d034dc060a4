import type { Step } from '../api/step.ts';

/** What every module accepts besides its own options. */
export interface StepOptions {
  title?: string;
  tags?: string[];
  notify?: string[];
  when?: Step['when'];
}

/** The Step fields that come straight from StepOptions. */
export function stepMeta(opts: StepOptions, defaultTitle: string): Pick<Step, 'title' | 'tags' | 'notify' | 'when'> {
  return { title: opts.title ?? defaultTitle, tags: opts.tags, notify: opts.notify, when: opts.when };
}

/** The first line of a command or text, shortened for a one-line summary ("…" marks anything left out). */
export function oneLine(text: string, max = 80): string {
  const lines = text.trim().split('\n');
  const first = lines[0] ?? '';
  if (first.length > max) return `${first.slice(0, max - 1)}…`;
  return lines.length > 1 ? `${first} …` : first;
}
