/** The vm-services roles' decisions from their variables (and the host's facts): pure functions, tested on their own. */
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { ipInCidr, parseIPv4 } from '../../lib/net/cidr.ts';
import { datasetNames, mappingId } from '../zfs/settings.ts';
import { IGPU_MODES } from '../proxmox-host/defaults.ts';
import { DOCKER_SOURCES, NOBLE_IMAGE_SHA256, NOBLE_IMAGE_URL, VM_IGPU, VM_SHARE, type createDefaults, type guestDefaults } from './defaults.ts';

type CreateVars = typeof createDefaults;
type GuestVars = typeof guestDefaults;
type Invalid<V> = { key: keyof V & string; message: string; fix: string } | undefined;

/** The iGPU's PCI address on Intel desktop CPUs (HD 530 on the i5-6500 included). */
export const IGPU_PCI = '0000:00:02.0';
/** GVT-g type with 4 instances per iGPU on Skylake: the smallest slice that still has 4K-capable aperture for QuickSync. */
export const GVT_TYPE = 'i915-GVTg_V5_4';

export type IgpuKind = 'gvt-g' | 'passthrough' | 'none';

/** vm_igpu, with auto resolved from the host's igpu_mode. */
export function vmIgpu(setting: string, igpuMode: string): IgpuKind {
  return (setting === 'auto' ? igpuMode : setting) as IgpuKind;
}

/** The hostpciN value for the iGPU, or undefined for none. */
export function igpuHostpci(kind: IgpuKind): string | undefined {
  if (kind === 'gvt-g') return `${IGPU_PCI},mdev=${GVT_TYPE}`;
  return kind === 'passthrough' ? IGPU_PCI : undefined;
}

/** Where the image is kept on the Proxmox host: vm_image_dir/<the URL's file name>. */
export function imagePath(v: Pick<CreateVars, 'vm_image_url' | 'vm_image_dir'>): string {
  const name = decodeURIComponent(new URL(v.vm_image_url).pathname.split('/').pop() ?? '');
  return `${v.vm_image_dir.replace(/\/+$/, '')}/${name}`;
}

/** cloud-init's static address for net0. */
export function ipconfig0(v: Pick<CreateVars, 'vm_ip' | 'vm_prefix_len' | 'vm_gateway'>): string {
  return `ip=${v.vm_ip}/${v.vm_prefix_len},gw=${v.vm_gateway}`;
}

/** The directory-mapping ids of the datasets, in the order they become virtiofs0, virtiofs1, … */
export function mappingIds(v: Pick<CreateVars, 'zfs_pool' | 'zfs_datasets'>): string[] {
  return datasetNames(v as Parameters<typeof datasetNames>[0]).map((d) => mappingId(v.zfs_pool, d));
}

/** A path on the controller: ~ is the user's home, a relative path is taken from the current directory. */
export function controllerPath(path: string): string {
  if (path === '~' || path.startsWith('~/')) return resolve(homedir(), path.slice(2));
  return resolve(path);
}

const isInt = (n: unknown, min: number, max = Number.MAX_SAFE_INTEGER): n is number => typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max;

export function validateCreate(v: CreateVars): Invalid<CreateVars> {
  if (!isInt(v.vm_id, 100, 999_999_999)) return { key: 'vm_id', message: `${String(v.vm_id)} is not a VMID`, fix: 'a whole number from 100 to 999999999 (Proxmox reserves 0–99)' };
  if (!/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(v.vm_name)) {
    return { key: 'vm_name', message: `"${v.vm_name}" is not a usable VM name and hostname`, fix: 'letters, digits and inner hyphens, at most 63 characters, e.g. services' };
  }
  if (!isInt(v.vm_cores, 1, 512)) return { key: 'vm_cores', message: `${String(v.vm_cores)} is not a number of cores`, fix: 'a whole number of at least 1, e.g. 4' };
  if (!isInt(v.vm_memory_mib, 512)) return { key: 'vm_memory_mib', message: `${String(v.vm_memory_mib)} is not a memory size in MiB of at least 512`, fix: 'e.g. 6144 for 6 GiB' };
  if (!isInt(v.vm_host_reserved_mib, 0)) return { key: 'vm_host_reserved_mib', message: `${String(v.vm_host_reserved_mib)} is not a number of MiB`, fix: 'e.g. 2048' };
  if (!isInt(v.vm_disk_gib, 4, 65536)) return { key: 'vm_disk_gib', message: `${String(v.vm_disk_gib)} is not a disk size in GiB of at least 4`, fix: 'e.g. 32 (the cloud image alone needs 3.5 GiB)' };
  if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(v.vm_storage)) return { key: 'vm_storage', message: `"${v.vm_storage}" is not a storage name`, fix: 'a storage of pvesm status, e.g. local-lvm or local-zfs' };
  if (!/^[A-Za-z][A-Za-z0-9_.-]{0,14}$/.test(v.vm_bridge)) return { key: 'vm_bridge', message: `"${v.vm_bridge}" is not a bridge name`, fix: 'e.g. vmbr0' };
  if (v.vm_ip === '') return { key: 'vm_ip', message: 'the VM needs an address and vm_ip is not set', fix: 'a free static address of your LAN outside the DHCP range, e.g. 192.168.1.20' };
  if (parseIPv4(v.vm_ip) === undefined) return { key: 'vm_ip', message: `"${v.vm_ip}" is not an IPv4 address`, fix: 'write the address alone, e.g. 192.168.1.20 (the prefix length goes in vm_prefix_len)' };
  if (!isInt(v.vm_prefix_len, 1, 32)) return { key: 'vm_prefix_len', message: `${String(v.vm_prefix_len)} is not a prefix length`, fix: 'a number from 1 to 32, e.g. 24 for 255.255.255.0' };
  if (v.vm_gateway === '') return { key: 'vm_gateway', message: 'the VM needs a default gateway and vm_gateway is not set', fix: 'your router\'s address, e.g. 192.168.1.1' };
  if (parseIPv4(v.vm_gateway) === undefined) return { key: 'vm_gateway', message: `"${v.vm_gateway}" is not an IPv4 address`, fix: 'your router\'s address, e.g. 192.168.1.1' };
  if (!ipInCidr(v.vm_gateway, `${v.vm_ip}/${v.vm_prefix_len}`) || v.vm_gateway === v.vm_ip) {
    return { key: 'vm_gateway', message: `${v.vm_gateway} is not another address of ${v.vm_ip}/${v.vm_prefix_len}'s network`, fix: 'the gateway must be on the VM\'s LAN: check vm_ip, vm_prefix_len and vm_gateway' };
  }
  const dns = v.vm_dns as unknown;
  if (!Array.isArray(dns) || dns.some((d) => typeof d !== 'string' || parseIPv4(d) === undefined)) {
    return { key: 'vm_dns', message: 'must be a list of IPv4 addresses', fix: 'e.g. [192.168.1.1], or [] for the Proxmox host\'s DNS servers' };
  }
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(v.vm_user) || v.vm_user === 'root') return { key: 'vm_user', message: `"${v.vm_user}" is not a usable user name`, fix: 'a lower-case name other than root, e.g. admin' };
  if (v.vm_ssh_public_key === '') return { key: 'vm_ssh_public_key', message: 'no public key file is set', fix: 'the path of your public key on this machine, e.g. ~/.ssh/id_ed25519.pub' };
  if (!(VM_IGPU as readonly string[]).includes(v.vm_igpu)) return { key: 'vm_igpu', message: `"${v.vm_igpu}" is not an iGPU mode`, fix: `use one of ${VM_IGPU.join(', ')}` };
  const igpu = validateIgpu(v);
  if (igpu) return igpu;
  const image = validateImage(v);
  if (image) return image;
  if (!isInt(v.vm_boot_timeout_seconds, 1)) return { key: 'vm_boot_timeout_seconds', message: `${String(v.vm_boot_timeout_seconds)} is not a number of seconds`, fix: 'e.g. 300' };
  return undefined;
}

function validateIgpu(v: CreateVars): Invalid<CreateVars> {
  if (!(IGPU_MODES as readonly string[]).includes(v.igpu_mode)) return undefined; // role proxmox-host reports it
  const kind = vmIgpu(v.vm_igpu, v.igpu_mode);
  if (kind !== 'none' && kind !== v.igpu_mode) {
    return {
      key: 'vm_igpu',
      message: `vm_igpu ${kind} needs the host set up for it, but igpu_mode is ${v.igpu_mode}`,
      fix: `set igpu_mode: ${kind} (role proxmox-host, then reboot the host), or vm_igpu: auto or none`,
    };
  }
  return undefined;
}

function validateImage(v: CreateVars): Invalid<CreateVars> {
  if (!/^(https?:\/\/\S+|file:\/\/\/\S+)$/.test(v.vm_image_url) || /\/$/.test(v.vm_image_url)) {
    return { key: 'vm_image_url', message: `"${v.vm_image_url}" is not an http(s) or file:/// URL of an image file`, fix: `e.g. ${NOBLE_IMAGE_URL}` };
  }
  if (!/^[0-9a-fA-F]{64}$/.test(v.vm_image_sha256)) {
    return { key: 'vm_image_sha256', message: `"${v.vm_image_sha256}" is not a SHA-256 (64 hex digits)`, fix: 'copy the image\'s line from the SHA256SUMS file next to it' };
  }
  if (v.vm_image_url !== NOBLE_IMAGE_URL && v.vm_image_sha256.toLowerCase() === NOBLE_IMAGE_SHA256) {
    return {
      key: 'vm_image_sha256',
      message: 'vm_image_url was changed but vm_image_sha256 is still the default image\'s checksum',
      fix: 'set vm_image_sha256 to the new image\'s SHA-256, from the SHA256SUMS file in its directory (e.g. https://cloud-images.ubuntu.com/releases/noble/release-YYYYMMDD/SHA256SUMS)',
    };
  }
  if (!/^\/[^\s]*$/.test(v.vm_image_dir)) return { key: 'vm_image_dir', message: `"${v.vm_image_dir}" is not an absolute path`, fix: 'e.g. /var/lib/vz/template/iso' };
  return undefined;
}

export function validateGuest(v: GuestVars): Invalid<GuestVars> {
  if (!/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(v.vm_name)) {
    return { key: 'vm_name', message: `"${v.vm_name}" is not a usable hostname`, fix: 'letters, digits and inner hyphens, at most 63 characters, e.g. services' };
  }
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(v.vm_user)) return { key: 'vm_user', message: `"${v.vm_user}" is not a user name`, fix: 'the admin user of the VM, e.g. admin' };
  if (!/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(v.timezone)) return { key: 'timezone', message: `"${v.timezone}" is not a tz database name`, fix: 'use a name like Europe/Paris or Etc/UTC (see timedatectl list-timezones)' };
  const pkgs = v.vm_packages as unknown;
  if (!Array.isArray(pkgs) || pkgs.some((p) => typeof p !== 'string' || !/^[a-z0-9][a-z0-9+.-]*$/.test(p))) {
    return { key: 'vm_packages', message: 'must be a list of package names', fix: 'e.g. [qemu-guest-agent, curl, ca-certificates]' };
  }
  if (!(VM_SHARE as readonly string[]).includes(v.vm_share)) return { key: 'vm_share', message: `"${v.vm_share}" is not a way to mount the datasets`, fix: `use one of ${VM_SHARE.join(', ')}` };
  if (v.pve_ip !== '' && parseIPv4(v.pve_ip) === undefined) return { key: 'pve_ip', message: `"${v.pve_ip}" is not an IPv4 address`, fix: 'the Proxmox host\'s LAN address, e.g. 192.168.1.10' };
  if (v.vm_share === 'nfs' && v.pve_ip === '') return { key: 'pve_ip', message: 'vm_share is nfs but pve_ip (the NFS server) is not set', fix: 'set pve_ip to the Proxmox host\'s LAN address, e.g. 192.168.1.10' };
  if (!/^\/[^\s]*[^/\s]$/.test(v.zfs_mountpoint)) return { key: 'zfs_mountpoint', message: `"${v.zfs_mountpoint}" is not an absolute path`, fix: 'e.g. /mnt/tank' };
  if (!(DOCKER_SOURCES as readonly string[]).includes(v.vm_docker_source)) {
    return { key: 'vm_docker_source', message: `"${v.vm_docker_source}" is not a Docker source`, fix: `use one of ${DOCKER_SOURCES.join(', ')}` };
  }
  return undefined;
}

export type GuestShare = 'virtiofs' | 'nfs' | 'none';

/** vm_share none, or auto while the pool is not shared at all: decidable before looking at the VM. */
export function sharesNothing(v: Pick<GuestVars, 'vm_share' | 'zfs_share'>): boolean {
  return v.vm_share === 'none' || (v.vm_share === 'auto' && v.zfs_share === 'none');
}

/** How the VM mounts the datasets, from the settings and whether it has virtiofs devices (PCI/virtio id 26). */
export function guestShareMethod(v: Pick<GuestVars, 'vm_share' | 'zfs_share' | 'pve_ip'>, hasVirtiofs: boolean): { method: GuestShare; why: string } | { error: string } {
  if (sharesNothing(v)) return { method: 'none', why: v.vm_share === 'none' ? 'vm_share is none' : 'zfs_share is none' };
  const nfs = (why: string) =>
    v.pve_ip === '' ? { error: `the datasets would be mounted over NFS (${why}), but pve_ip (the NFS server) is not set: set pve_ip to the Proxmox host's address, or vm_share: none` } : { method: 'nfs' as const, why };
  if (v.vm_share === 'nfs') return nfs('vm_share is nfs');
  if (v.vm_share === 'virtiofs' || (v.vm_share === 'auto' && v.zfs_share === 'virtiofs')) {
    return hasVirtiofs
      ? { method: 'virtiofs', why: `${v.vm_share === 'virtiofs' ? 'vm_share' : 'zfs_share'} is virtiofs` }
      : { error: 'the datasets are shared by virtiofs, but this VM has no virtiofs device: run role vm-services-create on the Proxmox host, then restart the VM (qm reboot <vmid>) so that its virtiofs devices appear' };
  }
  if (v.vm_share === 'auto' && v.zfs_share === 'nfs') return nfs('zfs_share is nfs');
  return hasVirtiofs ? { method: 'virtiofs', why: 'the VM has virtiofs devices' } : nfs('the VM has no virtiofs device');
}
