/** The steps on the Proxmox host that create (or adopt and reconcile), size, start and restart the services VM. */
import type { Change, Step, StepContext } from '../../lib/api/step.ts';
import { assertOk } from '../../lib/connectors/connector.ts';
import { cmd } from '../../lib/connectors/shell.ts';
import { sections } from '../../lib/modules/probe-sections.ts';
import { shareMethod } from '../zfs/settings.ts';
import type { createDefaults } from './defaults.ts';
import type { Notes } from './notes.ts';
import { bootDisk, describeChange, igpuDeviceKey, parseQmConfig, pendingChanges, reconcile, type ConfigChange, type WantedVm } from './qm-config.ts';
import { qmCreateArgs } from './qm-create.ts';
import { readPublicKeys } from './ssh-key.ts';
import { GVT_TYPE, IGPU_PCI, igpuHostpci, imagePath, mappingIds, vmIgpu } from './settings.ts';

type V = typeof createDefaults;
const TAGS = ['vm', 'vm-services'];
const GIB = 1024 ** 3;

/** `qm create` and `qm set` read the keys from a file on the host: root-only, removed right after. */
export const keysFile = (vmid: number) => `/run/msh-vm-${vmid}-sshkeys.pub`;

/** Runs a qm command that needs the keys in keysFile. */
async function withKeys(ctx: StepContext, vmid: number, keys: string, command: string, what: string): Promise<void> {
  const f = keysFile(vmid);
  const script = `umask 077 && cat > ${f} || exit $?\n${command}\nrc=$?\nrm -f ${f}\nexit $rc`;
  assertOk(await ctx.conn.run(script, { input: `${keys}\n` }), what);
}

/** The storages of a `pvesm status` table; warnings about unreachable storages may come before its header. */
export function storageNames(table: string): string[] {
  const lines = table.split('\n');
  const header = lines.findIndex((l) => /^Name\s+Type\s+Status/.test(l));
  return lines.slice(header + 1).map((l) => l.trim().split(/\s+/)[0]!).filter(Boolean);
}

/** Refuses what cannot work on this host before anything changes: not Proxmox, too much RAM or CPU, a wrong storage. */
export function vmFitsHost(v: V): Step {
  return {
    title: 'The VM fits this Proxmox host',
    tags: TAGS,
    probe: 'pvesm status --content images 2>&1; echo "@@rc $?"',
    check(ctx, probe) {
      const f = ctx.facts;
      if (!f.pveVersion) throw new Error(`${ctx.host} is not a Proxmox VE host (no pveversion): role vm-services-create runs on the Proxmox host, the only host of inventory group 'pve'`);
      const max = f.memoryMiB - v.vm_host_reserved_mib;
      if (f.memoryMiB > 0 && v.vm_memory_mib > max) {
        throw new Error(
          `vm_memory_mib ${v.vm_memory_mib} is too much for this host: it has ${f.memoryMiB} MiB of RAM and keeps vm_host_reserved_mib ${v.vm_host_reserved_mib} MiB for itself, so at most ${Math.max(max, 0)} MiB fit: lower vm_memory_mib`,
        );
      }
      if (f.cpus > 0 && v.vm_cores > f.cpus) throw new Error(`vm_cores ${v.vm_cores} is more than the host's ${f.cpus} CPUs: lower vm_cores`);
      const out = probe?.stdout ?? '';
      const rc = /^@@rc (\d+)$/m.exec(out)?.[1];
      const table = out.replace(/^@@rc \d+$/m, '').trim();
      if (rc !== '0') throw new Error(`pvesm status --content images failed (exit ${rc ?? '?'}): ${table.split('\n').slice(-3).join(' ')}`);
      const storages = storageNames(table);
      if (!storages.includes(v.vm_storage)) {
        throw new Error(
          `storage ${v.vm_storage} does not exist or cannot hold VM disks (content "images"); storages that can: ${storages.join(', ') || 'none'}: set vm_storage to one of them`,
        );
      }
      ctx.log(`${f.memoryMiB} MiB RAM, ${f.cpus} CPUs, storage ${v.vm_storage} holds disk images`);
      return null;
    },
    apply: async () => undefined,
  };
}

const VM_PROBE = (vmid: number) =>
  [
    // qm is slow to start (Perl, or Python for the simulator): the status only for an existing VM, the list only without.
    `echo @@config; if qm config ${vmid} 2>&1; then echo "@@config-rc 0"; echo @@status; qm status ${vmid} 2>/dev/null; else echo "@@config-rc $?"; echo @@list; qm list 2>/dev/null; fi`,
    `echo "@@ct $([ -e /etc/pve/lxc/${vmid}.conf ] && echo yes)"`,
    `echo "@@gvt $([ -d /sys/bus/pci/devices/${IGPU_PCI}/mdev_supported_types/${GVT_TYPE} ] && echo yes)"`,
    `echo "@@iommu $([ -e /sys/bus/pci/devices/${IGPU_PCI}/iommu_group ] && echo yes)"`,
    // The directory mappings virtiofs devices name (made by the zfs role); none before PVE 8.4.
    'echo @@mappings; pvesh get /cluster/mapping/dir --output-format json 2>/dev/null',
  ].join('\n');

export interface VmProbe {
  /** undefined: no VM with that VMID. */
  config?: Map<string, string>;
  running: boolean;
  /** VMs of `qm list`: VMID → name. */
  vms: Map<number, string>;
  container: boolean;
  gvt: boolean;
  iommu: boolean;
  /** Ids of the cluster's directory mappings. */
  mappings: string[];
}

function mappingIdsOf(json: string): string[] {
  try {
    const list = JSON.parse(json) as unknown;
    return Array.isArray(list) ? list.flatMap((m) => (m && typeof m === 'object' && typeof (m as { id?: unknown }).id === 'string' ? [(m as { id: string }).id] : [])) : [];
  } catch {
    return [];
  }
}

export function parseVmProbe(stdout: string): VmProbe {
  const s = sections(stdout);
  const body = s.get('config')?.body.trim() ?? '';
  const rc = s.get('config-rc')?.value ?? '';
  if (rc !== '0' && !/does not exist/.test(body)) throw new Error(`qm config failed (exit ${rc || '?'}): ${body.split('\n').slice(-3).join(' ')}`);
  const vms = new Map<number, string>();
  for (const line of (s.get('list')?.body ?? '').split('\n').slice(1)) {
    const [id, name] = line.trim().split(/\s+/);
    if (id && /^\d+$/.test(id)) vms.set(Number(id), name ?? '');
  }
  return {
    config: rc === '0' ? parseQmConfig(body) : undefined,
    running: /^status: running$/m.test(s.get('status')?.body ?? ''),
    vms,
    container: s.get('ct')?.value === 'yes',
    gvt: s.get('gvt')?.value === 'yes',
    iommu: s.get('iommu')?.value === 'yes',
    mappings: mappingIdsOf(s.get('mappings')?.body.trim() ?? ''),
  };
}

interface VmChange extends Change {
  command: string;
  keys?: string;
}

const CLOUD_INIT_KEYS = ['ipconfig0', 'nameserver', 'ciuser', 'sshkeys'];

/** Creates the VM, or adopts the one with this VMID and name and sets what differs; never destroys anything. */
export function vmDefinition(v: V, notes: Notes): Step {
  const vmid = v.vm_id;
  return {
    title: `VM ${vmid} (${v.vm_name})`,
    tags: TAGS,
    probe: VM_PROBE(vmid),
    check(ctx, probe): VmChange | null {
      const p = parseVmProbe(probe?.stdout ?? '');
      const keys = readPublicKeys(v.vm_ssh_public_key);
      const share = shareMethod(v.zfs_share, ctx.facts.pveVersion);
      if ('error' in share) throw new Error(share.error);
      const virtiofs = share.method === 'virtiofs' ? mappingIds(v) : [];
      const unmapped = virtiofs.filter((id) => !p.mappings.includes(id));
      // In check mode the zfs role of the same run would have made them; for real, qm would refuse with less to go on.
      if (unmapped.length && !ctx.checkMode) {
        throw new Error(`the directory mappings ${unmapped.join(', ')} the VM's virtiofs devices need do not exist on this Proxmox host: run the zfs role first (npx zx playbooks/zfs.ts makes them), or set zfs_share: nfs`);
      }
      if (unmapped.length) notes.add(`the VM's virtiofs devices need the directory mappings ${unmapped.join(', ')}, which the zfs role makes`);
      const igpu = igpuFor(v, p, notes);
      if (!p.config) {
        if (p.container) throw new Error(`VMID ${vmid} is used by a container (pct config ${vmid}): choose a free vm_id (pvesh get /cluster/nextid gives one)`);
        const other = [...p.vms].find(([, name]) => name === v.vm_name);
        if (other) throw new Error(`a VM named ${v.vm_name} already exists as VMID ${other[0]}: set vm_id: ${other[0]} to adopt it, or choose another vm_name`);
        const command = cmd(...qmCreateArgs(v, { image: imagePath(v), keysFile: keysFile(vmid), virtiofs, igpu: igpu ?? undefined }));
        return { summary: `${command} (keys from ${v.vm_ssh_public_key})`, command, keys };
      }
      const name = p.config.get('name') ?? '';
      if (name !== v.vm_name) {
        throw new Error(
          `VMID ${vmid} is already used by the VM "${name || '(no name)'}", not "${v.vm_name}": choose a free vm_id (pvesh get /cluster/nextid gives one), or set vm_name: ${name} to adopt that VM`,
        );
      }
      if (![...p.config].some(([k, val]) => /^(ide|sata|scsi)\d+$/.test(k) && /:(vm-\d+-)?cloudinit\b/.test(val))) {
        notes.add(`VM ${vmid} has no cloud-init drive: its user, keys and address (ciuser, sshkeys, ipconfig0) are set in Proxmox but reach nothing — add one with qm set ${vmid} --ide2 ${v.vm_storage}:cloudinit`);
      }
      const want: WantedVm = {
        cores: v.vm_cores,
        memory: v.vm_memory_mib,
        bridge: v.vm_bridge,
        ip: `${v.vm_ip}/${v.vm_prefix_len}`,
        gw: v.vm_gateway,
        nameserver: v.vm_dns.join(' '),
        ciuser: v.vm_user,
        sshkeys: keys,
        virtiofs,
        virtiofsPrefix: `${v.zfs_pool}-`,
        igpu,
      };
      const r = reconcile(p.config, want, IGPU_PCI);
      if (r.changes.length === 0) return null;
      const command = cmd('qm', 'set', String(vmid), ...r.args, ...(r.sshkeys ? ['--sshkeys', keysFile(vmid)] : []));
      const later = p.running && r.changes.some((c) => CLOUD_INIT_KEYS.includes(c.key)) ? '; the cloud-init settings reach the running VM at its next boot' : '';
      return { summary: `${command}: ${r.changes.map(describeChange).join(', ')}${later}`, command, keys: r.sshkeys ? keys : undefined };
    },
    async apply(ctx, c) {
      const change = c as VmChange;
      if (change.keys !== undefined) await withKeys(ctx, vmid, change.keys, change.command, change.command);
      else assertOk(await ctx.conn.run(change.command), change.command);
    },
  };
}

/**
 * The iGPU's hostpci value: undefined to have none, null to leave hostpci as it is. A wanted iGPU is only attached
 * once the host offers it (GVT-g types, or an IOMMU group for passthrough): until the reboot that proxmox-host asks
 * for, attaching it would keep the VM from starting.
 */
function igpuFor(v: V, p: VmProbe, notes: Notes): string | undefined | null {
  const kind = vmIgpu(v.vm_igpu, v.igpu_mode);
  const value = igpuHostpci(kind);
  if (value === undefined) return undefined;
  const ready = kind === 'gvt-g' ? p.gvt : p.iommu;
  if (ready) return value;
  if (!p.config || igpuDeviceKey(p.config, IGPU_PCI) === undefined) {
    const why = kind === 'gvt-g' ? `the host offers no GVT-g device (${IGPU_PCI} has no ${GVT_TYPE} type)` : `${IGPU_PCI} is in no IOMMU group`;
    notes.add(`iGPU (${kind}) not attached to VM ${v.vm_id}: ${why} — reboot the Proxmox host after role proxmox-host (it says REBOOT NEEDED), then run again; the VM then needs a restart`);
  }
  return null;
}

interface ResizeChange extends Change {
  disk: string;
}

/** Grows the boot disk to vm_disk_gib (the imported cloud image is ~3.5 GiB); never shrinks it. */
export function vmDiskSize(v: V, notes: Notes): Step {
  const want = `${v.vm_disk_gib}G`;
  return {
    title: `VM ${v.vm_id} disk is ${v.vm_disk_gib} GiB`,
    tags: TAGS,
    probe: `qm config ${v.vm_id} 2>/dev/null`,
    check(_ctx, probe): ResizeChange | null {
      const config = parseQmConfig(probe?.stdout ?? '');
      if (config.size === 0) return { summary: `qm resize ${v.vm_id} scsi0 ${want} (the disk of the new VM)`, disk: 'scsi0' };
      const disk = bootDisk(config);
      if (!disk || disk.size === undefined) {
        notes.add(`VM ${v.vm_id} has no boot disk with a size in its configuration: vm_disk_gib not applied`);
        return null;
      }
      if (disk.size < v.vm_disk_gib * GIB) return { summary: `qm resize ${v.vm_id} ${disk.key} ${want} (now ${(disk.size / GIB).toFixed(1)} GiB)`, disk: disk.key };
      if (disk.size > v.vm_disk_gib * GIB) notes.add(`VM ${v.vm_id}'s ${disk.key} is ${(disk.size / GIB).toFixed(1)} GiB, more than vm_disk_gib ${v.vm_disk_gib}: left as it is (disks are never shrunk)`);
      return null;
    },
    async apply(ctx, c) {
      const command = cmd('qm', 'resize', String(v.vm_id), (c as ResizeChange).disk, want);
      assertOk(await ctx.conn.run(command), command);
    },
  };
}

/** Shared between the start and restart steps: what `qm pending` showed. */
export interface PendingState {
  pending: ConfigChange[];
}

/** Starts the VM when it is not running; reads what waits for its restart (for the next step). */
export function vmRunning(v: V, state: PendingState): Step {
  const vmid = v.vm_id;
  return {
    title: `VM ${vmid} running`,
    tags: TAGS,
    probe: `qm status ${vmid} 2>&1\necho @@pending\nqm pending ${vmid} 2>/dev/null`,
    check(_ctx, probe) {
      const [status = '', pending = ''] = (probe?.stdout ?? '').split('@@pending\n');
      state.pending = pendingChanges(pending);
      if (/^status: running$/m.test(status)) return null;
      if (/does not exist/.test(status)) return { summary: `qm start ${vmid} (once created)` };
      return { summary: `qm start ${vmid} (${status.trim() || 'no status'})` };
    },
    async apply(ctx) {
      const res = await ctx.conn.run(`qm start ${vmid}`);
      if (res.code !== 0) {
        const why = (res.stderr.trim() || res.stdout.trim()).split('\n').slice(-4).join(' ');
        const hint = /hostpci|mdev|vfio|iommu|pci/i.test(why) ? ': the iGPU cannot be given to the VM — reboot the Proxmox host after role proxmox-host, or set vm_igpu: none' : '';
        throw new Error(`qm start ${vmid} failed (exit ${res.code}): ${why}${hint}`);
      }
    },
  };
}

/** Restarts the VM for settings that wait for it (memory, cores, devices), only with --restart-vm; else says so. */
export function vmRestart(v: V, state: PendingState, restart: boolean): Step {
  const vmid = v.vm_id;
  const list = () => state.pending.map(describeChange).join(', ');
  return {
    title: `VM ${vmid} restarted for pending settings`,
    tags: TAGS,
    when: () =>
      state.pending.length === 0 || restart ? true : `VM RESTART NEEDED: ${list()} wait for VM ${vmid} to restart — run qm reboot ${vmid} on the Proxmox host when convenient, or run again with --restart-vm`,
    // Without --restart-vm it only reports what the start step read; with it, it reads again to see the reboot's effect.
    probe: restart ? `qm pending ${vmid} 2>/dev/null` : undefined,
    check(_ctx, probe) {
      if (!restart) return null;
      state.pending = pendingChanges(probe?.stdout ?? '');
      return state.pending.length ? { summary: `qm reboot ${vmid} (applies ${list()})` } : null;
    },
    async apply(ctx) {
      assertOk(await ctx.conn.run(`qm reboot ${vmid}`), `qm reboot ${vmid}`);
    },
  };
}

/** The download of the cloud image, with where to look when the dated release has moved. */
export function imageHint(v: V, step: Step): Step {
  return {
    ...step,
    async apply(ctx, change) {
      try {
        await step.apply(ctx, change);
      } catch (err) {
        const msg = (err as Error).message;
        const moved = /\b404\b|not found/i.test(msg) && v.vm_image_url.startsWith('https://cloud-images.ubuntu.com/releases/')
          ? ` — Canonical moves older releases to ${v.vm_image_url.replace('https://cloud-images.ubuntu.com/', 'https://cloud-images-archive.ubuntu.com/')}; or pick a newer release directory and set vm_image_url and vm_image_sha256 (from its SHA256SUMS)`
          : '';
        throw new Error(`${msg}${moved}`);
      }
    },
  };
}
