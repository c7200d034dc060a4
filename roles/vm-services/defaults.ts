/**
 * Variables of the two vm-services roles: `vm-services-create` (group pve: the VM) and `vm-services` (group services:
 * inside the VM). Variables read by other roles too are declared with their defaults, taken from those roles.
 */
import { defaults as baseDefaults } from '../base/defaults.ts';
import { defaults as hardeningDefaults } from '../hardening/defaults.ts';
import { defaults as proxmoxDefaults } from '../proxmox-host/defaults.ts';
import { defaults as zfsDefaults } from '../zfs/defaults.ts';

/**
 * Ubuntu 24.04 (noble) server cloud image, release 20260801: a dated directory, so the file and its checksum never
 * change (".../noble/current/" is rebuilt and its checksum moves). The SHA-256 is that release's SHA256SUMS entry for
 * ubuntu-24.04-server-cloudimg-amd64.img; several public projects pin the same pair (looked up with the code search in
 * November 2026; the same bytes are published as noble/20260801/noble-server-cloudimg-amd64.img). Canonical moves old
 * release directories to https://cloud-images-archive.ubuntu.com/releases/noble/ after a while.
 */
export const NOBLE_IMAGE_URL = 'https://cloud-images.ubuntu.com/releases/noble/release-20260801/ubuntu-24.04-server-cloudimg-amd64.img';
export const NOBLE_IMAGE_SHA256 = '0533b0655c32e68b31d792ecd6ccfca95abdbc536c4446874fe0513bd4140ffe';

export const VM_IGPU = ['auto', 'gvt-g', 'passthrough', 'none'] as const;
export const VM_SHARE = ['auto', 'virtiofs', 'nfs', 'none'] as const;
export const DOCKER_SOURCES = ['auto', 'docker-repo', 'distribution'] as const;

const shared = {
  vm_name: 'services',
  vm_user: 'admin',
  zfs_pool: zfsDefaults.zfs_pool,
  zfs_datasets: zfsDefaults.zfs_datasets,
  zfs_share: zfsDefaults.zfs_share,
};

const sharedDocs = {
  vm_name: { description: 'Name of the services VM in Proxmox VE, and its hostname (default services).' },
  vm_user: { description: 'The admin user cloud-init creates in the VM (with sudo and your SSH key); it is put in the docker group. Connect to the VM as this user (ansible_user) with ansible_become: true.' },
  zfs_pool: { description: 'Name of the ZFS pool (see role zfs); its datasets are shared with the VM as directory mappings <pool>-<dataset>.' },
  zfs_datasets: { description: 'Datasets of the pool (see role zfs); each is mounted in the VM at the same path as on the Proxmox host (<zfs_mountpoint>/<name>).' },
  zfs_share: { description: 'How the datasets reach the VM (see role zfs): auto, virtiofs, nfs or none.' },
};

/** Role vm-services-create (group pve). */
export const createDefaults = {
  ...shared,
  vm_ip: zfsDefaults.vm_ip,
  vm_id: 100,
  vm_cores: 4,
  vm_memory_mib: 6144,
  vm_host_reserved_mib: 2048,
  vm_disk_gib: 32,
  vm_storage: 'local-lvm',
  vm_bridge: 'vmbr0',
  vm_prefix_len: 24,
  vm_gateway: '',
  vm_dns: [] as string[],
  vm_ssh_public_key: '~/.ssh/id_ed25519.pub',
  vm_igpu: 'auto',
  vm_image_url: NOBLE_IMAGE_URL,
  vm_image_sha256: NOBLE_IMAGE_SHA256,
  vm_image_dir: '/var/lib/vz/template/iso',
  vm_boot_timeout_seconds: 300,
  igpu_mode: proxmoxDefaults.igpu_mode,
  ssh_port: hardeningDefaults.ssh_port,
};

export const createDocs = {
  ...sharedDocs,
  vm_ip: {
    description:
      'IPv4 address of the services VM (plain, e.g. 192.168.1.20; the prefix length is vm_prefix_len): given to the VM by cloud-init, where the run waits for SSH, and the only client of the NFS exports when the datasets are shared over NFS.',
  },
  vm_id: { description: 'Proxmox VMID of the services VM (default 100). An existing VM with this VMID and vm_name is adopted; a VMID used by another VM or container is an error.' },
  vm_cores: { description: 'Virtual CPU cores of the VM (at most the host\'s CPU count).' },
  vm_memory_mib: { description: 'RAM of the VM in MiB (default 6144, sized for a 16 GB host); at most the host\'s RAM minus vm_host_reserved_mib.' },
  vm_host_reserved_mib: { description: 'RAM in MiB that vm_memory_mib must leave to Proxmox VE itself (default 2048). ZFS\'s ARC (zfs_arc_max) comes on top: keep both in mind on an 8 GB host.' },
  vm_disk_gib: { description: 'Size of the VM\'s system disk in GiB (default 32): the cloud image is grown to it, never shrunk.' },
  vm_storage: { description: 'Proxmox storage for the VM\'s disk and its cloud-init drive (default local-lvm); it must hold "Disk image" content (pvesm status --content images).' },
  vm_bridge: { description: 'Network bridge of the VM\'s NIC (default vmbr0, the LAN bridge of a fresh Proxmox VE).' },
  vm_prefix_len: { description: 'Prefix length of the VM\'s network (default 24, i.e. 255.255.255.0).' },
  vm_gateway: { description: 'Default gateway of the VM (your router, e.g. 192.168.1.1). Required.' },
  vm_dns: { description: 'DNS servers of the VM, e.g. [192.168.1.1]; empty (default): the Proxmox host\'s /etc/resolv.conf, as Proxmox VE does.' },
  vm_ssh_public_key: {
    description: 'Public SSH key file on the controller (the machine running the tool) put in the VM for vm_user (default ~/.ssh/id_ed25519.pub). Several keys: one per line in that file.',
  },
  vm_igpu: {
    description:
      'The Intel iGPU for QuickSync in the VM: auto (follow igpu_mode), gvt-g (hostpci0 0000:00:02.0,mdev=i915-GVTg_V5_4), passthrough (hostpci0 0000:00:02.0) or none. Attached only once the host is ready for it (after the reboot proxmox-host asks for).',
  },
  vm_image_url: { description: 'Ubuntu 24.04 cloud image to build the VM from: a dated release (default) so that its checksum stays valid; http(s), or file:///path for a file already on the Proxmox host.' },
  vm_image_sha256: {
    description:
      'SHA-256 of vm_image_url, from the SHA256SUMS file in the same directory (e.g. https://cloud-images.ubuntu.com/releases/noble/release-YYYYMMDD/SHA256SUMS). Set it whenever you change vm_image_url.',
  },
  vm_image_dir: { description: 'Directory on the Proxmox host where the image is kept, downloaded once (default /var/lib/vz/template/iso, storage local\'s ISO folder).' },
  vm_boot_timeout_seconds: { description: 'How long to wait for SSH on the new VM to answer (default 300).' },
  igpu_mode: { description: 'How the Proxmox host offers the iGPU (see role proxmox-host); vm_igpu auto follows it.' },
  ssh_port: {
    description:
      "The port sshd already listens on (default 22; see role hardening, which allows it through the firewall but never changes sshd's port); the wait for the new VM's SSH accepts it or 22, where a fresh cloud image's sshd listens.",
  },
};

/** Role vm-services (group services). */
export const guestDefaults = {
  ...shared,
  timezone: baseDefaults.timezone,
  vm_packages: ['qemu-guest-agent', 'curl', 'ca-certificates'],
  vm_share: 'auto',
  pve_ip: '',
  zfs_mountpoint: zfsDefaults.zfs_mountpoint,
  vm_require_dri: false,
  vm_docker_source: 'auto',
};

export const guestDocs = {
  ...sharedDocs,
  timezone: { description: 'Time zone from the tz database, e.g. Europe/Paris (see role base).' },
  vm_packages: { description: 'Packages the VM gets (default qemu-guest-agent, curl, ca-certificates).' },
  vm_share: {
    description:
      'How the VM mounts the datasets at <zfs_mountpoint>/<dataset>: auto (none when zfs_share is none; else virtiofs when the VM has virtiofs devices, NFS from pve_ip otherwise), virtiofs, nfs, or none (plain directories on the VM\'s disk).',
  },
  pve_ip: { description: 'Address of the Proxmox host, the NFS server when the datasets are shared over NFS (e.g. 192.168.1.10).' },
  zfs_mountpoint: { description: 'Where the pool is mounted on the Proxmox host (see role zfs); the VM mounts the datasets at the same paths (default /mnt/tank).' },
  vm_require_dri: { description: 'Fail when the VM has no /dev/dri (no iGPU for QuickSync); default false: say so and go on.' },
  vm_docker_source: {
    description:
      "Where Docker comes from: auto (Docker's apt repository on Ubuntu; Debian's docker.io and docker-compose on Debian 13 and later), docker-repo (download.docker.com, Ubuntu or Debian), or distribution (the OS's own packages; refused where they lack Compose v2, e.g. Debian 12).",
  },
};
