/**
 * A restic repository, made once: an existing one is adopted when the password opens it; one the password does not
 * open is an error (never re-initialised); a directory holding something else is left alone. The password goes to
 * restic on stdin, never on a command line.
 */
import { dirname } from 'node:path';
import type { Change, Step, StepContext } from '../../lib/api/step.ts';
import { assertOk } from '../../lib/connectors/connector.ts';
import { shq } from '../../lib/connectors/shell.ts';
import type { PasswordState } from './password.ts';
import type { Repository } from './settings.ts';

export type RepositoryState = 'ok' | 'absent' | 'wrong-password';

/** Exports the variables of a NAME=value file (the off-site credentials) for the restic that follows. */
const withEnv = (envFile?: string) => (envFile ? `set -a; . ${shq(envFile)}; set +a; ` : '');

/** restic ≥ 0.17 says it with exit codes 10 and 12; 0.14–0.16 only in words (exit 1). */
export function classifyOpen(code: number, stderr: string): RepositoryState | undefined {
  if (code === 0) return 'ok';
  if (code === 10 || /Is there a repository at the following location\?/.test(stderr)) return 'absent';
  if (code === 12 || /wrong password or no key found/.test(stderr)) return 'wrong-password';
  return undefined;
}

/** Whether the repository opens with this password (read-only: cat config, no cache, no lock). */
export async function openRepository(ctx: StepContext, url: string, password: string, envFile?: string): Promise<RepositoryState> {
  const res = await ctx.conn.run(`${withEnv(envFile)}cat | restic --no-cache --no-lock -r ${shq(url)} --password-file /dev/stdin cat config >/dev/null`, { input: password });
  const state = classifyOpen(res.code, res.stderr);
  if (state === undefined) throw new Error(`cannot open the restic repository at ${url} (exit ${res.code}): ${res.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return state;
}

export interface RepositoryStepOptions {
  repo: Repository;
  password: PasswordState;
  /** The off-site credentials file on the host. */
  envFile?: string;
  /** Set when, in --check, the credentials file is about to change: the repository cannot be opened before. */
  credentialsPending?: () => boolean;
}

export function repositoryStep(o: RepositoryStepOptions): Step {
  const { url } = o.repo;
  const local = o.repo.name === 'local';
  const where = local ? url : `the off-site repository (${o.repo.name})`;
  return {
    title: local ? `restic repository ${url}` : 'off-site restic repository',
    tags: ['repository'],
    probe: local
      ? [`[ -e ${shq(`${url}/config`)} ] && echo config`, `[ -d ${shq(url)} ] && [ -n "$(ls -A ${shq(url)})" ] && echo nonempty`, `[ -d ${shq(dirname(url))} ] && echo parent`, 'true'].join('\n')
      : undefined,
    async check(ctx, probe): Promise<Change | null> {
      const seen = new Set((probe?.stdout ?? '').split('\n'));
      if (o.password.value === undefined) {
        if (!ctx.checkMode) throw new Error(`the restic password is unknown to this run: do not leave out the steps tagged secrets`);
        if (local && seen.has('config')) throw new Error(`${url} is already a restic repository and its password is unknown: set RESTIC_PASSWORD in .env`);
        return { summary: `initialise ${where} with the password generated above (if it does not exist yet)` };
      }
      if (ctx.checkMode && o.credentialsPending?.()) return { summary: `open ${where} with the credentials written above, and initialise it if it does not exist yet` };
      const state = await openRepository(ctx, url, o.password.value, o.envFile);
      if (state === 'ok') return null;
      if (state === 'wrong-password') {
        throw new Error(`RESTIC_PASSWORD does not open ${where}: it was made with another password. Put that one back in .env; the repository is never re-initialised (nothing was changed)`);
      }
      if (local && seen.has('nonempty')) throw new Error(`${url} exists, is not empty and is not a restic repository: move its contents away, or set backup_repository to another directory`);
      if (local && !seen.has('parent')) throw new Error(`${dirname(url)} does not exist: is the backups dataset mounted on this host (role vm-services)?`);
      return { summary: `initialise a new restic repository at ${local ? url : where}` };
    },
    async apply(ctx) {
      assertOk(await ctx.conn.run(`${withEnv(o.envFile)}cat | restic --no-cache -r ${shq(url)} --password-file /dev/stdin init`, { input: o.password.value! }), `initialising ${where}`);
    },
  };
}
