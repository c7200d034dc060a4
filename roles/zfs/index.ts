import { defineRole, type RoleFlags } from '../../lib/api/role.ts';
import type { Handler, Step } from '../../lib/api/step.ts';
import { assertOk } from '../../lib/connectors/connector.ts';
import { apt, blockInFile, directory, file, lineInFile, restartService, service } from '../../lib/modules/index.ts';
import { zfsDataset } from '../../lib/modules/zfs-dataset.ts';
import { zfsPool } from '../../lib/modules/zfs-pool.ts';
import { arcLimit } from './arc.ts';
import { defaults, docs } from './defaults.ts';
import { monthlyScrub } from './scrub.ts';
import { datasetMountpoint, datasetNames, datasetProperties, mappingId, poolLayout, validateZfs } from './settings.ts';
import { directoryMappings, sharedBy, sharingMethodCheck } from './sharing.ts';
import { exportLines } from './templates/exports.ts';
import { SANOID_CONF, sanoidConf } from './templates/sanoid.ts';
import { verifyZfs } from './verify.ts';

type V = typeof defaults;

/** Set on the pool's root dataset at creation, inherited by every dataset (DESIGN.md, Storage). */
export const ROOT_PROPERTIES = { compression: 'lz4', atime: 'off', xattr: 'sa' };
export const POOL_PROPERTIES = { ashift: '12' };
const ZED_RC = '/etc/zfs/zed.d/zed.rc';

/** The --wipe values of this run, as a list. */
export function wipeFlag(flags: RoleFlags): string[] {
  const w = flags['wipe'];
  return Array.isArray(w) ? w : typeof w === 'string' ? [w] : [];
}

function storageSteps(v: V, wipe: string[]): Step[] {
  const root = { ...ROOT_PROPERTIES, mountpoint: v.zfs_mountpoint };
  return [
    apt({ title: 'ZFS tools', packages: ['zfsutils-linux'], tags: ['pool', 'packages'] }),
    zfsPool({
      title: `Pool ${v.zfs_pool}`,
      tags: ['pool'],
      name: v.zfs_pool,
      layout: poolLayout(v.zfs_layout, v.zfs_disks.length),
      disks: v.zfs_disks,
      poolProperties: POOL_PROPERTIES,
      filesystemProperties: root,
      wipe,
    }),
    zfsDataset({ title: `Pool ${v.zfs_pool}: compression, atime, xattr, mount point`, tags: ['datasets'], name: v.zfs_pool, properties: root, create: false }),
    ...datasetNames(v).map((d) => zfsDataset({ title: `Dataset ${v.zfs_pool}/${d}`, tags: ['datasets'], name: `${v.zfs_pool}/${d}`, properties: datasetProperties(v, d) })),
    arcLimit(v.zfs_arc_max),
  ];
}

function snapshotSteps(v: V): Step[] {
  return [
    apt({ title: 'sanoid', packages: ['sanoid'], tags: ['snapshots', 'packages'] }),
    directory({ title: 'sanoid configuration directory', path: '/etc/sanoid', mode: '0755', tags: ['snapshots'] }),
    file({ title: 'sanoid snapshot policies', path: SANOID_CONF, content: sanoidConf(v.zfs_pool, datasetNames(v), v.zfs_snapshots), mode: '0644', tags: ['snapshots'] }),
    service({ title: 'sanoid timer enabled', name: 'sanoid.timer', enabled: true, state: 'started', tags: ['snapshots'] }),
    monthlyScrub(v.zfs_pool),
  ];
}

function zedSteps(v: V): Step[] {
  const when = () => v.zfs_zed_email !== '' || 'zfs_zed_email is empty (zed.rc left as shipped)';
  return [
    apt({ title: 'ZFS event daemon', packages: ['zfs-zed'], tags: ['zed', 'packages'], when }),
    lineInFile({ title: `ZFS events mailed to ${v.zfs_zed_email || '(nobody)'}`, path: ZED_RC, line: `ZED_EMAIL_ADDR="${v.zfs_zed_email}"`, regexp: /^#?\s*ZED_EMAIL_ADDR=/, tags: ['zed'], when, notify: ['restart zfs-zed'] }),
  ];
}

function sharingSteps(v: V): Step[] {
  const shared = datasetNames(v).map((d) => ({ dataset: d, path: datasetMountpoint(v.zfs_mountpoint, d, datasetProperties(v, d)) }));
  const nfs = sharedBy(v.zfs_share, 'nfs');
  return [
    sharingMethodCheck(v.zfs_share, v.vm_ip),
    directoryMappings(
      shared.map((s) => ({ id: mappingId(v.zfs_pool, s.dataset), path: s.path })),
      sharedBy(v.zfs_share, 'virtiofs'),
    ),
    apt({ title: 'NFS server', packages: ['nfs-kernel-server'], tags: ['sharing', 'packages'], when: nfs }),
    blockInFile({
      title: `NFS exports for the VM (${v.vm_ip || 'vm_ip not set'})`,
      path: '/etc/exports',
      marker: `zfs ${v.zfs_pool}`,
      block: exportLines(shared.map((s) => ({ path: s.path, client: v.vm_ip }))),
      create: true,
      tags: ['sharing'],
      when: nfs,
      notify: ['reload NFS exports'],
    }),
    service({ title: 'NFS server running', name: 'nfs-server', enabled: true, state: 'started', tags: ['sharing'], when: nfs }),
  ];
}

export const zfs = defineRole({
  name: 'zfs',
  description: 'ZFS pool and datasets on the Proxmox host, ARC limit, sanoid snapshots, monthly scrub, shares for the VM',
  hosts: 'pve',
  defaults,
  docs,
  validate: validateZfs,
  flags: [
    {
      name: 'wipe',
      type: 'string',
      multiple: true,
      description: 'Erase this disk of zfs_disks before creating the pool (its by-id name or full path; repeat per disk). Needs --yes too. Never erases a disk in use.',
    },
  ],
  steps: (v, flags) => [...storageSteps(v, wipeFlag(flags)), ...snapshotSteps(v), ...zedSteps(v), ...sharingSteps(v)],
  handlers: (): Handler[] => [
    restartService('zfs-zed'),
    {
      name: 'reload NFS exports',
      run: async (ctx) => {
        assertOk(await ctx.conn.run('exportfs -ra'), 'exportfs -ra');
      },
    },
  ],
  verify: verifyZfs,
});
