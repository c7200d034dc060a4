/**
 * The lab: local Debian test hosts (systemd-nspawn containers, and QEMU VMs where a real kernel is needed) the
 * playbooks can run against. Everything the lab machinery knows about its hosts comes from this config.
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cloudImageStandinSha256 } from '../helpers/cloud-image-standin.ts';

export type InventoryValue = string | number | boolean | string[] | Record<string, string>;

interface HostBase {
  /**
   * Machine name, hostname, inventory host and inventory group. At most 12 characters (11 for a VM): its network
   * interface on the controller is `ve-<name>` (container) or `tap-<name>` (VM).
   */
  name: string;
  /** Debian release codename of its root filesystem. */
  release: string;
  /** N of the host's network 10.200.N.0/24: the controller side is .1, the host .2. */
  subnet: number;
  /** A sudo user with the lab key, as cloud-init makes on the real VM; the inventory connects as it (with become). */
  adminUser?: string;
  /** Install the Proxmox CLI simulator (files/lab/pve-simulator) on this host. */
  proxmoxSimulator?: boolean;
  /** Role variables the lab inventory sets on this host (YAML values: written as JSON, which YAML reads). */
  inventoryVars?: Record<string, InventoryValue>;
}

export interface NspawnHost extends HostBase {
  kind: 'nspawn';
}

/** A disk the VM gets at each `up`, made anew. */
export interface VmDisk {
  /** virtio serial number: the guest sees /dev/disk/by-id/virtio-<serial>. At most 20 characters. */
  serial: string;
  sizeMiB: number;
  /** Formatted with mkfs.ext4 on the controller, so the disk looks used (disk-safety refusals); blank otherwise. */
  ext4?: boolean;
}

export interface VmSpec {
  memoryMiB: number;
  cpus: number;
  /** Size of the root filesystem; the image and each run's overlay only take what is written. */
  rootGiB: number;
  /** Apt components of the image's sources (zfs is in contrib). */
  components: string[];
  /** Installed into the image natively (in a chroot of it), kernel modules built there with dkms. */
  packages: string[];
  /** Commands run in the image's chroot after the packages are installed (e.g. to undo what a postinst set up). */
  afterInstall?: string[][];
  disks: VmDisk[];
  /** Seconds the VM gets to answer SSH (it boots under TCG). */
  bootTimeoutSec: number;
  /**
   * Build the stack's stand-in container images in the VM after it boots (files/lab/standin-images: no registry is
   * reachable here). Needs docker.io and busybox-static in packages.
   */
  standinImages?: boolean;
}

/** A QEMU VM (TCG: KVM does not work on the lab machines) booted from an image baked once from the base. */
export interface VmHost extends HostBase {
  kind: 'vm';
  vm: VmSpec;
}

export type LabHost = NspawnHost | VmHost;
export type HostKind = LabHost['kind'];

export interface LabConfig {
  hosts: LabHost[];
  /** First two octets of the lab networks. */
  networkPrefix: string;
  /** Debian mirror for debootstrap and, through the apt proxy, for apt in the hosts. */
  mirror: string;
  securityMirror: string;
  /** Packages debootstrap adds to its minbase variant. */
  include: string[];
  /** Capabilities nspawn gives the hosts on top of its defaults. */
  capabilities: string[];
  aptProxyPort: number;
  /** Base root filesystems and the apt cache; survives `down`. */
  cacheDir: string;
  /** Per-host overlay dirs, state file, logs. */
  stateDir: string;
  /** The lab key pair and known_hosts. */
  sshStateDir: string;
  inventoryFile: string;
  /** Paths in the inventory are written relative to this directory (where the playbooks run). */
  repoRoot: string;
  /** Seconds a started container gets to answer SSH. */
  bootTimeoutSec: number;
}

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

const pveVm: VmSpec = {
  memoryMiB: 2048,
  cpus: 2,
  rootGiB: 8,
  components: ['main', 'contrib'],
  packages: ['linux-image-amd64', 'linux-headers-amd64', 'zfs-dkms', 'zfsutils-linux'],
  disks: [
    { serial: 'lab-zfs-a', sizeMiB: 2048 },
    { serial: 'lab-zfs-b', sizeMiB: 2048 },
    { serial: 'lab-ext4', sizeMiB: 128, ext4: true },
  ],
  bootTimeoutSec: 240,
};

/** pve is a VM (real OpenZFS); MSH_LAB_PVE=nspawn makes it a container again (fast, no ZFS). */
function pveHost(kind = process.env.MSH_LAB_PVE ?? 'vm'): LabHost {
  const common = { name: 'pve', release: 'bookworm', subnet: 1, proxmoxSimulator: true };
  // Proxmox's repository is out of reach: the simulator ships an empty, signed stand-in repository.
  // The services VM "created" in the simulator is small enough for the lab's pve; its image is the lab's stand-in.
  const simulatorVars = {
    proxmox_repo_url: 'file:///usr/local/lib/pve-simulator/apt-repo',
    vm_cores: 1,
    vm_memory_mib: 512,
    vm_host_reserved_mib: 1024,
    vm_image_url: `file://${CLOUD_IMAGE_STANDIN}`,
    vm_image_sha256: cloudImageStandinSha256(),
  };
  if (kind === 'nspawn') return { ...common, kind, inventoryVars: simulatorVars };
  // The blank disks make the pool; the ext4 one is there to be refused. Another kind is passed through for
  // configProblems to report.
  const zfs_disks = pveVm.disks.filter((d) => !d.ext4).map((d) => `/dev/disk/by-id/virtio-${d.serial}`);
  return { ...common, kind, vm: pveVm, inventoryVars: { zfs_disks, ...simulatorVars } } as VmHost;
}

/** services plays the Ubuntu VM: Debian 13 has Docker 26 and Compose v2; Docker needs a real kernel, so a VM. */
const servicesVm: VmSpec = {
  // 2 GiB ran into memory pressure (journald flushing, SSH timing out) once the monitoring part joined the stack.
  memoryMiB: 3072,
  cpus: 2,
  rootGiB: 8,
  components: ['main'],
  // busybox-static: the stand-in images are made of it; postgresql: the lab's Immich database image is Debian's real
  // PostgreSQL (the backup role dumps it and the restore drill loads the dump into a throwaway one).
  packages: ['linux-image-amd64', 'docker.io', 'docker-cli', 'docker-compose', 'curl', 'busybox-static', 'postgresql'],
  // The package's own cluster is not wanted: nothing of PostgreSQL runs on the VM itself, only in containers.
  afterInstall: [['sh', '-c', 'pg_lsclusters -h | while read -r version cluster _; do pg_dropcluster "$version" "$cluster"; done']],
  disks: [],
  bootTimeoutSec: 300,
  standinImages: true,
};

/**
 * The images the lab builds (files/lab/standin-images), by the docker-stack role's image keys: stand-ins, except
 * Prometheus, the two exporters and PostgreSQL, which are Debian's real programs in a minimal image.
 */
export const STANDIN_IMAGES: Record<string, string> = {
  traefik: 'msh-lab/traefik:standin',
  jellyfin: 'msh-lab/jellyfin:standin',
  immich_server: 'msh-lab/immich-server:standin',
  immich_ml: 'msh-lab/immich-ml:standin',
  valkey: 'msh-lab/valkey:standin',
  postgres: 'msh-lab/postgres:debian',
  grafana: 'msh-lab/grafana:standin',
  cadvisor: 'msh-lab/cadvisor:standin',
  prometheus: 'msh-lab/prometheus:debian',
  node_exporter: 'msh-lab/node-exporter:debian',
  postgres_exporter: 'msh-lab/postgres-exporter:debian',
};

/** Debian packages (the controller's release) whose programs the lab's Prometheus and exporter images carry. */
export const DEBIAN_IMAGE_PACKAGES = ['prometheus', 'prometheus-node-exporter', 'prometheus-postgres-exporter'];

/**
 * Scrape jobs whose target is a stand-in (it answers its healthcheck, not /metrics): the monitoring role's verify
 * accepts them down in the lab. Prometheus, node-exporter on both hosts and postgres-exporter are real and must be up.
 */
export const LAB_TARGETS_MAY_BE_DOWN = ['cadvisor', 'grafana', 'traefik', 'jellyfin', 'immich-api', 'immich-microservices'];

/** Where the lab puts the stand-in for the Ubuntu cloud image on pve (the simulator reads only its qcow2 header). */
export const CLOUD_IMAGE_STANDIN = '/var/lib/vz/template/cache/lab-cloud-image-standin.qcow2';

/**
 * services is a VM with Docker (the image bakes in about 70 s here; Docker 26.1.5, Compose 2.26.1, overlay2, cgroup v2)
 * that runs the stack on stand-in images; MSH_LAB_SERVICES=nspawn makes it a container again (fast; no Docker, so the
 * docker-stack role cannot run there).
 */
function servicesHost(kind = process.env.MSH_LAB_SERVICES ?? 'vm'): LabHost {
  const inventoryVars = {
    // No NFS or virtiofs between the lab's hosts: the datasets are plain directories on the VM's disk.
    vm_share: 'none',
    images: STANDIN_IMAGES,
    stack_pull: false,
    // Under TCG every healthcheck (a process started in a container) costs seconds of CPU: eleven containers checked
    // every 5 s while starting keep both of the VM's CPUs busy.
    stack_healthcheck_interval_seconds: 120,
    monitoring_targets_may_be_down: LAB_TARGETS_MAY_BE_DOWN,
  };
  const common = { name: 'services', release: 'trixie', subnet: 2, adminUser: 'admin', inventoryVars };
  return kind === 'nspawn' ? { ...common, kind } : ({ ...common, kind, vm: servicesVm } as VmHost);
}

export const defaultLabConfig: LabConfig = {
  hosts: [pveHost(), servicesHost()],
  networkPrefix: '10.200',
  mirror: 'http://deb.debian.org/debian',
  securityMirror: 'http://deb.debian.org/debian-security',
  // No DHCP client: the hosts have static addresses.
  include: [
    'openssh-server', 'systemd-sysv', 'systemd', 'udev', 'dbus', 'sudo', 'python3', 'iproute2', 'ifupdown',
    'ca-certificates', 'netbase', 'procps', 'kmod', 'iptables', 'gnupg', 'cron',
  ],
  // NET_ADMIN: iptables/ufw/fail2ban and net.* sysctls; SYS_ADMIN: mounts and systemd's service sandboxing.
  capabilities: ['CAP_NET_ADMIN', 'CAP_SYS_ADMIN'],
  aptProxyPort: 3142,
  cacheDir: '/var/cache/media-server-home/lab',
  stateDir: '/var/lib/media-server-home/lab',
  sshStateDir: join(repoRoot, '.ssh-state'),
  inventoryFile: join(repoRoot, 'inventory', 'lab.yml'),
  repoRoot,
  bootTimeoutSec: 60,
};

export const hostAddress = (cfg: LabConfig, host: LabHost): string => `${cfg.networkPrefix}.${host.subnet}.2`;
export const gatewayAddress = (cfg: LabConfig, host: LabHost): string => `${cfg.networkPrefix}.${host.subnet}.1`;
export const vethName = (host: LabHost): string => `ve-${host.name}`;
export const tapName = (host: LabHost): string => `tap-${host.name}`;
/** The controller side of the host's network. */
export const linkName = (host: LabHost): string => (host.kind === 'vm' ? tapName(host) : vethName(host));
export const hostDir = (cfg: LabConfig, host: LabHost): string => join(cfg.stateDir, host.name);
export const hostRoot = (cfg: LabConfig, host: LabHost): string => join(hostDir(cfg, host), 'root');
export const labKeyFile = (cfg: LabConfig): string => join(cfg.sshStateDir, 'lab_ed25519');
export const labKnownHostsFile = (cfg: LabConfig): string => join(cfg.sshStateDir, 'lab_known_hosts');
export const consoleLog = (cfg: LabConfig, host: LabHost): string => join(cfg.stateDir, 'logs', `${host.name}-console.log`);
/** QEMU's own messages (its stderr). */
export const qemuLog = (cfg: LabConfig, host: LabHost): string => join(cfg.stateDir, 'logs', `${host.name}-qemu.log`);
export const bootTimeoutSec = (cfg: LabConfig, host: LabHost): number => (host.kind === 'vm' ? host.vm.bootTimeoutSec : cfg.bootTimeoutSec);
export const aptProxyUrl = (cfg: LabConfig, host: LabHost): string => `http://${gatewayAddress(cfg, host)}:${cfg.aptProxyPort}`;

export function findHost(cfg: LabConfig, name: string): LabHost | undefined {
  return cfg.hosts.find((h) => h.name === name);
}

/** Problems with the config, one line each; empty when it is usable. */
export function configProblems(cfg: LabConfig): string[] {
  const problems: string[] = [];
  if (cfg.hosts.length === 0) problems.push('the lab config lists no host');
  const names = new Set<string>();
  const subnets = new Set<number>();
  for (const h of cfg.hosts) {
    // 12 characters keep `ve-<name>` within the 15 of a Linux interface name (nspawn hashes longer ones).
    if (!/^[a-z][a-z0-9-]{0,11}$/.test(h.name)) problems.push(`host name "${h.name}": use 1-12 lower-case letters, digits or dashes, starting with a letter`);
    if (!/^[a-z]+$/.test(h.release)) problems.push(`host ${h.name}: "${h.release}" is not a Debian codename`);
    if (!Number.isInteger(h.subnet) || h.subnet < 1 || h.subnet > 254) problems.push(`host ${h.name}: subnet ${h.subnet} is not in 1..254`);
    if (names.has(h.name)) problems.push(`host name "${h.name}" is used twice`);
    if (subnets.has(h.subnet)) problems.push(`subnet ${h.subnet} is used twice`);
    if (h.kind === 'vm') problems.push(...vmProblems(h));
    else if (h.kind !== 'nspawn') problems.push(`host ${(h as LabHost).name}: kind "${(h as LabHost).kind}" is neither nspawn nor vm (MSH_LAB_PVE sets it for pve)`);
    names.add(h.name);
    subnets.add(h.subnet);
  }
  if (!/^\d{1,3}\.\d{1,3}$/.test(cfg.networkPrefix)) problems.push(`networkPrefix "${cfg.networkPrefix}" must be two octets like 10.200`);
  return problems;
}

function vmProblems(h: VmHost): string[] {
  const problems: string[] = [];
  if (h.name.length > 11) problems.push(`host ${h.name}: a VM's name has at most 11 characters (its tap is tap-<name>)`);
  if (!h.vm.packages.some((p) => p.startsWith('linux-image-'))) problems.push(`host ${h.name}: the VM image needs a kernel: add linux-image-amd64 to its packages`);
  const serials = new Set<string>();
  for (const d of h.vm.disks) {
    // virtio-blk carries at most 20 bytes of serial; udev makes the by-id link from it.
    if (!/^[A-Za-z0-9._-]{1,20}$/.test(d.serial)) problems.push(`host ${h.name}: disk serial "${d.serial}": use 1-20 letters, digits, dots, dashes or underscores`);
    if (serials.has(d.serial)) problems.push(`host ${h.name}: disk serial "${d.serial}" is used twice`);
    if (!Number.isInteger(d.sizeMiB) || d.sizeMiB < 1) problems.push(`host ${h.name}: disk ${d.serial}: sizeMiB must be a positive integer`);
    serials.add(d.serial);
  }
  return problems;
}
