/** The media server's first-install questions, in order, each with a default that works when Enter is all you press. */
import { BY_ID_DIR, type ListedDisk } from '../../lib/modules/disks/list.ts';
import { formatBytes } from '../../lib/modules/disks/safety.ts';
import { ipInCidr, isCidr, parseIPv4 } from '../../lib/net/cidr.ts';
import type { Prompter } from '../../lib/wizard/prompter.ts';
import { ALERT_CONTACTS, OFFSITE_KINDS, PARTS, type Part, type Setup } from './model.ts';
import { reachPve, type PveAccess, type PveFound } from './pve.ts';
import { cidrAround, defaultGateway, defaultVmIp, vmCores, vmMemoryMiB } from './sizing.ts';

export interface SetupContext {
  offline: boolean;
  access: PveAccess;
  /** The private key offered by default (the first of ~/.ssh/id_ed25519, id_ecdsa, id_rsa that exists). */
  defaultKey: string;
  /** This machine's time zone, the default. */
  timezone: string;
  /** Values already in .env: the defaults of the secret questions. */
  env: Record<string, string>;
}

/** vm-services-create's own default (vm_host_reserved_mib): what the VM must leave to Proxmox VE. */
const HOST_RESERVED_MIB = 2048;
const HOST = /^[A-Za-z0-9][A-Za-z0-9.:-]*$/;
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const TZ = /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/;
const EMAIL = /^[^@\s;]+@[^@\s;]+$/;

const need = (ok: boolean, why: string): true | string => (ok ? true : why);

export async function askSetup(p: Prompter, ctx: SetupContext): Promise<Setup> {
  p.say('media-server-home setup: Enter takes the default in brackets. Nothing is written before the end.');
  p.say('');
  p.say('— The Proxmox VE host —');
  const host = await p.text({ id: 'pve_host', message: "Proxmox host's address", default: '192.168.1.10', validate: (v) => need(HOST.test(v), 'an IPv4 address or a host name') });
  const user = await p.text({ id: 'pve_user', message: 'SSH user on it', default: 'root', validate: (v) => need(/^[a-z_][a-z0-9_-]*$/.test(v), 'a user name, e.g. root') });
  const port = await p.integer({ id: 'pve_port', message: 'SSH port', default: 22, min: 1, max: 65535 });
  const keyFile = await p.text({ id: 'ssh_key', message: 'Private SSH key (its .pub also goes into the services VM)', default: ctx.defaultKey, validate: (v) => need(v !== '' && !v.endsWith('.pub'), 'the private key, not the .pub') });

  let found: PveFound = { offline: true };
  if (!ctx.offline) found = await reachPve(p, ctx.access, { host, port, user, keyFile });
  const facts = found.facts;

  p.say('');
  p.say('— Network —');
  const lanCidr = await p.text({ id: 'lan_cidr', message: 'Your LAN (CIDR)', default: cidrAround(parseIPv4(host) !== undefined ? host : '192.168.1.10'), validate: (v) => need(isCidr(v), 'a network like 192.168.1.0/24') });
  const gateway = await p.text({ id: 'gateway', message: 'Your router (gateway)', default: defaultGateway(lanCidr), validate: (v) => need(parseIPv4(v) !== undefined && ipInCidr(v, lanCidr), `an address inside ${lanCidr}`) });
  const vmIp = await p.text({
    id: 'vm_ip',
    message: "The services VM's address (static, outside your router's DHCP range)",
    default: defaultVmIp(lanCidr, [gateway, host]),
    validate: (v) => need(parseIPv4(v) !== undefined && ipInCidr(v, lanCidr) && v !== gateway && v !== host, `a free address inside ${lanCidr}, not the router's or the Proxmox host's`),
  });

  p.say('');
  p.say(`— The services VM —${facts ? ` (defaults sized from ${facts.hostname}: ${facts.memoryMiB} MiB RAM, ${facts.cpus} CPUs)` : ''}`);
  const vmId = await p.integer({ id: 'vm_id', message: 'VMID', default: 100, min: 100, max: 999_999_999 });
  const cores = await p.integer({ id: 'vm_cores', message: 'CPU cores', default: facts ? vmCores(facts.cpus) : 4, min: 1, max: facts?.cpus ?? 512 });
  const maxMemory = facts ? facts.memoryMiB - HOST_RESERVED_MIB : Number.MAX_SAFE_INTEGER;
  const memoryMiB = await p.integer({
    id: 'vm_memory_mib',
    message: 'Memory (MiB)',
    default: facts ? vmMemoryMiB(facts.memoryMiB) : 6144,
    min: 512,
    validate: (v) => need(v <= maxMemory, `at most ${maxMemory} (the host's RAM minus ${HOST_RESERVED_MIB} MiB for Proxmox VE)`),
  });

  p.say('');
  p.say('— Names —');
  const domain = await p.text({ id: 'domain', message: 'Domain of the services (https://jellyfin.<domain> …)', default: 'home.arpa', validate: (v) => need(v.split('.').every((l) => LABEL.test(l)), 'lower-case DNS labels separated by dots, e.g. home.arpa') });
  const timezone = await p.text({ id: 'timezone', message: 'Time zone', default: ctx.timezone, validate: (v) => need(TZ.test(v), 'a tz database name, e.g. Europe/Paris') });

  p.say('');
  p.say('— The ZFS pool —');
  const { disks, wipe } = await askDisks(p, found.disks);

  p.say('');
  p.say('— What to install —');
  const parts = await p.checkbox<Part>({
    id: 'parts',
    message: 'Parts (space toggles, Enter confirms)',
    default: [...PARTS],
    choices: [
      { value: 'media', name: 'media: Jellyfin' },
      { value: 'photos', name: 'photos: Immich' },
      { value: 'proxy', name: 'proxy: Traefik (HTTPS)' },
      { value: 'monitoring', name: 'monitoring: Prometheus, Grafana, alerts' },
      { value: 'tailscale', name: 'tailscale: remote access' },
      { value: 'backup', name: 'backup: restic' },
    ],
  });

  let tailscaleAuthkey = '';
  if (parts.includes('tailscale')) {
    tailscaleAuthkey = await p.secret({
      id: 'tailscale_authkey',
      message: 'Tailscale auth key (tskey-…; empty: add TAILSCALE_AUTHKEY to .env later)',
      default: ctx.env.TAILSCALE_AUTHKEY ?? '',
      validate: (v) => need(v === '' || /^tskey-[A-Za-z0-9-]+$/.test(v), 'a key starting with tskey-'),
    });
  }

  const offsite: Setup['offsite'] = { kind: 'none', repository: '', keyId: '', secretKey: '' };
  if (parts.includes('backup')) {
    offsite.kind = await p.select({
      id: 'offsite',
      message: 'Off-site copy of the backups (recommended: a repository on the pool dies with the pool)',
      default: ctx.env.B2_ACCOUNT_ID ? 'b2' : ctx.env.AWS_ACCESS_KEY_ID ? 's3' : 'none',
      choices: OFFSITE_KINDS.map((k) => ({ value: k, name: { none: 'none for now', s3: 'S3 (AWS or compatible)', b2: 'Backblaze B2' }[k] })),
    });
    if (offsite.kind !== 'none') {
      const kind = offsite.kind;
      const example = kind === 's3' ? 's3:s3.amazonaws.com/<bucket>/restic' : 'b2:<bucket>:restic';
      offsite.repository = await p.text({
        id: 'offsite_repository',
        message: `restic repository (${example})`,
        default: ctx.env.RESTIC_OFFSITE_REPOSITORY ?? '',
        validate: (v) => need(v.startsWith(`${kind}:`) && v.length > kind.length + 1 && !/\s/.test(v), `e.g. ${example}`),
      });
      const [idName, keyName] = kind === 's3' ? ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] : ['B2_ACCOUNT_ID', 'B2_ACCOUNT_KEY'];
      offsite.keyId = await p.text({ id: 'offsite_key_id', message: idName, default: ctx.env[idName] ?? '', validate: (v) => need(v !== '' && !/\s/.test(v), 'required for the off-site repository') });
      offsite.secretKey = await p.secret({ id: 'offsite_secret_key', message: keyName, default: ctx.env[keyName] ?? '', validate: (v) => need(v !== '' && !/\s/.test(v), 'required for the off-site repository') });
    }
  }

  const alert = await askAlerts(p, ctx, parts);
  return { pve: { host, user, port, keyFile }, lanCidr, gateway, vm: { ip: vmIp, id: vmId, cores, memoryMiB }, domain, timezone, disks, wipe, parts, tailscaleAuthkey, offsite, alert };
}

/** A line per disk: by-id name, size, model, and blank / holds data. */
export function diskLabel(d: ListedDisk): string {
  const name = d.byId ? d.byId.slice(BY_ID_DIR.length + 1) : d.device;
  const what = d.state === 'blank' ? 'blank' : d.state === 'data' ? `holds data, needs --wipe: ${d.detail}` : `in use: ${d.detail}`;
  return `${name}  ${formatBytes(d.size)}  ${d.model || '(no model)'}  ${d.device}  — ${what}`;
}

async function askDisks(p: Prompter, listed: ListedDisk[] | undefined): Promise<{ disks: string[]; wipe: string[] }> {
  if (!listed) {
    const disks = await p.list({
      id: 'zfs_disks',
      message: `The pool's disks as ${BY_ID_DIR}/… paths, separated by spaces (ls -l ${BY_ID_DIR}/ on the host; Enter: none for now)`,
      default: [],
      validate: (v) => {
        const bad = v.find((d) => !d.startsWith(`${BY_ID_DIR}/`) || /-part\d+$/.test(d));
        return need(!bad, `"${bad}" is not a whole disk under ${BY_ID_DIR}/`);
      },
    });
    return { disks, wipe: [] };
  }
  const choices = listed.map((d) => ({
    value: d.byId || d.device,
    name: diskLabel(d),
    ...(d.state === 'in-use' ? { disabled: `in use: ${d.detail}` } : !d.byId ? { disabled: `no ${BY_ID_DIR} name` } : {}),
  }));
  for (const d of listed) p.say(`  ${diskLabel(d)}`);
  const offered = choices.filter((c) => !c.disabled);
  if (offered.length === 0) p.say('  No disk can hold the pool (every one is in use or has no by-id name).');
  const disks = await p.checkbox({
    id: 'zfs_disks',
    message: 'Disks for the pool (space toggles; 1 disk: single, 2: mirror, 3+: raidz1)',
    default: listed.filter((d) => d.state === 'blank' && d.byId).map((d) => d.byId),
    choices,
  });
  const wipe = disks.filter((d) => listed.find((l) => l.byId === d)?.state === 'data');
  for (const d of wipe) p.say(`  ${d} holds data: the first run needs --wipe ${d.slice(BY_ID_DIR.length + 1)} --yes (it erases it).`);
  return { disks, wipe };
}

async function askAlerts(p: Prompter, ctx: SetupContext, parts: Part[]): Promise<Setup['alert']> {
  const a: Setup['alert'] = { contact: 'none', emailTo: '', smtpHost: '', smtpUser: '', smtpFrom: '', smtpPassword: '', telegramChatId: '', telegramBotToken: '', ntfyUrl: '', ntfyToken: '' };
  if (!parts.includes('monitoring')) return a;
  p.say('');
  p.say('— Alerts —');
  a.contact = await p.select({ id: 'alert_contact', message: 'Where firing alerts go', default: 'none', choices: ALERT_CONTACTS.map((c) => ({ value: c })) });
  if (a.contact === 'email') {
    a.emailTo = await p.text({ id: 'alert_email_to', message: 'Send alerts to (addresses separated by ;)', default: '', validate: (v) => need(v.split(';').every((e) => EMAIL.test(e.trim())), 'e.g. you@example.com') });
    a.smtpHost = await p.text({ id: 'smtp_host', message: 'SMTP server (host:port)', default: '', validate: (v) => need(/^[A-Za-z0-9.-]+:\d{1,5}$/.test(v), 'e.g. smtp.example.com:587') });
    a.smtpUser = await p.text({ id: 'smtp_user', message: 'SMTP user', default: '' });
    a.smtpFrom = await p.text({ id: 'smtp_from', message: 'Sender address', default: a.smtpUser.includes('@') ? a.smtpUser : '', validate: (v) => need(EMAIL.test(v), 'e.g. grafana@example.com') });
    a.smtpPassword = await p.secret({ id: 'smtp_password', message: 'SMTP password', default: ctx.env.SMTP_PASSWORD ?? '', validate: (v) => need(v !== '', 'required') });
  } else if (a.contact === 'telegram') {
    a.telegramChatId = await p.text({ id: 'alert_telegram_chat_id', message: 'Telegram chat id', default: '', validate: (v) => need(/^-?\d+$/.test(v), 'a number, e.g. 123456789') });
    a.telegramBotToken = await p.secret({ id: 'telegram_bot_token', message: 'Telegram bot token', default: ctx.env.TELEGRAM_BOT_TOKEN ?? '', validate: (v) => need(v !== '', 'required') });
  } else if (a.contact === 'ntfy') {
    a.ntfyUrl = await p.text({ id: 'alert_ntfy_url', message: 'ntfy topic URL', default: '', validate: (v) => need(/^https?:\/\/[^\s/]+\/[A-Za-z0-9_-]+$/.test(v), 'e.g. https://ntfy.sh/my-secret-topic') });
    a.ntfyToken = await p.secret({ id: 'ntfy_token', message: 'ntfy access token (empty for a public topic)', default: ctx.env.NTFY_TOKEN ?? '' });
  }
  return a;
}
