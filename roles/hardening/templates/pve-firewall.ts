/**
 * NFS. The VM mounts the zfs role's exports with the default options, which try NFSv4 first (Debian's nfs-kernel-server
 * serves it): NFSv4 needs only this TCP port, without rpcbind (111) or mountd, which NFSv3 would need.
 */
export const NFS_PORT = 2049;

export interface ClusterFirewallSettings {
  lanCidr: string;
  sshPort: number;
  /** The services VM's address when this host exports the datasets to it over NFS: the only source let in on 2049. */
  nfsClient?: string;
}

/**
 * The Proxmox datacenter firewall (cluster.fw): its [RULES] apply to every node's own traffic. Never UFW on Proxmox:
 * both would own iptables and fight.
 */
export function clusterFirewall(v: ClusterFirewallSettings): string {
  return `# Managed by media-server-home (role hardening).
[OPTIONS]
enable: 1
policy_in: DROP
policy_out: ACCEPT

[RULES]
IN ACCEPT -source ${v.lanCidr} -p tcp -dport ${v.sshPort} -log nolog # SSH from the LAN
IN ACCEPT -source ${v.lanCidr} -p tcp -dport 8006 -log nolog # web UI from the LAN
IN ACCEPT -i tailscale0 -p tcp -dport ${v.sshPort} -log nolog # SSH over Tailscale
IN ACCEPT -i tailscale0 -p tcp -dport 8006 -log nolog # web UI over Tailscale
IN ACCEPT -source ${v.lanCidr} -p tcp -dport 9100 -log nolog # node-exporter, for Prometheus in the VM
${v.nfsClient ? `IN ACCEPT -source ${v.nfsClient} -p tcp -dport ${NFS_PORT} -log nolog # NFSv4 from the services VM (the datasets' exports)\n` : ''}IN ACCEPT -source ${v.lanCidr} -p icmp -log nolog # ping from the LAN
`;
}

export const CLUSTER_FW = '/etc/pve/firewall/cluster.fw';
export const PVE_FIREWALL_APPLY = 'pve-firewall compile >/dev/null && pve-firewall restart';
