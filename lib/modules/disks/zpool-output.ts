/**
 * Reading `zpool status -P -L` and `zpool import` (the listing, without a pool name). Both are text meant for people;
 * the parts read here are stable across OpenZFS 2.x: "pool:"/"state:"/"id:" headers and the config tree below
 * "config:", one device per line, its name the first word.
 */

export interface ImportedPool {
  name: string;
  state: string;
  /** Every device path in the config (data vdevs, logs, cache, spares), resolved by -L: /dev/sdb1, not by-id links. */
  devices: string[];
}

export interface ImportablePool {
  name: string;
  /** The pool's GUID in decimal: `zpool import <id>` picks it when names clash; blkid shows it as a zfs_member's UUID. */
  id: string;
  state: string;
  status: string;
  action: string;
  /** Leaf devices as the listing names them (short names like sdb1 or by-id names, depending on where they were found). */
  devices: string[];
}

/** A grouping line of the config tree, not a device. */
const GROUP = /^(mirror|raidz[123]?|draid[123]?(:\S+)?|spare|replacing|logs|cache|spares|special|dedup|indirect)(-\d+)?$/;

/** Splits text into blocks, one per "pool:" header. */
function poolBlocks(text: string): string[][] {
  const blocks: string[][] = [];
  for (const line of text.split('\n')) {
    if (/^\s*pool:\s/.test(line)) blocks.push([]);
    blocks[blocks.length - 1]?.push(line);
  }
  return blocks;
}

/** Header fields ("  state: ONLINE"), with continuation lines (deeper indented text) joined to the field before. */
function headerFields(lines: string[]): { fields: Map<string, string>; config: string[] } {
  const fields = new Map<string, string>();
  let last = '';
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    const m = /^\s*([a-z]+):\s?(.*)$/.exec(line);
    if (m && m[1] === 'config') {
      i++;
      break;
    }
    if (m) {
      last = m[1]!;
      fields.set(last, m[2]!.trim());
    } else if (last && line.trim()) {
      fields.set(last, `${fields.get(last)} ${line.trim()}`);
    }
  }
  const config: string[] = [];
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s*errors:/.test(line)) break;
    if (line.trim()) config.push(line);
  }
  return { fields, config };
}

export function parseZpoolStatus(text: string): ImportedPool[] {
  return poolBlocks(text).map((block) => {
    const { fields, config } = headerFields(block);
    const devices = config.map((l) => l.trim().split(/\s+/)[0] ?? '').filter((name) => name.startsWith('/'));
    return { name: fields.get('pool') ?? '', state: (fields.get('state') ?? '').split(' ')[0] ?? '', devices };
  });
}

export function parseZpoolImport(text: string): ImportablePool[] {
  return poolBlocks(text).map((block) => {
    const { fields, config } = headerFields(block);
    const name = fields.get('pool') ?? '';
    const words = config.map((l) => l.trim().split(/\s+/)[0] ?? '');
    // The first line of the tree is the pool itself.
    const devices = words.filter((w, i) => !(i === 0 && w === name) && !GROUP.test(w));
    return {
      name,
      id: fields.get('id') ?? '',
      state: (fields.get('state') ?? '').split(' ')[0] ?? '',
      status: fields.get('status') ?? '',
      action: fields.get('action') ?? '',
      devices,
    };
  });
}

/** Whether the listing says this pool can be imported at all, and whether only with -f (last used by another system). */
export function importability(p: ImportablePool): { possible: boolean; needsForce: boolean } {
  const needsForce = /-f'? flag|another system/i.test(`${p.status} ${p.action}`);
  const possible = /can be imported/i.test(p.action) && !/cannot be imported/i.test(p.action);
  return { possible, needsForce };
}
