import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import type { Change, Step } from '../api/step.ts';
import { assertOk, type Connector } from '../connectors/connector.ts';
import { shq } from '../connectors/shell.ts';
import { containsSecret } from '../redact.ts';
import { contentDiff } from './diff.ts';
import { stepMeta, type StepOptions } from './step-options.ts';
import { fileStateProbe, normalizeMode, ownershipChanges, ownershipScript, parseFileState, type FileState, type Ownership } from './file-state.ts';

export interface FileOptions extends Ownership, StepOptions {
  path: string;
  content: string | Buffer;
  /** Hide the content from diffs; implied when the content holds a .env value. Forces mode 0600 unless a stricter one is set. */
  secret?: boolean;
  /** Shell command run on a temporary copy before the file is put in place, e.g. "sshd -t -f %s"; failure keeps the old file. */
  validate?: string;
}

const DEFAULT_NEW_FILE_MODE = '0644';

/** A file with exactly this content, owner, group and mode, written atomically (temp file + rename). */
export function file(opts: FileOptions): Step {
  const content = typeof opts.content === 'string' ? Buffer.from(opts.content) : opts.content;
  const secret = opts.secret || containsSecret(content.toString('utf8'));
  if (secret && opts.mode !== undefined && Number.parseInt(normalizeMode(opts.mode), 8) & 0o037) {
    throw new Error(`${opts.path} holds a secret but its mode ${normalizeMode(opts.mode)} lets others read it (or its group write it): use 0600 or 0640`);
  }
  const want: Ownership = { ...opts, mode: opts.mode ?? (secret ? '0600' : undefined) };
  const wantSha = sha256Hex(content);
  return {
    ...stepMeta(opts, `file ${opts.path}`),
    probe: fileStateProbe(opts.path, !secret),
    check(_ctx, probe) {
      const state = parseFileState(probe?.stdout ?? '');
      return fileChange(opts.path, state, content, wantSha, want, secret);
    },
    async apply(ctx) {
      await writeFileAtomic(ctx.conn, opts.path, content, { ...want, mode: want.mode ?? DEFAULT_NEW_FILE_MODE }, opts.validate);
    },
  };
}

export function fileChange(path: string, state: FileState, content: Buffer, wantSha: string, want: Ownership, secret: boolean): Change | null {
  if (state.kind === 'directory' || state.kind === 'other') {
    throw new Error(`${path} exists and is a ${state.kind}, not a file: move it away first`);
  }
  if (state.kind === 'absent' || state.kind === 'link') {
    return {
      summary: `create ${path} (${content.length} bytes${state.kind === 'link' ? ', replacing a symlink' : ''})`,
      diff: secret ? `--- /dev/null\n+++ ${path}\n(content hidden: holds secrets)\n` : contentDiff(path, null, content),
    };
  }
  const phrases = ownershipChanges(state, want);
  const contentChanged = state.sha256 !== wantSha;
  if (!contentChanged && phrases.length === 0) return null;
  return {
    summary: `update ${path}: ${[...(contentChanged ? ['content'] : []), ...phrases].join(', ')}`,
    diff: contentChanged ? (secret ? `--- ${path}\n+++ ${path}\n(content hidden: holds secrets)\n` : contentDiff(path, state.content, content)) : undefined,
  };
}

/** Writes bytes to a temp file beside `path`, sets owner/mode, validates, then renames over the target. */
export async function writeFileAtomic(conn: Connector, path: string, content: Buffer, want: Ownership, validate?: string): Promise<void> {
  const dir = dirname(path);
  const own = ownershipScript('"$tmp"', want);
  // A subshell: a validate command may itself `exit`.
  const check = validate ? `( ${validate.replaceAll('%s', '"$tmp"')} ) || { rc=$?; rm -f "$tmp"; exit $rc; }` : '';
  const script = [
    `[ -d ${shq(dir)} ] || { echo "directory ${dir} does not exist" >&2; exit 3; }`,
    `tmp=$(mktemp ${shq(`${path}.msh-XXXXXX`)}) || exit 1`,
    `trap 'rm -f "$tmp"' INT TERM`,
    `cat > "$tmp" || { rm -f "$tmp"; exit 1; }`,
    own ? `{ ${own}; } || { rm -f "$tmp"; exit 1; }` : '',
    check,
    `mv -f "$tmp" ${shq(path)}`,
  ]
    .filter(Boolean)
    .join('\n');
  assertOk(await conn.run(script, { input: content }), `writing ${path}`);
}

export function sha256Hex(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}
