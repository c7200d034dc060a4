/** What to run after the wizard: --check first, with the flags the answers call for. */
import { existsSync } from 'node:fs';
import { BY_ID_DIR } from '../../lib/modules/disks/list.ts';
import { controllerPath } from '../../roles/vm-services/settings.ts';
import { allRoles } from '../../roles/index.ts';
import type { Setup } from './model.ts';

export function nextCommands(s: Setup, o: { inventory: string; envFile: string }): string[] {
  const flags: string[] = [];
  if (o.inventory !== 'inventory/hosts.yml') flags.push('-i', o.inventory);
  if (o.envFile !== '.env') flags.push('--secrets', o.envFile);
  const roleNames = allRoles.map((r) => r.name);
  const skip: string[] = [];
  if (!s.parts.includes('tailscale') || s.tailscaleAuthkey === '') skip.push('tailscale');
  if (!s.parts.includes('backup') && roleNames.includes('backup')) skip.push('backup');
  if (skip.length) flags.push('--skip-tags', skip.join(','));
  const wipe = s.wipe.flatMap((d) => ['--wipe', d.slice(BY_ID_DIR.length + 1)]);
  const base = ['npx zx playbooks/site.ts', ...flags].join(' ');
  const lines = [''];
  if (s.disks.length === 0) lines.push(`Note: no disk is chosen for the pool: set zfs_disks in ${o.inventory} before running site.ts.`);
  if (s.parts.includes('tailscale') && s.tailscaleAuthkey === '') lines.push(`Note: no Tailscale key: tailscale is skipped; add TAILSCALE_AUTHKEY to ${o.envFile} and drop "tailscale" from --skip-tags.`);
  if (!existsSync(controllerPath(`${s.pve.keyFile}.pub`))) lines.push(`Note: ${s.pve.keyFile}.pub does not exist: make the key pair (ssh-keygen -t ed25519 -f ${s.pve.keyFile}); the services VM is given its public half.`);
  if (wipe.length) lines.push(`Note: --wipe erases ${s.wipe.join(', ')} (they hold data); --yes confirms it.`);
  lines.push('Next: see what would change, then do it:');
  lines.push(`  ${base} --check`);
  lines.push(`  ${[base, ...wipe, ...(wipe.length ? ['--yes'] : [])].join(' ')}`);
  return lines;
}
