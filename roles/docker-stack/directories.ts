/** The stack's directories, with the owners the containers need. */
import { dirname } from 'node:path';
import type { Change, Step } from '../../lib/api/step.ts';
import { assertOk } from '../../lib/connectors/connector.ts';
import { shq } from '../../lib/connectors/shell.ts';
import { directory } from '../../lib/modules/index.ts';
import { ACME_STORAGE_FILE, acmeHostDir } from '../traefik/acme.ts';
import { jellyfinDirs } from './model.ts';
import { enabledProfiles, usesAcme, type Profile, type V } from './settings.ts';

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

/**
 * Traefik's ACME store: created empty at mode 0600 (Traefik fills it), and put back to 0600 when it is looser — Traefik
 * skips the resolver, and serves its default self-signed certificate, when others may read acme.json. Its content (the
 * ACME account key and the certificates) is never read nor changed here.
 */
export function acmeStorageFile(path: string, when?: Step['when']): Step {
  const p = shq(path);
  return {
    title: `Traefik's ACME storage ${path} (0600)`,
    tags: ['directories', 'tls'],
    when,
    probe: `if [ -f ${p} ] && [ ! -L ${p} ]; then stat -c 'file %a' ${p}; elif [ -e ${p} ] || [ -L ${p} ]; then echo other; else echo absent; fi`,
    check(_ctx, probe): Change | null {
      const [kind, mode] = (probe?.stdout ?? '').trim().split(' ');
      if (kind === 'absent') return { summary: `create ${path}, empty, mode 0600 (Traefik keeps its ACME account and certificates there)` };
      if (kind !== 'file') throw new Error(`${path} exists and is not a regular file: move it away first (Traefik makes a new one)`);
      const have = (mode ?? '').padStart(4, '0');
      return have === '0600' ? null : { summary: `update ${path}: mode ${have} → 0600 (Traefik refuses a looser acme.json)` };
    },
    async apply(ctx) {
      assertOk(await ctx.conn.run(`if [ ! -e ${p} ]; then (umask 077 && : > ${p}); fi && chmod 0600 ${p}`), `preparing ${path}`);
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
    // tls_mode acme-dns only (a local-ca plan does not list them): the directory docker-stack mounts at /acme.
    ...(usesAcme(v)
      ? [
          directory({ title: "Traefik's ACME directory (root, 0700)", path: acmeHostDir(v.traefik_dir), owner: 'root', group: 'root', mode: '0700', tags: ['directories', 'tls'], when: proxy }),
          acmeStorageFile(`${acmeHostDir(v.traefik_dir)}/${ACME_STORAGE_FILE}`, proxy),
        ]
      : []),
  ];
}
