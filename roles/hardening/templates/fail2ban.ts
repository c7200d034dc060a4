export interface JailSettings {
  bantime: string;
  maxretry: number;
  /**
   * Addresses never banned besides localhost: the SSH client the playbook runs from. A lock-out-guard rollback (or a
   * mistyped key) must not leave the admin's own machine banned for bantime.
   */
  ignore: string[];
  proxmox: boolean;
  /** Traefik's access log, on the VM: failed basic-auth logins (401) ban the address in DOCKER-USER. */
  traefikAccessLog?: string;
}

/** Jails read from the systemd journal: Debian 12+ has no syslog files for sshd or pvedaemon. */
export function jails(s: JailSettings): string {
  const lines = [
    '# Managed by media-server-home (role hardening).',
    '[DEFAULT]',
    `bantime = ${s.bantime}`,
    'findtime = 10m',
    `maxretry = ${s.maxretry}`,
    `ignoreip = ${['127.0.0.1/8', '::1', ...s.ignore].join(' ')}`,
    'backend = systemd',
    '',
    '[sshd]',
    'enabled = true',
    'mode = aggressive',
    '',
  ];
  if (s.traefikAccessLog) {
    // Traefik runs in Docker: its traffic never crosses INPUT, so the ban goes into DOCKER-USER (FORWARD).
    lines.push(
      '[traefik-auth]',
      'enabled = true',
      'backend = auto',
      'filter = traefik-auth',
      `logpath = ${s.traefikAccessLog}`,
      'action = iptables-allports[name=traefik-auth, chain=DOCKER-USER]',
      '',
    );
  }
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

/** Traefik's access log in its default (Common Log Format) shape: a 401 is a failed basic-auth login. */
export const TRAEFIK_AUTH_FILTER = `# Managed by media-server-home (role hardening).
[Definition]
failregex = ^<HOST> \\S+ \\S+ \\[[^]]*\\] "[A-Z]+ [^"]*" 401 
ignoreregex =
`;
