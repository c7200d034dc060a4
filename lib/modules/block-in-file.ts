import type { Step } from '../api/step.ts';
import { editFileStep, joinLines, splitLines, type TextEdit } from './edit-file.ts';
import { stepMeta, type StepOptions } from './step-options.ts';

export interface BlockInFileOptions extends StepOptions {
  path: string;
  /** The lines between the markers; a final newline is ignored. */
  block: string;
  /** Names the block: `# BEGIN media-server-home <marker>` … `# END media-server-home <marker>`. */
  marker: string;
  /** Create the file (mode 0644) when it does not exist; otherwise a missing file is an error for state present. */
  create?: boolean;
  state?: 'present' | 'absent';
}

export function blockMarkers(marker: string): { begin: string; end: string } {
  return { begin: `# BEGIN media-server-home ${marker}`, end: `# END media-server-home ${marker}` };
}

/** A block of lines between marker comments, replaced as a whole (appended when missing), or removed with its markers. */
export function blockInFile(opts: BlockInFileOptions): Step {
  if (!/^[^\n]+$/.test(opts.marker) || opts.marker.trim() !== opts.marker) {
    throw new Error(`blockInFile ${opts.path}: marker must be a non-empty single-line name without surrounding spaces`);
  }
  const state = opts.state ?? 'present';
  const markers = blockMarkers(opts.marker);
  const body = opts.block === '' ? [] : opts.block.replace(/\n$/, '').split('\n');
  const edit = (text: string) => (state === 'present' ? ensureBlock(text, opts.path, markers, body, opts.marker) : removeBlock(text, opts.path, markers, opts.marker));
  return editFileStep(stepMeta(opts, `${state === 'present' ? 'block' : 'no block'} ${opts.marker} in ${opts.path}`), opts.path, opts.create ?? false, edit);
}

type Markers = { begin: string; end: string };

function findBlock(lines: string[], path: string, m: Markers): { start: number; stop: number } | null {
  const start = lines.findIndex((l) => l.trimEnd() === m.begin);
  const stop = start >= 0 ? lines.findIndex((l, i) => i > start && l.trimEnd() === m.end) : -1;
  if (start >= 0 && stop < 0) throw new Error(`${path} has "${m.begin}" without "${m.end}" after it: fix the file by hand`);
  if (start < 0 && lines.some((l) => l.trimEnd() === m.end)) throw new Error(`${path} has "${m.end}" without "${m.begin}" before it: fix the file by hand`);
  return start >= 0 ? { start, stop } : null;
}

export function ensureBlock(text: string, path: string, m: Markers, body: string[], name: string): TextEdit | null {
  const { lines, finalNewline } = splitLines(text);
  const want = [m.begin, ...body, m.end];
  const found = findBlock(lines, path, m);
  if (!found) return { text: joinLines([...lines, ...want], true), summary: `add block ${name}` };
  const current = lines.slice(found.start, found.stop + 1);
  if (current.length === want.length && current.every((l, i) => l === want[i])) return null;
  lines.splice(found.start, found.stop - found.start + 1, ...want);
  return { text: joinLines(lines, finalNewline), summary: `update block ${name}` };
}

export function removeBlock(text: string, path: string, m: Markers, name: string): TextEdit | null {
  const { lines, finalNewline } = splitLines(text);
  const found = findBlock(lines, path, m);
  if (!found) return null;
  lines.splice(found.start, found.stop - found.start + 1);
  return { text: joinLines(lines, finalNewline), summary: `remove block ${name}` };
}
