/**
 * Whether a disk may become part of a new ZFS pool: a pure decision on what the probe found, so it is tested on
 * outputs recorded from real devices. A disk in use by the running system is refused, always. A disk that holds
 * anything (partition table, filesystem, swap, LVM, RAID, LUKS, a ZFS label) is refused unless this run names it with
 * --wipe; then it is wiped (after the run's confirmation) before the pool is created. Only a blank disk is used as is.
 */
import { basename, dirname } from 'node:path';
import { cmd } from '../../connectors/shell.ts';
import { allNodes, type BlockNode, type DiskProbe, type Signature } from './probe.ts';
import type { ImportablePool, ImportedPool } from './zpool-output.ts';

export type DiskVerdict =
  | { kind: 'ok'; path: string; device: string }
  | {
      kind: 'wipe';
      path: string;
      device: string;
      /** What is on it, for the plan: "ext4 filesystem labelled 'data', 2.0 GiB". */
      holds: string;
      /** The commands that clear it, in order: ZFS labels, then each partition's signatures, then the disk's. */
      commands: string[];
    }
  | { kind: 'refuse'; path: string; reason: string; fix: string };

export interface DiskContext {
  /** The --wipe values of this run: full paths or bare names (the last part of the path). */
  wipe: string[];
  /** Pools imported on the host: a disk in one of them is in use. */
  imported: ImportedPool[];
  /** Pools `zpool import` lists: named in the description of a ZFS label. */
  importable: ImportablePool[];
}

/** Whether `--wipe <value>` names this disk: its full path or its last part (the by-id name). */
export function wipeNames(value: string, path: string): boolean {
  return value === path || value === basename(path);
}

export function judgeDisk(disk: DiskProbe, ctx: DiskContext): DiskVerdict {
  const path = disk.path;
  const name = basename(path);
  if (disk.state === 'missing') {
    const others = disk.siblings.filter((s) => !/-part\d+$/.test(s));
    return {
      kind: 'refuse',
      path,
      reason: `${path} does not exist`,
      fix: others.length ? `check the name; the disks in ${dirname(path)} are: ${others.join(', ')}` : `check the name: ${dirname(path)} lists no disk`,
    };
  }
  if (disk.state === 'not-block') {
    return { kind: 'refuse', path, reason: `${path} (${disk.device}) is not a block device`, fix: 'name a disk' };
  }
  const where = `${path} (${disk.device}${disk.tree ? `, ${formatBytes(disk.tree.size)}` : ''})`;
  // In use first: a mounted disk may not even open for wipefs, and "holds /" says more than "cannot inspect".
  const inUse = disk.tree ? useBySystem(disk.tree, ctx.imported) : undefined;
  if (inUse) {
    return {
      kind: 'refuse',
      path,
      reason: `${where} ${inUse}`,
      fix: 'it is in use by the running system, and is never wiped, even with --wipe: choose another disk',
    };
  }
  if (disk.problems.length || !disk.tree) {
    return {
      kind: 'refuse',
      path,
      reason: `cannot tell what ${where} holds: ${disk.problems.join('; ') || 'lsblk gave no answer'}`,
      fix: 'a disk that cannot be inspected is never used: fix the cause (are lsblk and wipefs from util-linux installed?)',
    };
  }

  const holds = describeContent(disk.tree, disk.signatures, ctx.importable);
  if (holds.length === 0) return { kind: 'ok', path, device: disk.device };
  const what = holds.join('; ');
  if (!ctx.wipe.some((w) => wipeNames(w, path))) {
    return {
      kind: 'refuse',
      path,
      reason: `${path} (${disk.device}) holds ${what}`,
      fix: `make sure it holds nothing you need, then rerun with --wipe ${name} --yes to erase it`,
    };
  }
  return { kind: 'wipe', path, device: disk.device, holds: what, commands: wipeCommands(path, disk.tree, disk.signatures) };
}

/** Why the running system uses this disk (mounted, swap, a stacked device, an imported pool), or undefined. */
function useBySystem(tree: BlockNode, imported: ImportedPool[]): string | undefined {
  const nodes = allNodes(tree);
  const on = (n: BlockNode) => (n === tree ? '' : ` (on ${n.path})`);
  const root = nodes.find((n) => n.mountpoints.includes('/'));
  if (root) return `holds / — the running system's root filesystem${on(root)}`;
  const swap = nodes.find((n) => n.mountpoints.includes('[SWAP]'));
  if (swap) return `is in use as swap${on(swap)}`;
  const mounted = nodes.find((n) => n.mountpoints.length > 0);
  if (mounted) return `is mounted at ${mounted.mountpoints.join(', ')}${on(mounted)}`;
  const paths = new Set(nodes.map((n) => n.path));
  const pool = imported.find((p) => p.devices.some((d) => paths.has(d)));
  if (pool) return `is part of the imported ZFS pool '${pool.name}' (${pool.devices.filter((d) => paths.has(d)).join(', ')})`;
  // Devices stacked on it and active: LVM logical volumes, dm-crypt mappings, md arrays.
  const holder = nodes.find((n) => n !== tree && !['part', 'disk', 'loop'].includes(n.type));
  if (holder) return `is in use by the ${holder.type} device ${holder.path}${holder.fstype ? ` (${holder.fstype})` : ''}`;
  return undefined;
}

const PARTITION_TABLES: Record<string, string> = { gpt: 'GPT', dos: 'DOS (MBR)', PMBR: 'protective MBR', atari: 'Atari', bsd: 'BSD', sun: 'Sun', sgi: 'SGI', mac: 'Mac' };

/** What a disk holds, in words ("ext4 filesystem labelled 'data', 2.0 GiB"), one phrase per thing; empty when blank. */
export function describeContent(tree: BlockNode, signatures: Signature[], importable: ImportablePool[]): string[] {
  const onDisk = signatures.filter((s) => s.device === tree.path);
  const types = new Set(onDisk.map((s) => s.type));
  const parts = tree.children.filter((c) => c.type === 'part');
  const phrases: string[] = [];

  // A GPT disk shows "gpt" (twice: primary and backup header) and "PMBR": one partition table.
  const tableType = [...types].find((t) => t in PARTITION_TABLES && t !== 'PMBR') ?? (types.has('PMBR') ? 'PMBR' : (tree.pttype ?? undefined));
  if (tableType || parts.length) {
    const partText = parts.map((p) => {
      const inside = describeSignatures(signatures.filter((s) => s.device === p.path), importable);
      if (inside.length === 0 && p.fstype) inside.push(`${p.fstype} (as udev reports it)`);
      return `${p.path}, ${formatBytes(p.size)}${inside.length ? `: ${inside.join(', ')}` : ''}`;
    });
    const table = `${PARTITION_TABLES[tableType ?? ''] ?? tableType ?? 'unrecognised'} partition table`;
    phrases.push(parts.length ? `${table} with ${parts.length === 1 ? '1 partition' : `${parts.length} partitions`} (${partText.join('; ')})` : `${table}, ${formatBytes(tree.size)}`);
  }
  const rest = onDisk.filter((s) => !(s.type in PARTITION_TABLES));
  phrases.push(...describeSignatures(rest, importable).map((p) => `${p}, ${formatBytes(tree.size)}`));
  // lsblk's FSTYPE comes from udev's database, wipefs reads the disk: either one is enough to refuse.
  if (phrases.length === 0 && tree.fstype) phrases.push(`${tree.fstype} (as udev reports it), ${formatBytes(tree.size)}`);
  return phrases;
}

function describeSignatures(sigs: Signature[], importable: ImportablePool[]): string[] {
  const phrases = sigs.map((s) => describeSignature(s, importable));
  return [...new Set(phrases)];
}

const FILESYSTEMS = new Set(['ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'vfat', 'exfat', 'ntfs', 'f2fs', 'jfs', 'reiserfs', 'iso9660', 'udf', 'hfsplus', 'apfs']);

function describeSignature(s: Signature, importable: ImportablePool[]): string {
  const label = s.label ? ` labelled '${s.label}'` : '';
  if (FILESYSTEMS.has(s.type)) return `${s.type} filesystem${label}`;
  switch (s.type) {
    case 'swap':
      return `swap space${label}`;
    case 'LVM2_member':
      return 'LVM physical volume';
    case 'linux_raid_member':
      return `Linux RAID (md) member${s.label ? ` of array '${s.label}'` : ''}`;
    case 'crypto_LUKS':
      return `LUKS encrypted volume${label}`;
    case 'zfs_member': {
      const pool = importable.find((p) => p.name === s.label && (!s.uuid || p.id === s.uuid));
      const state = pool ? 'exported: `zpool import` lists it' : 'not importable: destroyed or incomplete';
      return `ZFS pool label${s.label ? ` of pool '${s.label}'` : ''} (${state})`;
    }
    default:
      return `${s.type} signature${label}`;
  }
}

/** Clears a disk: `zpool labelclear` where ZFS labels are (wipefs alone leaves copies of them), then signatures. */
function wipeCommands(path: string, tree: BlockNode, signatures: Signature[]): string[] {
  const zfs = [...new Set(signatures.filter((s) => s.type === 'zfs_member').map((s) => (s.device === tree.path ? path : s.device)))];
  const parts = allNodes(tree).filter((n) => n.type === 'part').map((n) => n.path).reverse();
  return [...zfs.map((d) => cmd('zpool', 'labelclear', '-f', d)), ...parts.map((p) => cmd('wipefs', '-a', p)), cmd('wipefs', '-a', path)];
}

/** 67108864 → "64.0 MiB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}
