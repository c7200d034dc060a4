/** Runs and reads lib/modules/disks/probe.sh: what a host says about a ZFS pool and the disks meant for it. */
import { readFileSync } from 'node:fs';
import { cmd } from '../../connectors/shell.ts';
import { parseZpoolImport, parseZpoolStatus, type ImportablePool, type ImportedPool } from './zpool-output.ts';

/** The shell functions, shared with test/fixtures/disks/record.sh so fixtures are recorded with exactly this code. */
export const PROBE_FUNCTIONS = readFileSync(new URL('./probe.sh', import.meta.url), 'utf8');

/** A read-only probe snippet: the pool's state, the mount point's, and every disk's. */
export function poolProbeScript(pool: string, mountpoint: string, disks: string[]): string {
  return `${PROBE_FUNCTIONS}\nmsh_pool_probe ${cmd(pool, mountpoint, ...disks)}`;
}

/** One node of `lsblk -J -b` output: a disk, a partition, or a device stacked on them (LVM, dm-crypt, md…). */
export interface BlockNode {
  name: string;
  path: string;
  type: string;
  size: number;
  fstype: string | null;
  label: string | null;
  pttype: string | null;
  mountpoints: string[];
  children: BlockNode[];
}

/** One signature as `wipefs -J -n` reports it. */
export interface Signature {
  /** The device it was found on (full path). */
  device: string;
  offset: string;
  type: string;
  uuid: string | null;
  label: string | null;
}

export type DiskProbe =
  | { path: string; state: 'missing'; /** Entries of the directory the path names, e.g. the by-id names. */ siblings: string[] }
  | { path: string; state: 'not-block'; device: string }
  | {
      path: string;
      state: 'present';
      /** The device node the path resolves to, e.g. /dev/sdb. */
      device: string;
      tree: BlockNode | null;
      /** Signatures found on the device and on each of its partitions. */
      signatures: Signature[];
      /** Commands that failed or gave unreadable output: the disk cannot be judged. */
      problems: string[];
    };

export interface PoolProbe {
  /** Whether the zpool command exists. */
  zpool: boolean;
  /** Every imported pool, from `zpool status -P -L` (device paths resolved). */
  imported: ImportedPool[];
  /** The wanted pool is imported. */
  poolImported: boolean;
  /** Pools `zpool import` lists (only asked when the wanted pool is not imported). */
  importable: ImportablePool[];
  /** Commands about pools that failed. */
  problems: string[];
  mountpoint: 'absent' | 'empty' | 'nonempty' | 'notdir';
  disks: DiskProbe[];
}

const MARK = /^@@msh-disk (\S+)(?: (.*))?$/;

interface Section {
  kind: string;
  arg: string;
  body: string[];
}

function sections(stdout: string): Section[] {
  const out: Section[] = [];
  for (const line of stdout.split('\n')) {
    const m = MARK.exec(line);
    if (m) out.push({ kind: m[1]!, arg: m[2] ?? '', body: [] });
    else out[out.length - 1]?.body.push(line);
  }
  return out;
}

/** "rc=0" → 0 (a missing rc counts as a failure). */
function rcOf(arg: string): number {
  const m = /(?:^| )rc=(\d+)$/.exec(arg);
  return m ? Number(m[1]) : -1;
}

const text = (body: string[]) => body.join('\n').trim();

type PresentDisk = Extract<DiskProbe, { state: 'present' }>;

export function parsePoolProbe(stdout: string): PoolProbe {
  const probe: PoolProbe = { zpool: false, imported: [], poolImported: false, importable: [], problems: [], mountpoint: 'absent', disks: [] };
  // The disk whose sections are being read; null after "missing" or "notblock".
  let disk: PresentDisk | null = null;
  for (const s of sections(stdout)) {
    const body = text(s.body);
    const rc = rcOf(s.arg);
    switch (s.kind) {
      case 'zpool':
        probe.zpool = s.arg === 'present';
        break;
      case 'zpool-status':
        if (rc === 0) probe.imported = parseZpoolStatus(body);
        else probe.problems.push(`zpool status failed: ${body || `exit ${rc}`}`);
        break;
      case 'pool':
        probe.poolImported = s.arg === 'imported';
        break;
      case 'zpool-import':
        // Exit 1 with "no pools available to import" is the normal answer when there is nothing to import.
        probe.importable = parseZpoolImport(body);
        if (rc !== 0 && probe.importable.length === 0 && !/no pools available/i.test(body)) {
          probe.problems.push(`zpool import (listing importable pools) failed: ${body || `exit ${rc}`}`);
        }
        break;
      case 'mountpoint':
        probe.mountpoint = s.arg as PoolProbe['mountpoint'];
        break;
      case 'disk':
        disk = { path: s.arg, state: 'present', device: '', tree: null, signatures: [], problems: [] };
        probe.disks.push(disk);
        break;
      case 'missing':
        if (disk) probe.disks[probe.disks.length - 1] = { path: disk.path, state: 'missing', siblings: s.body.map((l) => l.trim()).filter(Boolean) };
        disk = null;
        break;
      case 'notblock':
        if (disk) probe.disks[probe.disks.length - 1] = { path: disk.path, state: 'not-block', device: disk.device };
        disk = null;
        break;
      case 'device':
        if (disk) disk.device = s.arg;
        break;
      case 'lsblk':
        if (!disk) break;
        if (rc !== 0) disk.problems.push(`lsblk ${disk.device} failed: ${body || `exit ${rc}`}`);
        else {
          try {
            disk.tree = parseLsblk(body);
          } catch (e) {
            disk.problems.push(`cannot read lsblk's output for ${disk.device}: ${(e as Error).message}`);
          }
        }
        break;
      case 'wipefs': {
        if (!disk) break;
        const device = s.arg.replace(/ rc=-?\d+$/, '');
        if (rc !== 0) disk.problems.push(`wipefs -n ${device} failed: ${body || `exit ${rc}`}`);
        else {
          try {
            disk.signatures.push(...parseWipefs(body, device));
          } catch (e) {
            disk.problems.push(`cannot read wipefs's output for ${device}: ${(e as Error).message}`);
          }
        }
        break;
      }
    }
  }
  return probe;
}

interface RawLsblk {
  name?: unknown;
  path?: unknown;
  type?: unknown;
  size?: unknown;
  fstype?: unknown;
  label?: unknown;
  pttype?: unknown;
  mountpoints?: unknown;
  mountpoint?: unknown;
  children?: unknown;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function toNode(raw: RawLsblk): BlockNode {
  const mps = Array.isArray(raw.mountpoints) ? raw.mountpoints : [raw.mountpoint];
  return {
    name: str(raw.name) ?? '',
    path: str(raw.path) ?? (str(raw.name) ? `/dev/${str(raw.name)}` : ''),
    type: str(raw.type) ?? '',
    // Older lsblk prints numbers as strings.
    size: Number(raw.size ?? 0) || 0,
    fstype: str(raw.fstype),
    label: str(raw.label),
    pttype: str(raw.pttype),
    mountpoints: mps.filter((m): m is string => typeof m === 'string' && m !== ''),
    children: Array.isArray(raw.children) ? (raw.children as RawLsblk[]).map(toNode) : [],
  };
}

export function parseLsblk(json: string): BlockNode {
  const data = JSON.parse(json) as { blockdevices?: RawLsblk[] };
  const first = data.blockdevices?.[0];
  if (!first) throw new Error('no block device in the output');
  return toNode(first);
}

/** `wipefs -J -n` output; an empty output (older util-linux with nothing found) means no signatures. */
export function parseWipefs(json: string, device: string): Signature[] {
  if (json.trim() === '') return [];
  const data = JSON.parse(json) as { signatures?: { offset?: unknown; type?: unknown; uuid?: unknown; label?: unknown }[] };
  return (data.signatures ?? []).map((s) => ({ device, offset: str(s.offset) ?? '', type: str(s.type) ?? '', uuid: str(s.uuid), label: str(s.label) }));
}

/** Every node of a tree, the root first. */
export function allNodes(node: BlockNode): BlockNode[] {
  return [node, ...node.children.flatMap(allNodes)];
}
