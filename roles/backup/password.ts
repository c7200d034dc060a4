/**
 * The repositories' password. It lives in the controller's .env as RESTIC_PASSWORD — off the box, where the user can
 * find it again after losing the VM or the pool (without it the off-site copy is useless) — and on the host in a
 * root-only file the timers read. Generated once when .env has none; a host that already has a password file gives
 * its password back to .env instead (the repository was made with it). Never changed afterwards: a password that does
 * not open the existing repository is an error, never a reason to make a new repository.
 */
import type { Change, Step, StepContext } from '../../lib/api/step.ts';
import { shq } from '../../lib/connectors/shell.ts';
import { generateSecret } from '../../lib/crypto/secret.ts';
import { addEnvValue, loadEnvFile } from '../../lib/inventory/env-file.ts';
import { lazyFile } from '../../lib/modules/lazy-file.ts';
import { registerSecret } from '../../lib/redact.ts';
import { openRepository } from './repository.ts';
import { PASSWORD_ENV, type Layout, type V } from './settings.ts';

export const PASSWORD_LENGTH = 40;
export const MIN_PASSWORD_LENGTH = 16;

/** What the steps of one run know of the password; filled by the .env step's check. */
export interface PasswordState {
  value?: string;
}

export const generatePassword = (): string => generateSecret(PASSWORD_LENGTH);

/** RESTIC_PASSWORD in the run's .env (read as the playbook read it: mode checked, values registered for redaction). */
const envPassword = (file: string): string | undefined => loadEnvFile(file).values[PASSWORD_ENV] || undefined;

/** The host's password file, or undefined when it has none. */
async function hostPassword(ctx: StepContext, layout: Layout): Promise<string | undefined> {
  const res = await ctx.conn.run(`if [ -f ${shq(layout.passwordFile)} ]; then cat ${shq(layout.passwordFile)}; else echo absent >&2; exit 3; fi`);
  if (res.code === 3) return undefined;
  if (res.code !== 0) throw new Error(`reading ${layout.passwordFile} on the host failed: ${res.stderr.trim()}`);
  const pw = res.stdout.trim();
  registerSecret(pw);
  return pw || undefined;
}

export function passwordProblem(pw: string): string | undefined {
  if (pw.length < MIN_PASSWORD_LENGTH) return `it has only ${pw.length} characters (at least ${MIN_PASSWORD_LENGTH})`;
  if (/\s/.test(pw)) return 'it contains white space';
  return undefined;
}

/** Runs on the controller: RESTIC_PASSWORD in the run's .env, generated (or taken back from the host) when missing. */
export function envPasswordStep(v: V, layout: Layout, state: PasswordState): Step {
  let adopt: string | undefined;
  return {
    title: `${PASSWORD_ENV} in .env (the repositories' password, kept off the host)`,
    tags: ['secrets'],
    async check(ctx): Promise<Change | null> {
      if (!ctx.envFile) throw new Error(`the .env file of this run is unknown: ${PASSWORD_ENV} cannot be kept (run through a playbook)`);
      const known = envPassword(ctx.envFile);
      if (known !== undefined) {
        const problem = passwordProblem(known);
        if (problem) throw new Error(`${PASSWORD_ENV} in ${ctx.envFile} cannot be used: ${problem}`);
        state.value = known;
        return null;
      }
      adopt = await hostPassword(ctx, layout);
      if (adopt !== undefined) {
        state.value = adopt;
        return { summary: `add ${PASSWORD_ENV} to ${ctx.envFile}: the password of the existing repository, from ${ctx.host}:${layout.passwordFile}` };
      }
      const repo = await ctx.conn.run(`[ -e ${shq(`${v.backup_repository}/config`)} ]`);
      if (repo.code === 0) {
        throw new Error(
          `${ctx.host} already has a restic repository at ${v.backup_repository}, but neither ${ctx.envFile} nor ${layout.passwordFile} holds its password: add ${PASSWORD_ENV}=<its password> to ${ctx.envFile} (a new password would not open it, and it is never re-initialised)`,
        );
      }
      state.value = undefined;
      return { summary: `generate a new restic password (${PASSWORD_LENGTH} letters and digits) and add it to ${ctx.envFile} as ${PASSWORD_ENV}: keep a copy of it somewhere safe` };
    },
    async apply(ctx) {
      const pw = adopt ?? generatePassword();
      addEnvValue(ctx.envFile!, PASSWORD_ENV, pw, `restic repositories' password (role backup); without it no backup can be restored: keep a copy off this machine`);
      state.value = pw;
    },
  };
}

/**
 * The host's root-only password file, written from .env. Replacing a different password is refused while the
 * repository exists and does not open with the new one.
 */
export function hostPasswordStep(v: V, layout: Layout, state: PasswordState): Step {
  const inner = lazyFile({
    title: `restic password file ${layout.passwordFile} (root, 0600)`,
    path: layout.passwordFile,
    content: () => state.value,
    madeFrom: `${PASSWORD_ENV} (generated above)`,
    secret: true,
    owner: 'root',
    group: 'root',
    mode: '0600',
    tags: ['secrets'],
  });
  return {
    ...inner,
    async check(ctx, probe) {
      const change = await inner.check(ctx, probe);
      if (!change || !change.summary.startsWith('update') || !change.summary.includes('content') || state.value === undefined) return change;
      const open = await openRepository(ctx, v.backup_repository, state.value);
      if (open === 'wrong-password') {
        throw new Error(
          `${PASSWORD_ENV} in .env differs from ${layout.passwordFile} and does not open the repository at ${v.backup_repository}: put back the password the repository was made with (the one in ${ctx.host}:${layout.passwordFile}, if it still opens it); nothing was changed`,
        );
      }
      return change;
    },
  };
}
