/**
 * The .env the wizard writes: the secrets the roles need, generated once (an existing value is kept, never
 * regenerated: a rerun must not change Grafana's or the backups' password), the ones the person gave, and every other
 * line of an existing file as it was.
 */
import { parse } from 'dotenv';
import { registerSecret } from '../../lib/redact.ts';
import { generateSecret } from '../../lib/crypto/secret.ts';
import { ENV_NAMES, offsiteEnvNames } from './inventory.ts';
import type { Setup } from './model.ts';

/** Generated when missing, with their length: the monitoring and traefik roles want 12+ characters, restic 16+. */
export const GENERATED = { GRAFANA_ADMIN_PASSWORD: 24, TRAEFIK_DASHBOARD_PASSWORD: 24, RESTIC_PASSWORD: 40 } as const;

/** The values the answers give (empty ones are left out). */
export function givenValues(s: Setup): Record<string, string> {
  const out: Record<string, string> = {};
  const set = (name: string, value: string) => {
    if (value !== '') out[name] = value;
  };
  set('TAILSCALE_AUTHKEY', s.tailscaleAuthkey);
  const offsite = offsiteEnvNames(s.offsite.kind);
  if (offsite) {
    set(ENV_NAMES.offsiteRepository, s.offsite.repository);
    set(offsite[0], s.offsite.keyId);
    set(offsite[1], s.offsite.secretKey);
  }
  set(ENV_NAMES.smtpPassword, s.alert.smtpPassword);
  set(ENV_NAMES.telegramBotToken, s.alert.telegramBotToken);
  set(ENV_NAMES.ntfyToken, s.alert.ntfyToken);
  for (const v of Object.values(out)) registerSecret(v);
  return out;
}

/** A value as dotenv reads it back unchanged. */
export function quote(value: string): string {
  if (/^[A-Za-z0-9_./:@+-]*$/.test(value)) return value;
  if (!value.includes("'") && !value.includes('\n')) return `'${value}'`;
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

const HEADER = ['# Secrets of media-server-home (mode 0600, never committed). Written by `npx zx playbooks/setup.ts`;', '# the inventory refers to them as ${NAME}. Generated passwords are kept on later runs.'];

export function renderEnv(s: Setup, existingText: string | undefined): string {
  const existing = existingText ? parse(existingText) : {};
  for (const v of Object.values(existing)) registerSecret(v);
  const wanted: Record<string, string> = {};
  for (const [name, length] of Object.entries(GENERATED)) wanted[name] = existing[name] || generateSecret(length);
  Object.assign(wanted, givenValues(s));

  const lines = existingText ? existingText.replace(/\n$/, '').split('\n') : [...HEADER];
  const done = new Set<string>();
  const out = lines.map((line) => {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line);
    const name = m?.[1];
    if (!name || !(name in wanted) || done.has(name)) return line;
    done.add(name);
    return existing[name] === wanted[name] ? line : `${name}=${quote(wanted[name]!)}`;
  });
  for (const [name, value] of Object.entries(wanted)) if (!done.has(name)) out.push(`${name}=${quote(value)}`);
  return `${out.join('\n')}\n`;
}
