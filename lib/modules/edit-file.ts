import type { Change, ProbeResult, Step, StepContext } from '../api/step.ts';
import { assertOk, type Connector } from '../connectors/connector.ts';
import { shq } from '../connectors/shell.ts';
import { contentDiff } from './diff.ts';
import { writeFileAtomic } from './file.ts';
import { fileStateProbe, parseFileState, type FileState } from './file-state.ts';

/** What an edit does to a file's text; null when the text is already right. */
export interface TextEdit {
  text: string;
  /** e.g. `add line "x"`, completed with the path by the caller. */
  summary: string;
}

export type EditFn = (text: string) => TextEdit | null;

/** A change to a file's content, carrying what apply must write. */
export interface EditChange extends Change {
  path: string;
  content: Buffer;
  /** The file as found by the probe; undefined when it does not exist yet. */
  existing?: FileState;
}

const NEW_FILE_MODE = '0644';

/** Probe for an edited file: its state and content; a symlink is reported with the path it resolves to. */
export function editProbe(path: string): string {
  const p = shq(path);
  return `if [ -L ${p} ]; then printf 'link\\n'; readlink -f ${p}; else\n${fileStateProbe(path, true)}\nfi`;
}

/**
 * Decides an edit from the probe output: reads the text (asking the host for files too big for the probe),
 * applies `edit`, and returns what must be written with its diff.
 */
export async function planEdit(ctx: StepContext, path: string, probeOut: string, create: boolean, edit: EditFn): Promise<EditChange | null> {
  const state = parseFileState(probeOut);
  if (state.kind === 'link') {
    throw new Error(`${path} is a symlink to ${state.linkTarget}: edit that file instead, so the link is kept`);
  }
  if (state.kind === 'directory' || state.kind === 'other') {
    throw new Error(`${path} exists and is a ${state.kind}, not a file`);
  }
  if (state.kind === 'absent') {
    const result = edit('');
    if (!result) return null;
    if (!create) throw new Error(`${path} does not exist: create it first, or set create: true`);
    const content = Buffer.from(result.text);
    return { summary: `create ${path}: ${result.summary}`, diff: contentDiff(path, null, content), path, content };
  }
  const before = state.content ?? (await readWhole(ctx.conn, path));
  const result = edit(before.toString('utf8'));
  if (!result) return null;
  const content = Buffer.from(result.text);
  if (content.equals(before)) return null;
  return { summary: `${result.summary} in ${path}`, diff: contentDiff(path, before, content), path, content, existing: state };
}

/** Writes the edited content atomically, keeping the existing file's owner, group and mode. */
export async function writeEdit(conn: Connector, change: EditChange): Promise<void> {
  const e = change.existing;
  const want = e ? { owner: e.owner, group: e.group, mode: e.mode } : { mode: NEW_FILE_MODE };
  await writeFileAtomic(conn, change.path, change.content, want);
}

/** A step that edits part of a text file (see lineInFile, blockInFile). */
export function editFileStep(meta: Pick<Step, 'title' | 'tags' | 'notify' | 'when'>, path: string, create: boolean, edit: EditFn): Step {
  return {
    ...meta,
    probe: editProbe(path),
    check(ctx: StepContext, probe: ProbeResult | undefined) {
      return planEdit(ctx, path, probe?.stdout ?? '', create, edit);
    },
    async apply(ctx, change) {
      await writeEdit(ctx.conn, change as EditChange);
    },
  };
}

async function readWhole(conn: Connector, path: string): Promise<Buffer> {
  const res = assertOk(await conn.run(`base64 -w0 < ${shq(path)}`), `reading ${path}`);
  return Buffer.from(res.stdout.trim(), 'base64');
}

/** Splits text into lines, remembering whether it ended with a newline. */
export function splitLines(text: string): { lines: string[]; finalNewline: boolean } {
  if (text === '') return { lines: [], finalNewline: true };
  const lines = text.split('\n');
  const finalNewline = lines[lines.length - 1] === '';
  if (finalNewline) lines.pop();
  return { lines, finalNewline };
}

export function joinLines(lines: string[], finalNewline: boolean): string {
  if (lines.length === 0) return '';
  return lines.join('\n') + (finalNewline ? '\n' : '');
}

/** A line shortened and quoted for a summary. */
export function quoteLine(line: string, max = 60): string {
  return `"${line.length > max ? `${line.slice(0, max - 1)}…` : line}"`;
}
