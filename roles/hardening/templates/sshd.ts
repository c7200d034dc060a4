export interface SshdSettings {
  permitRootLogin: 'no' | 'prohibit-password';
  allowUsers: string[];
  allowGroups: string[];
}

/**
 * The sshd drop-in. Named 00-… because sshd keeps the FIRST value it reads for most keywords, and cloud images ship
 * later drop-ins (50-cloud-init.conf) that turn password logins back on.
 */
export function sshdDropIn(s: SshdSettings): string {
  return [
    '# Managed by media-server-home (role hardening). Local edits are overwritten.',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitEmptyPasswords no',
    `PermitRootLogin ${s.permitRootLogin}`,
    ...(s.allowUsers.length ? [`AllowUsers ${s.allowUsers.join(' ')}`] : []),
    ...(s.allowGroups.length ? [`AllowGroups ${s.allowGroups.join(' ')}`] : []),
    'X11Forwarding no',
    'MaxAuthTries 3',
    'LoginGraceTime 30',
    'ClientAliveInterval 300',
    'ClientAliveCountMax 2',
    'KexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512',
    'Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr',
    'MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com',
    'HostKeyAlgorithms ssh-ed25519,ssh-ed25519-cert-v01@openssh.com,rsa-sha2-512,rsa-sha2-256',
    '',
  ].join('\n');
}

export const SSHD_DROP_IN = '/etc/ssh/sshd_config.d/00-media-server-home.conf';

/** Tests the whole configuration with the new drop-in read first, as the real Include will (%s: the new file). */
export const SSHD_VALIDATE =
  'cfg=$(mktemp) && { echo "Include %s"; cat /etc/ssh/sshd_config; } > "$cfg" && mkdir -p /run/sshd && /usr/sbin/sshd -t -f "$cfg"; rc=$?; rm -f "$cfg"; exit $rc';

export const SSHD_RELOAD =
  'if [ -d /run/systemd/system ]; then systemctl try-reload-or-restart ssh.service 2>/dev/null || systemctl try-reload-or-restart sshd.service; else service ssh reload; fi';
