/** What the engine knows about a host, gathered once per run in one round trip. */
export interface Facts {
  hostname: string;
  /** /etc/os-release ID, e.g. "debian", "ubuntu". */
  osId: string;
  osVersionId: string;
  /** e.g. "bookworm", "trixie", "noble". */
  osCodename: string;
  kernel: string;
  arch: string;
  memoryMiB: number;
  cpus: number;
  /** systemd-detect-virt's answer, "none" on bare metal, "" when unknown. */
  virtualization: string;
  /** True when systemd is the running init (units can be started). */
  systemd: boolean;
  /** Installed Debian packages and their versions. */
  packages: Map<string, string>;
  /** Seconds since the apt package lists were last updated; Infinity when never. */
  aptListsAgeSeconds: number;
  /** Output of `pveversion` ("" when not a Proxmox host). */
  pveVersion: string;
  uid: number;
  /** The user the connection logs in as (before sudo). */
  loginUser: string;
  /** The address this run's SSH connection comes from, as the host sees it ("" for a local connection). */
  sshClient: string;
}
