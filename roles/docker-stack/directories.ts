/** The stack's directories, with the owners the containers need. */
import { dirname } from 'node:path';
import type { Change, Step } from '../../lib/api/step.ts';
import { assertOk } from '../../lib/connectors/connector.ts';
import { shq } from '../../lib/connectors/shell.ts';
import { directory } from '../../lib/modules/index.ts';
import { jellyfinDirs } from './model.ts';
import { enabledProfiles, type Profile, type V } from './settings.ts';

/** uid and gid of the `postgres` user in the Debian-based Postgres images (Immich's included): it owns PGDATA. */
export const POSTGRES_UID = 999;

export interface NumericDirectory {
  title: string;
  path: string;
  uid: number;
  gid: number;
  mode: string;
  when?: Step['when'];
}

/**
 * A directory owned by numeric ids: container users (999, 1000) often have no name on the host, or another one, so
 * names cannot be compared. mkdir -p, then chown/chmod of this directory only (never recursive).
 */
export function numericDirectory(d: NumericDirectory): Step {
  const p = shq(d.path);
  return {
    title: d.title,
    tags: ['directories'],
    when: d.when,
    probe: `if [ -d ${p} ]; then stat -L -c 'dir %u %g %a' ${p}; elif [ -e ${p} ]; then echo other; else echo absent; fi`,
    check(_ctx, probe): Change | null {
      const [kind, uid, gid, mode] = (probe?.stdout ?? '').trim().split(' ');
      const want = `${d.uid}:${d.gid} mode ${d.mode}`;
      if (kind === 'absent') return { summary: `create directory ${d.path} (owner ${want})` };
      if (kind !== 'dir') throw new Error(`${d.path} exists and is not a directory: move it away first`);
      const have = `${uid}:${gid} mode ${(mode ?? '').padStart(4, '0')}`;
      return have === want ? null : { summary: `update ${d.path}: ${have} → ${want}` };
    },
    async apply(ctx) {
      assertOk(await ctx.conn.run(`mkdir -p ${p} && chown ${d.uid}:${d.gid} ${p} && chmod 0${d.mode} ${p}`), `preparing ${d.path}`);
    },
  };
}

const part = (v: V, p: Profile): Step['when'] => () => enabledProfiles(v).includes(p) || `part ${p} is not in stack_profiles`;

export function directorySteps(v: V): Step[] {
  const jf = jellyfinDirs(v);
  const media = part(v, 'media');
  const photos = part(v, 'photos');
  const proxy = part(v, 'proxy');
  return [
    directory({ title: `Compose project directory ${v.compose_dir}`, path: v.compose_dir, owner: 'root', group: 'root', mode: '0750', tags: ['directories'] }),
    // Jellyfin runs as jellyfin_uid:jellyfin_gid and writes only these two.
    numericDirectory({ title: 'Jellyfin config directory', path: jf.config, uid: v.jellyfin_uid, gid: v.jellyfin_gid, mode: '0750', when: media }),
    numericDirectory({ title: 'Jellyfin cache directory', path: jf.cache, uid: v.jellyfin_uid, gid: v.jellyfin_gid, mode: '0750', when: media }),
    // Existence only: the mount (or its contents) belongs to the user; Jellyfin reads it read-only.
    directory({ title: `Media directory ${v.media_dir}`, path: v.media_dir, tags: ['directories'], when: media }),
    // immich-server runs as root (its image has no USER), so root owns the upload location.
    directory({ title: `Immich upload location ${v.photos_dir}`, path: v.photos_dir, owner: 'root', group: 'root', tags: ['directories'], when: photos }),
    numericDirectory({ title: `Immich database directory ${v.immich_db_dir} (postgres, 0700)`, path: v.immich_db_dir, uid: POSTGRES_UID, gid: POSTGRES_UID, mode: '0700', when: photos }),
    // Existence only: the traefik role fills dynamic/ and certs/ and may set their modes.
    directory({ title: "Traefik's dynamic configuration directory", path: `${v.traefik_dir}/dynamic`, tags: ['directories'], when: proxy }),
    directory({ title: "Traefik's certificate directory", path: `${v.traefik_dir}/certs`, tags: ['directories'], when: proxy }),
    directory({ title: "Traefik's access log directory", path: dirname(v.traefik_access_log), tags: ['directories'], when: proxy }),
  ];
}
