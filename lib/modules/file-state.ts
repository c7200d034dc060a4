import { shq } from '../connectors/shell.ts';

/** What a probe tells about a path. */
export interface FileState {
  kind: 'absent' | 'file' | 'directory' | 'link' | 'other';
  mode?: string;
  owner?: string;
  group?: string;
  size?: number;
  sha256?: string;
  /** Present for regular files up to MAX_DIFF_BYTES, to show a diff. */
  content?: Buffer;
  linkTarget?: string;
}

export const MAX_DIFF_BYTES = 256 * 1024;

/** Probe snippet printing a FileState; with `withContent`, small files' bytes in base64. */
export function fileStateProbe(path: string, withContent: boolean): string {
  const p = shq(path);
  return [
    `if [ -L ${p} ]; then printf 'link\\n'; readlink ${p};`,
    `elif [ -f ${p} ]; then stat -c 'file %a %U %G %s' ${p}; sha256sum < ${p} | cut -d' ' -f1;`,
    withContent ? `  if [ "$(stat -c %s ${p})" -le ${MAX_DIFF_BYTES} ]; then base64 -w0 < ${p}; fi; echo;` : '',
    `elif [ -d ${p} ]; then stat -c 'directory %a %U %G 0' ${p};`,
    `elif [ -e ${p} ]; then printf 'other\\n';`,
    `else printf 'absent\\n'; fi`,
  ].join('\n');
}

export function parseFileState(stdout: string): FileState {
  const lines = stdout.split('\n');
  const [kind = 'absent', mode, owner, group, size] = (lines[0] ?? '').trim().split(' ');
  switch (kind) {
    case 'link':
      return { kind: 'link', linkTarget: lines[1] ?? '' };
    case 'file': {
      const b64 = (lines[2] ?? '').trim();
      return {
        kind: 'file',
        mode: normalizeMode(mode ?? ''),
        owner,
        group,
        size: Number(size),
        sha256: lines[1]?.trim(),
        content: b64 || Number(size) === 0 ? Buffer.from(b64, 'base64') : undefined,
      };
    }
    case 'directory':
      return { kind: 'directory', mode: normalizeMode(mode ?? ''), owner, group };
    case 'other':
      return { kind: 'other' };
    default:
      return { kind: 'absent' };
  }
}

/** "644", 0o644, "0644" → "0644". */
export function normalizeMode(mode: string | number): string {
  const s = typeof mode === 'number' ? mode.toString(8) : mode.replace(/^0o/, '');
  return s.padStart(4, '0');
}

export interface Ownership {
  owner?: string;
  group?: string;
  mode?: string | number;
}

/** Differences between wanted ownership/mode and the current state, as "mode 0644 → 0600" phrases. */
export function ownershipChanges(state: FileState, want: Ownership): string[] {
  const out: string[] = [];
  if (want.mode !== undefined && state.mode !== normalizeMode(want.mode)) out.push(`mode ${state.mode} → ${normalizeMode(want.mode)}`);
  if (want.owner !== undefined && state.owner !== want.owner) out.push(`owner ${state.owner} → ${want.owner}`);
  if (want.group !== undefined && state.group !== want.group) out.push(`group ${state.group} → ${want.group}`);
  return out;
}

/** Shell lines applying ownership and mode to `pathWord`, a path already quoted for sh (nothing for unmanaged attributes). */
export function ownershipScript(pathWord: string, want: Ownership): string {
  const p = pathWord;
  const lines: string[] = [];
  if (want.owner !== undefined || want.group !== undefined) {
    lines.push(`chown ${shq(`${want.owner ?? ''}${want.group !== undefined ? `:${want.group}` : ''}`)} ${p}`);
  }
  if (want.mode !== undefined) lines.push(`chmod ${normalizeMode(want.mode)} ${p}`);
  return lines.join(' && ');
}
