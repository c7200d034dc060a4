/** What the setup wizard asks, as data: the answers file's keys and the result the files are written from. */

export const PARTS = ['media', 'photos', 'proxy', 'monitoring', 'tailscale', 'backup'] as const;
export type Part = (typeof PARTS)[number];
/** The parts that are Compose profiles (stack_profiles); tailscale and backup are roles. */
export const STACK_PARTS: readonly Part[] = ['media', 'photos', 'proxy', 'monitoring'];

export const OFFSITE_KINDS = ['none', 's3', 'b2'] as const;
export const ALERT_CONTACTS = ['none', 'email', 'telegram', 'ntfy'] as const;

export interface Setup {
  pve: { host: string; user: string; port: number; keyFile: string };
  lanCidr: string;
  gateway: string;
  vm: { ip: string; id: number; cores: number; memoryMiB: number };
  domain: string;
  timezone: string;
  /** /dev/disk/by-id paths of the pool's disks. */
  disks: string[];
  /** Those of `disks` that hold data: the run needs --wipe <name> --yes for them. */
  wipe: string[];
  parts: Part[];
  tailscaleAuthkey: string;
  offsite: { kind: (typeof OFFSITE_KINDS)[number]; repository: string; keyId: string; secretKey: string };
  alert: {
    contact: (typeof ALERT_CONTACTS)[number];
    emailTo: string;
    smtpHost: string;
    smtpUser: string;
    smtpFrom: string;
    smtpPassword: string;
    telegramChatId: string;
    telegramBotToken: string;
    ntfyUrl: string;
    ntfyToken: string;
  };
}

/** Every key an answers file may hold (the questions' ids), with what it answers. */
export const ANSWER_KEYS: Record<string, string> = {
  pve_host: "the Proxmox VE host's address",
  pve_user: 'the SSH user on it (root)',
  pve_port: 'its SSH port',
  ssh_key: 'the private key to connect with (its .pub also goes into the services VM)',
  lan_cidr: 'your LAN, e.g. 192.168.1.0/24',
  gateway: 'your router',
  vm_ip: "the services VM's address",
  vm_id: "the services VM's VMID",
  vm_cores: 'its CPU cores',
  vm_memory_mib: 'its RAM in MiB',
  domain: 'the domain of the services (home.arpa)',
  timezone: 'tz database name',
  zfs_disks: "the pool's disks, /dev/disk/by-id paths",
  parts: `what to install: ${PARTS.join(', ')}`,
  tailscale_authkey: 'Tailscale auth key (goes to .env)',
  offsite: `off-site backup repository kind: ${OFFSITE_KINDS.join(', ')}`,
  offsite_repository: 'restic repository, e.g. s3:s3.amazonaws.com/bucket/restic or b2:bucket:restic',
  offsite_key_id: 'AWS_ACCESS_KEY_ID or B2_ACCOUNT_ID (goes to .env)',
  offsite_secret_key: 'AWS_SECRET_ACCESS_KEY or B2_ACCOUNT_KEY (goes to .env)',
  alert_contact: `where alerts go: ${ALERT_CONTACTS.join(', ')}`,
  alert_email_to: 'email: recipient(s)',
  smtp_host: 'email: SMTP host:port',
  smtp_user: 'email: SMTP user',
  smtp_from: 'email: sender address',
  smtp_password: 'email: SMTP password (goes to .env)',
  alert_telegram_chat_id: 'telegram: chat id',
  telegram_bot_token: 'telegram: bot token (goes to .env)',
  alert_ntfy_url: 'ntfy: topic URL',
  ntfy_token: 'ntfy: access token for a protected topic (goes to .env)',
};
