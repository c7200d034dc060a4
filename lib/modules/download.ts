import { dirname } from 'node:path';
import type { Change, Step } from '../api/step.ts';
import { assertOk } from '../connectors/connector.ts';
import { shq } from '../connectors/shell.ts';
import { fileStateProbe, ownershipChanges, ownershipScript, parseFileState, type Ownership } from './file-state.ts';
import { stepMeta, type StepOptions } from './step-options.ts';

export interface DownloadOptions extends StepOptions, Ownership {
  url: string;
  dest: string;
  /** Expected SHA-256 of the file, hex: the download is refused when it differs. */
  sha256: string;
  /** How long the transfer may take (default: the connection's command timeout); large files on slow lines need more. */
  timeoutSeconds?: number;
}

interface DownloadChange extends Change {
  fetch: boolean;
}

const DEFAULT_MODE = '0644';

/** Where the bytes come from: a URL fetched over the network, or a file already on the host (file:///path). */
type Source = { url: string } | { path: string };

function sourceOf(url: string, dest: string): Source {
  if (/^(https?|ftp):\/\/\S+$/.test(url)) return { url };
  // file:///path or file://localhost/path: the path is on the host the step runs on, not on the controller.
  const file = /^file:\/\/(?:localhost)?(\/\S*)$/.exec(url);
  if (file && !file[1]!.endsWith('/')) {
    try {
      return { path: decodeURIComponent(file[1]!) };
    } catch {
      // a malformed %-escape: refused below
    }
  }
  throw new Error(`download ${dest}: "${url}" is not an http(s), ftp or file:///<absolute path> URL`);
}

/** Shell lines that write the source's bytes to "$tmp". */
function fetchScript(source: Source): string[] {
  if ('path' in source) {
    const p = shq(source.path);
    return [`[ -f ${p} ] || { echo ${shq(`${source.path}: no such file on this host`)} >&2; exit 3; }`, `cat -- ${p} > "$tmp" || exit $?`];
  }
  const url = shq(source.url);
  return [
    `if command -v curl >/dev/null 2>&1; then curl -fsSL --retry 2 --connect-timeout 30 -o "$tmp" ${url} || exit $?`,
    `elif command -v wget >/dev/null 2>&1; then wget -nv -O "$tmp" ${url} || exit $?`,
    `else echo 'neither curl nor wget is installed' >&2; exit 127; fi`,
  ];
}

/**
 * A file fetched from a URL by the host (curl, else wget), verified against its SHA-256 and put in place atomically.
 * A file:/// URL names a file on the host itself (copied, then verified the same way).
 */
export function download(opts: DownloadOptions): Step {
  const sha = opts.sha256.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(sha)) throw new Error(`download ${opts.dest}: sha256 must be 64 hex digits, got "${opts.sha256}"`);
  const source = sourceOf(opts.url, opts.dest);
  const want: Ownership = { owner: opts.owner, group: opts.group, mode: opts.mode ?? DEFAULT_MODE };
  return {
    ...stepMeta(opts, `download ${opts.dest}`),
    probe: fileStateProbe(opts.dest, false),
    check(_ctx, probe): DownloadChange | null {
      const state = parseFileState(probe?.stdout ?? '');
      if (state.kind === 'directory' || state.kind === 'other') throw new Error(`${opts.dest} exists and is a ${state.kind}, not a file: move it away first`);
      if (state.kind !== 'file') return { summary: `download ${opts.url} to ${opts.dest}${state.kind === 'link' ? ' (replacing a symlink)' : ''}`, fetch: true };
      if (state.sha256 !== sha) {
        return { summary: `replace ${opts.dest} with ${opts.url} (sha256 ${state.sha256?.slice(0, 12)}… → ${sha.slice(0, 12)}…)`, fetch: true };
      }
      const phrases = ownershipChanges(state, { owner: opts.owner, group: opts.group, mode: opts.mode });
      return phrases.length ? { summary: `update ${opts.dest}: ${phrases.join(', ')}`, fetch: false } : null;
    },
    async apply(ctx, change) {
      if (!(change as DownloadChange).fetch) {
        assertOk(await ctx.conn.run(ownershipScript(shq(opts.dest), want)), `setting ownership of ${opts.dest}`);
        return;
      }
      const dir = dirname(opts.dest);
      const script = [
        `[ -d ${shq(dir)} ] || { echo "directory ${dir} does not exist" >&2; exit 3; }`,
        `tmp=$(mktemp ${shq(`${opts.dest}.msh-XXXXXX`)}) || exit 1`,
        `trap 'rm -f "$tmp"' EXIT`,
        ...fetchScript(source),
        `actual=$(sha256sum < "$tmp" | cut -d' ' -f1)`,
        `[ "$actual" = ${sha} ] || { echo "sha256 mismatch: expected ${sha}, got $actual" >&2; exit 1; }`,
        ownershipScript('"$tmp"', want) + ' || exit $?',
        `mv -f "$tmp" ${shq(opts.dest)}`,
      ].join('\n');
      const timeoutMs = opts.timeoutSeconds === undefined ? undefined : opts.timeoutSeconds * 1000;
      assertOk(await ctx.conn.run(script, { timeoutMs }), `downloading ${opts.url} to ${opts.dest}`);
    },
  };
}
