import { commandSucceeds, fileContains, outputMatches, type VerifyCheck } from '../../lib/api/verify.ts';
import { cmd, shq } from '../../lib/connectors/shell.ts';
import { parseSize, propertyChanges } from '../../lib/modules/zfs-dataset.ts';
import type { defaults } from './defaults.ts';
import { datasetMountpoint, datasetNames, datasetProperties, mappingId } from './settings.ts';
import { SANOID_CONF } from './templates/sanoid.ts';
import { SCRUB_CRON, scrubTimer } from './scrub.ts';
import { ZFS_MODPROBE_CONF } from './templates/modprobe.ts';

type V = typeof defaults;

/** `zfs get -H -p -o property,value` output as a map. */
function values(stdout: string): Map<string, string> {
  return new Map(stdout.split('\n').filter(Boolean).map((l) => l.split('\t') as [string, string]));
}

function datasetCheck(name: string, want: Record<string, string>, mountpoint: string): VerifyCheck {
  return {
    title: `${name} exists, is mounted at ${mountpoint}, has ${Object.entries(want).map(([k, v]) => `${k}=${v}`).join(', ') || 'the default properties'}`,
    script: `zfs get -H -p -o property,value ${cmd(['mounted', 'mountpoint', ...Object.keys(want)].join(','), name)}`,
    expect: (r) => {
      if (r.code !== 0) return `zfs get failed: ${(r.stderr || r.stdout).trim()}`;
      const got = values(r.stdout);
      const drift = propertyChanges({ ...want, mounted: 'yes', mountpoint }, got);
      return drift.length ? drift.map((c) => `${c.property} is ${c.from}, not ${c.to}`).join('; ') : undefined;
    },
  };
}

export function verifyZfs(v: V): VerifyCheck[] {
  const pool = v.zfs_pool;
  const props = (d: string) => datasetProperties(v, d);
  const shared = datasetNames(v).map((d) => ({ id: mappingId(pool, d), path: datasetMountpoint(v.zfs_mountpoint, d, props(d)) }));
  const checks: VerifyCheck[] = [
    outputMatches(`pool ${pool} is ONLINE`, cmd('zpool', 'list', '-H', '-o', 'health', pool), /^ONLINE$/m),
    datasetCheck(pool, { compression: 'lz4', atime: 'off', xattr: 'sa' }, v.zfs_mountpoint),
    ...datasetNames(v).map((d) => datasetCheck(`${pool}/${d}`, props(d), datasetMountpoint(v.zfs_mountpoint, d, props(d)))),
    {
      title: 'the live zfs_arc_max is the one in /etc/modprobe.d/zfs.conf',
      script: `cat /sys/module/zfs/parameters/zfs_arc_max; sed -n 's/^options zfs .*zfs_arc_max=\\([0-9]*\\).*/\\1/p' ${ZFS_MODPROBE_CONF}`,
      expect: (r) => {
        const [live = '', configured = ''] = r.stdout.trim().split('\n');
        if (!configured) return `${ZFS_MODPROBE_CONF} sets no zfs_arc_max`;
        if (live !== configured) return `live zfs_arc_max is ${live}, ${ZFS_MODPROBE_CONF} says ${configured}`;
        if (v.zfs_arc_max !== 'auto' && Number(live) !== parseSize(v.zfs_arc_max)) return `zfs_arc_max is ${live}, not ${v.zfs_arc_max}`;
        return undefined;
      },
    },
    // --readonly: reads the configuration and decides, takes and prunes nothing (sanoid 2.1 has no --configcheck).
    commandSucceeds('sanoid accepts its configuration', `test -s ${SANOID_CONF} && sanoid --configdir=/etc/sanoid --readonly --take-snapshots`),
    outputMatches('sanoid.timer is enabled', 'systemctl is-enabled sanoid.timer', /^enabled$/m),
    outputMatches(
      'a monthly scrub is scheduled',
      `if grep -Eq '^[^#].*zfs-linux/scrub' ${SCRUB_CRON} 2>/dev/null; then echo cron; else systemctl is-enabled ${shq(scrubTimer(pool))}; fi`,
      /^(cron|enabled)$/m,
    ),
    {
      title: `each dataset is shared with the VM (mappings ${shared.map((s) => s.id).join(', ')}, or NFS exports)`,
      script: 'pvesh get /cluster/mapping/dir --output-format json 2>/dev/null; echo; echo @@exports; exportfs -s 2>/dev/null || cat /etc/exports 2>/dev/null; true',
      skipUnless: { script: `command -v pveversion >/dev/null && [ ${shq(v.zfs_share)} != none ]`, reason: 'not a Proxmox VE host, or zfs_share is none' },
      expect: (r) => {
        const [mappingText = '', exportsText = ''] = r.stdout.split('@@exports');
        let mappings: { id?: string; map?: string[] }[] = [];
        try {
          mappings = JSON.parse(mappingText.trim() || '[]');
        } catch {
          mappings = [];
        }
        const missing = shared.filter(
          (s) =>
            !mappings.some((m) => m.id === s.id && (m.map ?? []).some((e) => e.split(',').includes(`path=${s.path}`))) &&
            !exportsText.split('\n').some((l) => l.trim().split(/\s+/)[0] === s.path),
        );
        return missing.length ? `not shared: ${missing.map((s) => `${s.id} (${s.path})`).join(', ')}` : undefined;
      },
    },
  ];
  if (v.zfs_zed_email) checks.push(fileContains('/etc/zfs/zed.d/zed.rc', `ZED_EMAIL_ADDR="${v.zfs_zed_email}"`));
  return checks;
}
