/**
 * Every disk of a host with what the pool decision would say of it: blank, holds data (usable only with --wipe), or
 * in use by the running system (never offered). One round trip: lsblk for size and model, the /dev/disk/by-id names,
 * and the very probe (probe.sh) and decision (judgeDisk) the zfsPool step uses, so the list and the role cannot disagree.
 */
import { assertOk, type Connector } from '../../connectors/connector.ts';
import { cmd } from '../../connectors/shell.ts';
import { PROBE_FUNCTIONS, parsePoolProbe } from './probe.ts';
import { judgeDisk } from './safety.ts';

export const BY_ID_DIR = '/dev/disk/by-id';

export interface ListedDisk {
  /** The device node, e.g. /dev/sdb. */
  device: string;
  /** The preferred /dev/disk/by-id path naming the whole disk, "" when udev gives it none. */
  byId: string;
  size: number;
  model: string;
  serial: string;
  /** blank: used as is; data: needs --wipe; in-use: never offered (holds /, mounted, swap, an imported pool…). */
  state: 'blank' | 'data' | 'in-use';
  /** What it holds or why it is in use; "" when blank. */
  detail: string;
}

export interface ListDisksOptions {
  /** Pool the role will make: a disk of that pool, imported, counts as in use. */
  pool?: string;
  mountpoint?: string;
  byIdDir?: string;
  /** lsblk TYPEs listed (default: disk). */
  types?: string[];
}

const SECTION = '@@msh-list';

export function listDisksScript(o: ListDisksOptions = {}): string {
  const types = (o.types ?? ['disk']).map((t) => `$2 == "${t.replace(/[^a-z]/g, '')}"`).join(' || ');
  const dir = o.byIdDir ?? BY_ID_DIR;
  return [
    PROBE_FUNCTIONS,
    `echo '${SECTION} lsblk'`,
    'lsblk -J -b -d -o NAME,PATH,TYPE,SIZE,MODEL,SERIAL,RO',
    `echo '${SECTION} byid'`,
    `for l in ${cmd(dir)}/*; do [ -L "$l" ] && printf '%s %s\\n' "$l" "$(readlink -f "$l")"; done`,
    `echo '${SECTION} probe'`,
    `msh_pool_probe ${cmd(o.pool ?? 'tank', o.mountpoint ?? '/mnt/tank')} $(lsblk -dn -o PATH,TYPE,SIZE -b | awk '(${types}) && $3 > 0 { print $1 }')`,
  ].join('\n');
}

/** The by-id name to prefer: the bus names people recognise (ata-, nvme-, scsi-, virtio-, usb-) over wwn-/eui. */
function rank(name: string): number {
  if (/^(ata|nvme|scsi|virtio|usb|mmc)-/.test(name) && !/^nvme-(eui|nvme)\./.test(name)) return 0;
  if (/^wwn-/.test(name)) return 1;
  return 2;
}

export function parseDiskList(stdout: string, types: string[] = ['disk']): ListedDisk[] {
  const parts = new Map<string, string>();
  let current = '';
  for (const line of stdout.split('\n')) {
    const m = new RegExp(`^${SECTION} (\\S+)$`).exec(line);
    if (m) {
      current = m[1]!;
      parts.set(current, '');
    } else if (current) parts.set(current, `${parts.get(current)}${line}\n`);
  }
  const raw = JSON.parse(parts.get('lsblk') || '{}') as { blockdevices?: { path?: string; name?: string; type?: string; size?: number | string; model?: string | null; serial?: string | null; ro?: boolean | string }[] };
  const byId = new Map<string, string[]>();
  for (const line of (parts.get('byid') ?? '').split('\n')) {
    const [link, target] = line.split(' ');
    if (!link || !target || /-part\d+$/.test(link)) continue;
    byId.set(target, [...(byId.get(target) ?? []), link]);
  }
  const probe = parsePoolProbe(parts.get('probe') ?? '');
  const out: ListedDisk[] = [];
  for (const d of raw.blockdevices ?? []) {
    const device = d.path ?? `/dev/${d.name}`;
    const size = Number(d.size ?? 0);
    if (!types.includes(d.type ?? '') || size === 0 || d.ro === true || d.ro === '1') continue;
    const names = (byId.get(device) ?? []).sort((a, b) => rank(a.split('/').pop()!) - rank(b.split('/').pop()!) || a.localeCompare(b));
    const probed = probe.disks.find((p) => p.path === device);
    const base = { device, byId: names[0] ?? '', size, model: (d.model ?? '').trim(), serial: (d.serial ?? '').trim() };
    if (!probed) {
      out.push({ ...base, state: 'in-use', detail: 'was not inspected' });
      continue;
    }
    // Naming the disk in --wipe turns "holds data" into a wipe verdict; anything still refused is in use or unreadable.
    const verdict = judgeDisk(probed, { wipe: [device], imported: probe.imported, importable: probe.importable });
    if (verdict.kind === 'ok') out.push({ ...base, state: 'blank', detail: '' });
    else if (verdict.kind === 'wipe') out.push({ ...base, state: 'data', detail: verdict.holds });
    else out.push({ ...base, state: 'in-use', detail: verdict.reason });
  }
  return out;
}

export async function listDisks(conn: Connector, o: ListDisksOptions = {}): Promise<ListedDisk[]> {
  const res = assertOk(await conn.run(listDisksScript(o), { become: true }), 'listing the disks');
  return parseDiskList(res.stdout, o.types);
}
