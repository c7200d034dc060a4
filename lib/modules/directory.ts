import type { Change, Step } from '../api/step.ts';
import { assertOk } from '../connectors/connector.ts';
import { shq } from '../connectors/shell.ts';
import { fileStateProbe, normalizeMode, ownershipChanges, ownershipScript, parseFileState, type Ownership } from './file-state.ts';
import { stepMeta, type StepOptions } from './step-options.ts';

export interface DirectoryOptions extends StepOptions, Ownership {
  path: string;
}

/** A directory (parents created as needed) with the given owner, group and mode; a symlink to a directory counts as one. */
export function directory(opts: DirectoryOptions): Step {
  const p = shq(opts.path);
  return {
    ...stepMeta(opts, `directory ${opts.path}`),
    probe: `if [ -d ${p} ]; then stat -L -c 'directory %a %U %G 0' ${p}; else\n${fileStateProbe(opts.path, false)}\nfi`,
    check(_ctx, probe): Change | null {
      const state = parseFileState(probe?.stdout ?? '');
      if (state.kind === 'absent') {
        const attrs = attributes(opts);
        return { summary: `create directory ${opts.path}${attrs ? ` (${attrs})` : ''}` };
      }
      if (state.kind !== 'directory') {
        const what = state.kind === 'link' ? `a symlink to ${state.linkTarget}, which is not a directory` : `a ${state.kind === 'file' ? 'regular file' : 'special file'}`;
        throw new Error(`${opts.path} exists and is ${what}: move it away first`);
      }
      const phrases = ownershipChanges(state, opts);
      return phrases.length ? { summary: `update ${opts.path}: ${phrases.join(', ')}` } : null;
    },
    async apply(ctx) {
      const own = ownershipScript(p, { owner: opts.owner, group: opts.group });
      // Five digits: GNU chmod keeps a directory's setgid/setuid bits for a four-digit numeric mode.
      const chmod = opts.mode !== undefined ? `chmod 0${normalizeMode(opts.mode)} ${p}` : '';
      const script = [`mkdir -p ${p}`, own, chmod].filter(Boolean).join(' && ');
      assertOk(await ctx.conn.run(script), `creating directory ${opts.path}`);
    },
  };
}

function attributes(o: Ownership): string {
  return [
    o.owner !== undefined ? `owner ${o.owner}` : '',
    o.group !== undefined ? `group ${o.group}` : '',
    o.mode !== undefined ? `mode ${normalizeMode(o.mode)}` : '',
  ]
    .filter(Boolean)
    .join(', ');
}
