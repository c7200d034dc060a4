/**
 * The lab: local Debian test hosts (systemd-nspawn containers) the playbooks can run against.
 * Everything the lab machinery knows about its hosts comes from this config.
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LabHost {
  /** Machine name, hostname, inventory host and inventory group. At most 12 characters: the veth is `ve-<name>`. */
  name: string;
  /** Debian release codename of its root filesystem. */
  release: string;
  /** N of the host's network 10.200.N.0/24: the controller side is .1, the host .2. */
  subnet: number;
  /** A sudo user with the lab key, as cloud-init makes on the real VM; the inventory connects as it (with become). */
  adminUser?: string;
  /** Install the Proxmox CLI simulator (files/lab/pve-simulator) on this host. */
  proxmoxSimulator?: boolean;
}

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
  /** Seconds a started host gets to answer SSH. */
  bootTimeoutSec: number;
}

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export const defaultLabConfig: LabConfig = {
  hosts: [
    { name: 'pve', release: 'bookworm', subnet: 1, proxmoxSimulator: true },
    { name: 'services', release: 'trixie', subnet: 2, adminUser: 'admin' },
  ],
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
export const hostDir = (cfg: LabConfig, host: LabHost): string => join(cfg.stateDir, host.name);
export const hostRoot = (cfg: LabConfig, host: LabHost): string => join(hostDir(cfg, host), 'root');
export const labKeyFile = (cfg: LabConfig): string => join(cfg.sshStateDir, 'lab_ed25519');
export const labKnownHostsFile = (cfg: LabConfig): string => join(cfg.sshStateDir, 'lab_known_hosts');
export const consoleLog = (cfg: LabConfig, host: LabHost): string => join(cfg.stateDir, 'logs', `${host.name}-console.log`);
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
    names.add(h.name);
    subnets.add(h.subnet);
  }
  if (!/^\d{1,3}\.\d{1,3}$/.test(cfg.networkPrefix)) problems.push(`networkPrefix "${cfg.networkPrefix}" must be two octets like 10.200`);
  return problems;
}
