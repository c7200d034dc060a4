/** The zfs role's decisions from its variables and the host's facts: pure functions, tested on their own. */
import { parsePveVersion } from '../../lib/facts/pve-version.ts';
import { parseIPv4 } from '../../lib/net/cidr.ts';
import { MIN_DISKS, type PoolLayout } from '../../lib/modules/zfs-pool.ts';
import { parseSize } from '../../lib/modules/zfs-dataset.ts';
import { formatBytes } from '../../lib/modules/disks/safety.ts';
import type { defaults } from './defaults.ts';

type V = typeof defaults;

export const BY_ID = '/dev/disk/by-id/';
export const SNAPSHOT_KINDS = ['frequently', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
const LAYOUTS = ['auto', 'single', 'stripe', 'mirror', 'raidz1', 'raidz2', 'raidz3'];
const SHARE = ['auto', 'virtiofs', 'nfs', 'none'];
const MIB = 2 ** 20;
/** ZFS ignores a zfs_arc_max below 64 MiB. */
const ARC_MIN = 64 * MIB;
const ARC_AUTO_CAP = 4096 * MIB;

/** auto: one disk as is, two mirrored, three or more in raidz1 (one disk's worth of parity). */
export function poolLayout(setting: string, disks: number): PoolLayout {
  if (setting !== 'auto') return setting as PoolLayout;
  if (disks === 1) return 'single';
  return disks === 2 ? 'mirror' : 'raidz1';
}

/** The ARC limit in bytes: the setting, or 25% of RAM capped at 4 GiB; with how it was chosen, for the plan. */
export function arcMaxBytes(setting: string, memoryMiB: number): { bytes: number; why: string } {
  if (setting !== 'auto') {
    const bytes = parseSize(setting)!;
    if (memoryMiB > 0 && bytes >= memoryMiB * MIB) {
      throw new Error(`zfs_arc_max ${setting} is not below the host's RAM (${formatBytes(memoryMiB * MIB)}): choose a smaller size, or auto`);
    }
    return { bytes, why: `zfs_arc_max ${setting}` };
  }
  const quarter = Math.floor(memoryMiB / 4) * MIB;
  const bytes = Math.max(ARC_MIN, Math.min(quarter, ARC_AUTO_CAP));
  const why = `25% of ${formatBytes(memoryMiB * MIB)} RAM${quarter > ARC_AUTO_CAP ? ', capped at 4 GiB' : ''}`;
  return { bytes, why };
}

/** Directory mappings for virtiofs came with Proxmox VE 8.4. */
export function hasDirectoryMappings(pveversion: string): boolean {
  const v = parsePveVersion(pveversion);
  return v !== undefined && (v.major > 8 || (v.major === 8 && v.minor >= 4));
}

export type ShareMethod = 'virtiofs' | 'nfs' | 'none';

/** How the datasets reach the VM on this host: from the setting and what the host's Proxmox VE can do. */
export function shareMethod(setting: string, pveversion: string): { method: ShareMethod; why: string } | { error: string } {
  if (setting === 'none') return { method: 'none', why: 'zfs_share is none' };
  if (!parsePveVersion(pveversion)) {
    return setting === 'auto' ? { method: 'none', why: 'not a Proxmox VE host (no pveversion)' } : { error: `zfs_share is ${setting}, but this host is not a Proxmox VE host (pveversion gives no version)` };
  }
  const mappings = hasDirectoryMappings(pveversion);
  const version = pveversion.split(' ')[0];
  if (setting === 'virtiofs' && !mappings) return { error: `zfs_share is virtiofs, but ${version} has no directory mappings (they came with Proxmox VE 8.4): upgrade, or use nfs or auto` };
  if (setting === 'nfs') return { method: 'nfs', why: 'zfs_share is nfs' };
  return mappings ? { method: 'virtiofs', why: `${version} has directory mappings` } : { method: 'nfs', why: `${version} predates directory mappings (8.4)` };
}

/** The Proxmox directory-mapping id of a dataset: tank/media → tank-media. */
export function mappingId(pool: string, dataset: string): string {
  return `${pool}-${dataset.replaceAll('/', '-')}`;
}

/** Where a dataset is mounted: its own mountpoint property, or below the pool's. */
export function datasetMountpoint(root: string, name: string, props: Record<string, string>): string {
  return props['mountpoint'] ?? `${root}/${name}`;
}

/** A dataset's properties as strings (YAML may give numbers or booleans). */
export function datasetProperties(v: V, name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(v.zfs_datasets[name] ?? {}).map(([k, val]) => [k, String(val)]));
}

/** Datasets in creation order: parents before children. */
export function datasetNames(v: V): string[] {
  return Object.keys(v.zfs_datasets).sort();
}

type Invalid = { key: keyof V & string; message: string; fix: string } | undefined;

export function validateZfs(v: V): Invalid {
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(v.zfs_pool) || /^(mirror|raidz|draid|spare|c[0-9])/.test(v.zfs_pool) || v.zfs_pool === 'log') {
    return { key: 'zfs_pool', message: `"${v.zfs_pool}" is not a usable pool name`, fix: 'a letter, then letters, digits, - or _ (not mirror…, raidz…, draid…, spare…, log)' };
  }
  const disks = v.zfs_disks as unknown;
  if (!Array.isArray(disks) || disks.length === 0) {
    return { key: 'zfs_disks', message: 'no disks are listed for the pool', fix: 'list the pool\'s disks by id, e.g. [/dev/disk/by-id/ata-WDC_WD40EFRX-68N32N0_WD-XXXX]: see ls -l /dev/disk/by-id/ on the Proxmox host' };
  }
  for (const d of disks) {
    if (typeof d !== 'string' || !d.startsWith(BY_ID) || d.length === BY_ID.length || d.slice(BY_ID.length).includes('/')) {
      return { key: 'zfs_disks', message: `"${String(d)}" is not a /dev/disk/by-id/ path`, fix: 'name each disk by its id (ls -l /dev/disk/by-id/), not /dev/sdX, which can change between boots' };
    }
    if (/-part\d+$/.test(d)) return { key: 'zfs_disks', message: `"${d}" is a partition`, fix: 'name whole disks: ZFS partitions them itself' };
  }
  const dup = disks.find((d, i) => disks.indexOf(d) !== i);
  if (dup) return { key: 'zfs_disks', message: `"${dup}" is listed twice`, fix: 'list each disk once' };
  if (!LAYOUTS.includes(v.zfs_layout)) return { key: 'zfs_layout', message: `"${v.zfs_layout}" is not a layout`, fix: `use one of ${LAYOUTS.join(', ')}` };
  const layout = poolLayout(v.zfs_layout, disks.length);
  if (disks.length < MIN_DISKS[layout] || (layout === 'single' && disks.length > 1)) {
    return {
      key: 'zfs_layout',
      message: `${layout} ${layout === 'single' ? 'takes exactly one disk' : `needs at least ${MIN_DISKS[layout]} disks`}, and zfs_disks lists ${disks.length}`,
      fix: layout === 'single' ? 'use mirror for two disks, or stripe if you really want no redundancy' : 'list more disks, or choose another layout (auto picks one for the number of disks)',
    };
  }
  if (!/^\/[^\s]*[^/\s]$/.test(v.zfs_mountpoint)) return { key: 'zfs_mountpoint', message: `"${v.zfs_mountpoint}" is not an absolute path`, fix: 'e.g. /mnt/tank (no trailing slash, no spaces)' };
  const datasets = validateDatasets(v);
  if (datasets) return datasets;
  const snapshots = validateSnapshots(v);
  if (snapshots) return snapshots;
  if (v.zfs_arc_max !== 'auto') {
    const bytes = parseSize(v.zfs_arc_max);
    if (bytes === undefined || bytes < ARC_MIN) return { key: 'zfs_arc_max', message: `"${v.zfs_arc_max}" is not a size of at least 64M`, fix: 'auto, or a size such as 2G or 3072M (ZFS ignores less than 64M)' };
  }
  if (v.zfs_zed_email !== '' && !/^[A-Za-z0-9._%+-]+(@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)?$/.test(v.zfs_zed_email)) {
    return { key: 'zfs_zed_email', message: `"${v.zfs_zed_email}" is not a mail address`, fix: 'e.g. you@example.org, or root; empty to leave ZED as it is' };
  }
  if (!SHARE.includes(v.zfs_share)) return { key: 'zfs_share', message: `"${v.zfs_share}" is not a way to share`, fix: `use one of ${SHARE.join(', ')}` };
  if (v.vm_ip !== '' && parseIPv4(v.vm_ip) === undefined) return { key: 'vm_ip', message: `"${v.vm_ip}" is not an IPv4 address`, fix: 'the services VM\'s address, e.g. 192.168.1.20' };
  return undefined;
}

function validateDatasets(v: V): Invalid {
  const map = v.zfs_datasets as unknown;
  if (!map || typeof map !== 'object' || Array.isArray(map) || Object.keys(map).length === 0) {
    return { key: 'zfs_datasets', message: 'must map dataset names to their properties', fix: 'e.g. media: {recordsize: 1M} and appdata: {} (one per line)' };
  }
  for (const [name, props] of Object.entries(map as Record<string, unknown>)) {
    if (!/^[A-Za-z0-9_.:-]+(\/[A-Za-z0-9_.:-]+)*$/.test(name)) return { key: 'zfs_datasets', message: `"${name}" is not a dataset name`, fix: 'letters, digits, _ . : - and / between levels (media/films); without the pool name' };
    if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(mappingId(v.zfs_pool, name))) {
      return { key: 'zfs_datasets', message: `dataset "${name}" would get the Proxmox mapping id "${mappingId(v.zfs_pool, name)}", which Proxmox refuses`, fix: 'use letters, digits, - and _ in names of shared datasets' };
    }
    if (!props || typeof props !== 'object' || Array.isArray(props)) return { key: 'zfs_datasets', message: `${name}: its properties must be a mapping`, fix: `write ${name}: {} for the defaults, or ${name}: {recordsize: 1M}` };
    for (const [k, val] of Object.entries(props as Record<string, unknown>)) {
      if (!/^[a-z][a-z0-9_:.-]*$/.test(k)) return { key: 'zfs_datasets', message: `${name}: "${k}" is not a ZFS property name`, fix: 'e.g. recordsize, compression, quota (see man zfsprops)' };
      if (typeof val !== 'string' && typeof val !== 'number' && typeof val !== 'boolean') return { key: 'zfs_datasets', message: `${name}.${k} must be a single value`, fix: `e.g. ${k}: on` };
      if (String(val) === '' || /[\n\t]/.test(String(val))) return { key: 'zfs_datasets', message: `${name}.${k} is empty or has several lines`, fix: 'give one value' };
      if (k === 'mountpoint' && !/^\/[^\s]*$/.test(String(val))) return { key: 'zfs_datasets', message: `${name}.mountpoint "${String(val)}" is not an absolute path without spaces`, fix: 'e.g. /srv/media, or leave it out to mount below zfs_mountpoint' };
    }
  }
  return undefined;
}

function validateSnapshots(v: V): Invalid {
  const map = v.zfs_snapshots as unknown;
  if (!map || typeof map !== 'object' || Array.isArray(map)) return { key: 'zfs_snapshots', message: 'must map dataset names to snapshot counts', fix: 'e.g. photos: {daily: 30, monthly: 12}' };
  for (const [name, policy] of Object.entries(map as Record<string, unknown>)) {
    if (!(name in v.zfs_datasets)) return { key: 'zfs_snapshots', message: `"${name}" is not one of zfs_datasets (${Object.keys(v.zfs_datasets).join(', ')})`, fix: 'name a dataset of zfs_datasets (if you replaced zfs_datasets, set zfs_snapshots too: its default has policies for appdata, photos and media)' };
    if (!policy || typeof policy !== 'object' || Array.isArray(policy)) return { key: 'zfs_snapshots', message: `${name}: must map kinds to counts`, fix: 'e.g. {daily: 7, monthly: 3}' };
    for (const [kind, n] of Object.entries(policy as Record<string, unknown>)) {
      if (!(SNAPSHOT_KINDS as readonly string[]).includes(kind)) return { key: 'zfs_snapshots', message: `${name}: "${kind}" is not a kind of snapshot`, fix: `use ${SNAPSHOT_KINDS.join(', ')}` };
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) return { key: 'zfs_snapshots', message: `${name}.${kind} must be a whole number (0 or more)`, fix: `e.g. ${kind}: 7` };
    }
  }
  return undefined;
}
