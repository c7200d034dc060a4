/**
 * dashboard-auth.yml with a hash that stays the same from run to run: a new salt each run would rewrite the file every
 * time. The hash on the host is kept while the password from .env still matches it; only a changed password (or user)
 * makes a new one.
 */
import { parse } from 'yaml';
import type { Step } from '../../lib/api/step.ts';
import { apr1Hash, apr1Verify } from '../../lib/crypto/apr1.ts';
import { fileChange, sha256Hex, writeFileAtomic } from '../../lib/modules/file.ts';
import { fileStateProbe, parseFileState, type Ownership } from '../../lib/modules/file-state.ts';
import { DASHBOARD_AUTH } from './names.ts';
import { dashboardAuthYaml } from './templates/dashboard.ts';

/** The `user:hash` lines of the dashboard-auth middleware in a dashboard-auth.yml, [] when there are none or it does not parse. */
export function basicAuthUsers(yamlText: string): string[] {
  try {
    const users: unknown = parse(yamlText)?.http?.middlewares?.[DASHBOARD_AUTH]?.basicAuth?.users;
    return Array.isArray(users) ? users.filter((u): u is string => typeof u === 'string') : [];
  } catch {
    return [];
  }
}

/** The existing hash of `user` when it is the hash of `password`, else a new one (new salt). */
export function dashboardHash(existingYaml: string | undefined, user: string, password: string, newHash = (pw: string) => apr1Hash(pw)): { hash: string; reused: boolean } {
  const line = basicAuthUsers(existingYaml ?? '').find((u) => u.startsWith(`${user}:`));
  const existing = line?.slice(user.length + 1);
  if (existing && apr1Verify(password, existing)) return { hash: existing, reused: true };
  return { hash: newHash(password), reused: false };
}

export interface DashboardAuthOptions {
  path: string;
  user: string;
  password: string;
  tags?: string[];
}

/** The step writing dashboard-auth.yml (root, 0600; Traefik runs as root in its container). */
export function dashboardAuthFile(opts: DashboardAuthOptions): Step {
  const want: Ownership = { owner: 'root', group: 'root', mode: '0600' };
  let pending: Buffer | undefined;
  return {
    title: 'Dashboard password hash (dashboard-auth.yml)',
    tags: opts.tags,
    // The probe carries the current hash (never the password) back for the comparison; it is not shown.
    probe: fileStateProbe(opts.path, true),
    check(_ctx, probe) {
      const state = parseFileState(probe?.stdout ?? '');
      const current = state.kind === 'file' ? state.content?.toString('utf8') : undefined;
      const { hash, reused } = dashboardHash(current, opts.user, opts.password);
      const content = Buffer.from(dashboardAuthYaml(opts.user, hash));
      pending = content;
      const change = fileChange(opts.path, state, content, sha256Hex(content), want, true);
      if (change && state.kind === 'file' && !reused) {
        return { ...change, summary: `update ${opts.path}: new password hash (the password in .env does not match the one on the host)` };
      }
      return change;
    },
    async apply(ctx) {
      if (!pending) throw new Error(`${opts.path}: apply before check`);
      await writeFileAtomic(ctx.conn, opts.path, pending, want);
    },
  };
}
