export interface JailSettings {
  bantime: string;
  maxretry: number;
  ignoreCidr: string;
  proxmox: boolean;
}

/** Jails read from the systemd journal: Debian 12+ has no syslog files for sshd or pvedaemon. */
export function jails(s: JailSettings): string {
  const lines = [
    '# Managed by media-server-home (role hardening).',
    '[DEFAULT]',
    `bantime = ${s.bantime}`,
    'findtime = 10m',
    `maxretry = ${s.maxretry}`,
    `ignoreip = 127.0.0.1/8 ::1`,
    'backend = systemd',
    '',
    '[sshd]',
    'enabled = true',
    'mode = aggressive',
    '',
  ];
  if (s.proxmox) {
    lines.push('[proxmox]', 'enabled = true', 'port = https,http,8006', 'filter = proxmox', 'journalmatch = _SYSTEMD_UNIT=pvedaemon.service', '');
  }
  return lines.join('\n');
}

/** Failed logins to the Proxmox web UI, as pvedaemon logs them. */
export const PROXMOX_FILTER = `# Managed by media-server-home (role hardening).
[Definition]
failregex = pvedaemon\\[.*authentication (verification )?failure; rhost=<HOST> user=.* msg=.*
ignoreregex =
journalmatch = _SYSTEMD_UNIT=pvedaemon.service
`;
