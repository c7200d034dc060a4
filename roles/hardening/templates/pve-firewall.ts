/**
 * The Proxmox datacenter firewall (cluster.fw): its [RULES] apply to every node's own traffic. Never UFW on Proxmox:
 * both would own iptables and fight.
 */
export function clusterFirewall(v: { lanCidr: string; sshPort: number }): string {
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
IN ACCEPT -source ${v.lanCidr} -p icmp -log nolog # ping from the LAN
`;
}

export const CLUSTER_FW = '/etc/pve/firewall/cluster.fw';
export const PVE_FIREWALL_APPLY = 'pve-firewall compile >/dev/null && pve-firewall restart';
