import type { SnapshotPolicy } from '../defaults.ts';
import { SNAPSHOT_KINDS } from '../settings.ts';

export const SANOID_CONF = '/etc/sanoid/sanoid.conf';

/**
 * /etc/sanoid/sanoid.conf: one template per dataset with a policy. Every kind is written out, 0 included: sanoid's
 * built-in default template keeps 48 hourly, 90 daily and 6 monthly snapshots of anything a template leaves out.
 */
export function sanoidConf(pool: string, datasets: string[], policies: Record<string, SnapshotPolicy>): string {
  const withPolicy = datasets.filter((d) => d in policies).sort();
  const without = datasets.filter((d) => !(d in policies)).sort();
  const lines = [
    '# Managed by media-server-home (role zfs, variable zfs_snapshots). sanoid.timer reads it every 15 minutes.',
    without.length ? `# No snapshots of: ${without.map((d) => `${pool}/${d}`).join(', ')} (no policy in zfs_snapshots).` : '# Every dataset has a policy.',
    '',
  ];
  for (const d of withPolicy) lines.push(`[${pool}/${d}]`, `\tuse_template = ${templateName(d)}`, '');
  for (const d of withPolicy) {
    const policy = policies[d]!;
    lines.push(`[template_${templateName(d)}]`);
    for (const kind of SNAPSHOT_KINDS) lines.push(`\t${kind} = ${policy[kind] ?? 0}`);
    lines.push('\tautosnap = yes', '\tautoprune = yes', '');
  }
  return lines.join('\n');
}

/** media/films → media_films: a template name without the slash. */
function templateName(dataset: string): string {
  return dataset.replaceAll('/', '_');
}
