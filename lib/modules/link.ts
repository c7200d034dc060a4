import { dirname } from 'node:path';
import type { Change, Step } from '../api/step.ts';
import { assertOk } from '../connectors/connector.ts';
import { shq } from '../connectors/shell.ts';
import { fileStateProbe, parseFileState } from './file-state.ts';
import { stepMeta, type StepOptions } from './step-options.ts';

export interface LinkOptions extends StepOptions {
  path: string;
  /** What the symlink points to, stored as given (relative targets stay relative). */
  target: string;
}

/** A symbolic link at `path` pointing to `target`; replaces a link pointing elsewhere, never a file or directory. */
export function link(opts: LinkOptions): Step {
  if (!opts.target) throw new Error(`link ${opts.path}: target must not be empty`);
  return {
    ...stepMeta(opts, `link ${opts.path} → ${opts.target}`),
    probe: fileStateProbe(opts.path, false),
    check(_ctx, probe): Change | null {
      const state = parseFileState(probe?.stdout ?? '');
      if (state.kind === 'absent') return { summary: `create link ${opts.path} → ${opts.target}` };
      if (state.kind !== 'link') {
        throw new Error(`${opts.path} exists and is a ${state.kind === 'file' ? 'regular file' : state.kind}, not a symlink: move it away first`);
      }
      if (state.linkTarget === opts.target) return null;
      return { summary: `repoint link ${opts.path}: ${state.linkTarget} → ${opts.target}` };
    },
    async apply(ctx) {
      const p = shq(opts.path);
      const dir = dirname(opts.path);
      // A new link renamed over the old one: the path never disappears, and mv -T never descends into a linked directory.
      const script = [
        `[ -d ${shq(dir)} ] || { echo "directory ${dir} does not exist" >&2; exit 3; }`,
        `tmp=${shq(`${opts.path}.msh-`)}$$`,
        `rm -f "$tmp"`,
        `ln -s ${shq(opts.target)} "$tmp" && mv -Tf "$tmp" ${p} || { rc=$?; rm -f "$tmp"; exit $rc; }`,
      ].join('\n');
      assertOk(await ctx.conn.run(script), `linking ${opts.path} → ${opts.target}`);
    },
  };
}
