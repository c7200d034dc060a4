import type { Step } from '../api/step.ts';
import { assertOk } from '../connectors/connector.ts';
import { cmd } from '../connectors/shell.ts';
import { ACCOUNT_NAME, type CommandChange } from './group.ts';
import { stepMeta, type StepOptions } from './step-options.ts';

export interface UserOptions extends StepOptions {
  name: string;
  uid?: number;
  /** Supplementary groups the user must be in; other memberships are left alone. */
  groups?: string[];
  shell?: string;
  /** For an existing user, only the passwd entry changes (usermod -d): files are not moved. */
  home?: string;
  /** Create as a system user (uid from the system range); only used when creating. */
  system?: boolean;
  /** Create the home directory when creating the user; defaults to true, false for system users. */
  createHome?: boolean;
  state?: 'present' | 'absent';
}

/** A local user account (useradd / usermod / userdel). */
export function user(opts: UserOptions): Step {
  if (!ACCOUNT_NAME.test(opts.name)) throw new Error(`user: "${opts.name}" is not a valid user name`);
  const state = opts.state ?? 'present';
  const groups = [...new Set(opts.groups ?? [])];
  return {
    ...stepMeta(opts, `user ${opts.name}${state === 'absent' ? ' absent' : ''}`),
    probe: `${cmd('getent', 'passwd', opts.name)} || exit 0\n${cmd('id', '-Gn', opts.name)}`,
    check(_ctx, probe): CommandChange | null {
      const [entry = '', groupLine = ''] = (probe?.stdout ?? '').split('\n');
      if (state === 'absent') return entry ? { summary: `delete user ${opts.name}`, script: cmd('userdel', opts.name) } : null;
      if (!entry) return create(opts, groups);
      // name:password:uid:gid:gecos:home:shell
      const [, , uid, , , home, shell] = entry.split(':');
      const member = new Set(groupLine.trim().split(/\s+/));
      const args: (string | number)[] = [];
      const phrases: string[] = [];
      if (opts.uid !== undefined && Number(uid) !== opts.uid) {
        args.push('-u', opts.uid);
        phrases.push(`uid ${uid} → ${opts.uid}`);
      }
      if (opts.home !== undefined && home !== opts.home) {
        args.push('-d', opts.home);
        phrases.push(`home ${home} → ${opts.home}`);
      }
      if (opts.shell !== undefined && shell !== opts.shell) {
        args.push('-s', opts.shell);
        phrases.push(`shell ${shell} → ${opts.shell}`);
      }
      const missing = groups.filter((g) => !member.has(g));
      if (missing.length) {
        args.push('-a', '-G', missing.join(','));
        phrases.push(`add to groups ${missing.join(', ')}`);
      }
      if (phrases.length === 0) return null;
      return { summary: `update user ${opts.name}: ${phrases.join(', ')}`, script: cmd('usermod', ...args, opts.name) };
    },
    async apply(ctx, change) {
      assertOk(await ctx.conn.run((change as CommandChange).script), change.summary);
    },
  };
}

function create(opts: UserOptions, groups: string[]): CommandChange {
  const args: (string | number)[] = [];
  const details: string[] = [];
  if (opts.uid !== undefined) {
    args.push('-u', opts.uid);
    details.push(`uid ${opts.uid}`);
  }
  if (opts.system) {
    args.push('--system');
    details.push('system');
  }
  if (opts.home !== undefined) {
    args.push('-d', opts.home);
    details.push(`home ${opts.home}`);
  }
  if (opts.shell !== undefined) {
    args.push('-s', opts.shell);
    details.push(`shell ${opts.shell}`);
  }
  if (groups.length) {
    args.push('-G', groups.join(','));
    details.push(`groups ${groups.join(', ')}`);
  }
  // useradd's own default (CREATE_HOME in login.defs) differs between distributions: always say which.
  args.push((opts.createHome ?? !opts.system) ? '-m' : '-M');
  return { summary: `create user ${opts.name}${details.length ? ` (${details.join(', ')})` : ''}`, script: cmd('useradd', ...args, opts.name) };
}
