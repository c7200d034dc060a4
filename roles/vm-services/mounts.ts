/** The pool's datasets in the VM: /etc/fstab lines (virtiofs or NFS) and the mounts, or plain local directories. */
import type { Change, ProbeResult, Step, StepContext } from '../../lib/api/step.ts';
import { assertOk } from '../../lib/connectors/connector.ts';
import { cmd, shq } from '../../lib/connectors/shell.ts';
import { apt, blockInFile } from '../../lib/modules/index.ts';
import { datasetMountpoint, datasetNames, datasetProperties, mappingId } from '../zfs/settings.ts';
import type { guestDefaults } from './defaults.ts';
import type { Notes } from './notes.ts';
import { guestShareMethod, sharesNothing, type GuestShare } from './settings.ts';

type V = typeof guestDefaults;
type ZfsVars = Parameters<typeof datasetNames>[0];

export const FSTAB = '/etc/fstab';
const MARKER = 'vm-services datasets';

export interface SharedDataset {
  /** The Proxmox directory-mapping id, which is the virtiofs tag: <pool>-<dataset>. */
  tag: string;
  /** Where the dataset is mounted on the Proxmox host, and at the same path in the VM. */
  path: string;
}

export function sharedDatasets(v: Pick<V, 'zfs_pool' | 'zfs_datasets' | 'zfs_mountpoint'>): SharedDataset[] {
  const z = v as unknown as ZfsVars;
  return datasetNames(z).map((d) => ({ tag: mappingId(v.zfs_pool, d), path: datasetMountpoint(v.zfs_mountpoint, d, datasetProperties(z, d)) }));
}

/** The fstab lines: nofail, so that a missing share never keeps the VM from booting. */
export function fstabLines(method: Exclude<GuestShare, 'none'>, datasets: SharedDataset[], nfsServer: string): string[] {
  return datasets.map((d) =>
    method === 'virtiofs' ? `${d.tag} ${d.path} virtiofs defaults,nofail 0 0` : `${nfsServer}:${d.path} ${d.path} nfs defaults,_netdev,nofail 0 0`,
  );
}

/** What is mounted at a path (findmnt's SOURCE and FSTYPE), and whether it is the wanted share. */
export function mountState(found: string, method: Exclude<GuestShare, 'none'>, d: SharedDataset, nfsServer: string): 'mounted' | 'absent' | string {
  const [source = '', fstype = ''] = found.trim().split(/\s+/);
  if (!found.trim()) return 'absent';
  const right = method === 'virtiofs' ? fstype === 'virtiofs' && source === d.tag : fstype.startsWith('nfs') && source === `${nfsServer}:${d.path}`;
  return right ? 'mounted' : `${source} (${fstype})`;
}

/** The probe's output: the count of virtio-fs devices (virtio device id 26), nfs-common's state, mounts, then fstab. */
function probeScript(datasets: SharedDataset[], fstabProbe: string): string {
  return [
    'echo "@@virtiofs $(grep -lx 0x001a /sys/bus/virtio/devices/*/device 2>/dev/null | wc -l)"',
    `echo "@@nfs-common $(dpkg-query -W -f='\${db:Status-Abbrev}' nfs-common 2>/dev/null)"`,
    ...datasets.map((d, i) => `echo "@@mount${i} $(findmnt -n -o SOURCE,FSTYPE --mountpoint ${shq(d.path)} 2>/dev/null | head -n 1)"`),
    'echo @@fstab',
    fstabProbe,
  ].join('\n');
}

function parseProbe(stdout: string): { head: Map<string, string>; fstab: string } {
  const at = stdout.indexOf('@@fstab\n');
  const head = new Map(
    stdout
      .slice(0, Math.max(at, 0))
      .split('\n')
      .map((l) => /^@@([a-z0-9-]+) ?(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!] as const),
  );
  return { head, fstab: at >= 0 ? stdout.slice(at + '@@fstab\n'.length) : '' };
}

interface MountChange extends Change {
  method: GuestShare;
  fstab: Change | null;
  installNfs: boolean;
  mount: string[];
  remount: { path: string; now: string }[];
}

/**
 * fstab and mounts of the datasets. With vm_share none (or nothing shared), the role's fstab block is removed and the
 * paths stay plain directories on the VM's disk, which the role notes.
 */
export function datasetMounts(v: V, notes: Notes): Step {
  const datasets = sharedDatasets(v);
  const absentBlock = blockInFile({ path: FSTAB, marker: MARKER, block: '', state: 'absent' });
  const presentBlock = (method: Exclude<GuestShare, 'none'>) => blockInFile({ path: FSTAB, marker: MARKER, block: fstabLines(method, datasets, v.pve_ip).join('\n') });
  return {
    title: `Datasets mounted at ${datasets.map((d) => d.path).join(', ')}`,
    tags: ['mounts', 'vm-services'],
    probe: probeScript(datasets, absentBlock.probe ?? ''),
    async check(ctx, probe): Promise<MountChange | null> {
      const { head, fstab } = parseProbe(probe?.stdout ?? '');
      const decided = guestShareMethod(v, Number(head.get('virtiofs') ?? 0) > 0);
      if ('error' in decided) throw new Error(decided.error);
      const fstabProbe: ProbeResult = { stdout: fstab, code: probe?.code ?? 0 };
      if (decided.method === 'none') {
        notes.add(`${sharesNothing(v) ? decided.why : 'not shared'}: ${datasets.map((d) => d.path).join(', ')} are plain directories on the VM's own disk, not the pool's datasets`);
        const removal = await absentBlock.check(ctx, fstabProbe);
        return removal ? { summary: `remove the datasets' mounts from ${FSTAB} (${decided.why})`, diff: removal.diff, method: 'none', fstab: removal, installNfs: false, mount: [], remount: [] } : null;
      }
      const method = decided.method;
      ctx.log(`datasets mounted by ${method}: ${decided.why}`);
      const fstabChange = await presentBlock(method).check(ctx, fstabProbe);
      const installNfs = method === 'nfs' && !/^ii/.test(head.get('nfs-common') ?? '');
      const mount: string[] = [];
      const remount: { path: string; now: string }[] = [];
      datasets.forEach((d, i) => {
        const state = mountState(head.get(`mount${i}`) ?? '', method, d, v.pve_ip);
        if (state === 'absent') mount.push(d.path);
        else if (state !== 'mounted') remount.push({ path: d.path, now: state });
      });
      const parts = [
        installNfs ? 'install nfs-common' : '',
        fstabChange ? fstabChange.summary : '',
        mount.length ? `mount ${mount.join(', ')}` : '',
        remount.length ? `unmount and mount again ${remount.map((r) => `${r.path} (now ${r.now})`).join(', ')}` : '',
      ].filter(Boolean);
      if (parts.length === 0) return null;
      return { summary: `${parts.join('; ')} (${method}: ${decided.why})`, diff: fstabChange?.diff, method, fstab: fstabChange, installNfs, mount, remount };
    },
    async apply(ctx, c) {
      const change = c as MountChange;
      if (change.method === 'none') {
        if (change.fstab) await absentBlock.apply(ctx, change.fstab);
        return;
      }
      if (change.installNfs) await installPackage(ctx, 'nfs-common');
      if (change.fstab) await presentBlock(change.method).apply(ctx, change.fstab);
      if (ctx.facts.systemd) await ctx.conn.run('systemctl daemon-reload');
      for (const { path } of change.remount) {
        assertOk(await ctx.conn.run(cmd('umount', path)), `unmounting ${path} (something in use there? stop it, e.g. docker compose down, and run again)`);
        change.mount.push(path);
      }
      for (const path of change.mount) {
        const res = await ctx.conn.run(`mkdir -p ${shq(path)} && mount ${shq(path)}`);
        if (res.code !== 0) throw new Error(`mount ${path} failed (exit ${res.code}): ${(res.stderr.trim() || res.stdout.trim()).split('\n').slice(-3).join(' ')} — ${mountHint(change.method, v, datasets.find((d) => d.path === path))}`);
      }
    },
  };
}

function mountHint(method: GuestShare, v: V, d: SharedDataset | undefined): string {
  if (method === 'virtiofs') {
    return `the VM needs the virtiofs device ${d?.tag ?? ''} (qm config <vmid> | grep virtiofs on the Proxmox host); a device added while the VM ran appears after a restart (qm reboot <vmid>)`;
  }
  return `is ${v.pve_ip} exporting ${d?.path ?? 'the dataset'} to this VM (role zfs with NFS sharing, its vm_ip being this VM's address)? showmount -e ${v.pve_ip} tells`;
}

async function installPackage(ctx: StepContext, name: string): Promise<void> {
  const step = apt({ packages: [name] });
  const change = await step.check(ctx, { stdout: '', code: 0 });
  if (change) await step.apply(ctx, change);
}
