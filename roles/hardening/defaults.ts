import { defaults as zfsDefaults } from '../zfs/defaults.ts';

export const defaults = {
  lan_cidr: '192.168.1.0/24',
  ssh_root_login: 'no',
  ssh_allow_users: [] as string[],
  ssh_allow_groups: [] as string[],
  ssh_port: 22,
  lockout_rollback_seconds: 45,
  fail2ban_bantime: '1h',
  fail2ban_maxretry: 5,
  unattended_upgrades: true,
  traefik_access_log: '/mnt/tank/appdata/traefik/logs/access.log',
  // Role zfs's keys (same defaults): whether and to whom the Proxmox host exports the datasets over NFS.
  zfs_share: zfsDefaults.zfs_share,
  vm_ip: zfsDefaults.vm_ip,
};

export const docs = {
  lan_cidr: { description: 'Your home network, e.g. 192.168.1.0/24: the only source (with Tailscale) allowed to reach SSH, the web UIs and HTTPS.' },
  ssh_root_login: { description: 'PermitRootLogin on non-Proxmox hosts: no (default) or prohibit-password. Proxmox hosts always get prohibit-password (Proxmox needs root).' },
  ssh_allow_users: { description: 'If set, only these users may log in over SSH (AllowUsers). The connecting user must be in it.' },
  ssh_allow_groups: { description: 'If set, only members of these groups may log in over SSH (AllowGroups).' },
  ssh_port: {
    description:
      "The port sshd already listens on (default 22). The tool never changes sshd's port: the firewall rules (UFW, the Proxmox firewall) allow SSH on this port from the LAN and Tailscale, and the lock-out check and verify expect sshd there. To use another port, move sshd yourself first, then set ssh_port (and ansible_port, the port the tool connects to) to it.",
  },
  lockout_rollback_seconds: { description: 'After an SSH or firewall change, the host restores the previous settings after this many seconds unless a new connection succeeded.' },
  fail2ban_bantime: { description: 'How long Fail2ban bans an address (e.g. 1h, 1d).' },
  fail2ban_maxretry: { description: 'Failures before a ban.' },
  traefik_access_log: { description: "Traefik's access log on the VM, watched by Fail2ban's traefik-auth jail." },
  unattended_upgrades: { description: 'Install security updates automatically on non-Proxmox hosts (Proxmox hosts only report pending updates).' },
  zfs_share: {
    description:
      'How role zfs shares the datasets with the VM (auto, virtiofs, nfs, none): when the Proxmox host exports them over NFS (nfs, or auto before Proxmox VE 8.4), its firewall lets vm_ip reach NFSv4 (TCP 2049).',
  },
  vm_ip: { description: 'IPv4 address of the services VM: with NFS sharing, the only address the Proxmox firewall lets reach NFS (TCP 2049).' },
};
