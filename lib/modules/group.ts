import type { Change, Step } from '../api/step.ts';
import { assertOk } from '../connectors/connector.ts';
import { cmd } from '../connectors/shell.ts';
import { stepMeta, type StepOptions } from './step-options.ts';

export interface GroupOptions extends StepOptions {
  name: string;
  gid?: number;
  /** Create as a system group (gid from the system range); only used when creating. */
  system?: boolean;
  state?: 'present' | 'absent';
}

/** A change that is one command on the host. */
export interface CommandChange extends Change {
  script: string;
}

export const ACCOUNT_NAME = /^[a-z_][a-z0-9_.-]*\$?$/i;

/** A local group with the given gid (groupadd / groupmod / groupdel). */
export function group(opts: GroupOptions): Step {
  if (!ACCOUNT_NAME.test(opts.name)) throw new Error(`group: "${opts.name}" is not a valid group name`);
  const state = opts.state ?? 'present';
  return {
    ...stepMeta(opts, `group ${opts.name}${state === 'absent' ? ' absent' : ''}`),
    probe: cmd('getent', 'group', opts.name) + ' || true',
    check(_ctx, probe): CommandChange | null {
      const entry = (probe?.stdout ?? '').trim();
      if (state === 'absent') return entry ? { summary: `delete group ${opts.name}`, script: cmd('groupdel', opts.name) } : null;
      if (!entry) {
        const args = [...(opts.gid !== undefined ? ['-g', opts.gid] : []), ...(opts.system ? ['--system'] : [])];
        return { summary: `create group ${opts.name}${opts.gid !== undefined ? ` (gid ${opts.gid})` : ''}`, script: cmd('groupadd', ...args, opts.name) };
      }
      const gid = Number(entry.split(':')[2]);
      if (opts.gid !== undefined && gid !== opts.gid) {
        return { summary: `change gid of group ${opts.name}: ${gid} → ${opts.gid}`, script: cmd('groupmod', '-g', opts.gid, opts.name) };
      }
      return null;
    },
    async apply(ctx, change) {
      assertOk(await ctx.conn.run((change as CommandChange).script), change.summary);
    },
  };
}
