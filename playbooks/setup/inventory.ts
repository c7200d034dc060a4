/**
 * inventory/hosts.yml from the answers, in Ansible's shape (all → vars, children pve / services), every key with the
 * description its role documents as a comment. Keys no role of this version knows (answers for a role not installed
 * in this version) are written as comments, so the file always loads.
 */
import { Document, isMap, isScalar, isSeq, type Pair, type Scalar, type YAMLMap } from 'yaml';
import type { VarValue } from '../../lib/api/role.ts';
import type { VarSchema } from '../../lib/inventory/types.ts';
import { STACK_PARTS, type Setup } from './model.ts';
import { prefixLength } from './sizing.ts';

type Vars = Record<string, VarValue>;

/** The .env names the inventory refers to, by what they are for. */
export const ENV_NAMES = {
  smtpPassword: 'SMTP_PASSWORD',
  telegramBotToken: 'TELEGRAM_BOT_TOKEN',
  ntfyToken: 'NTFY_TOKEN',
  offsiteRepository: 'RESTIC_OFFSITE_REPOSITORY',
} as const;

export function offsiteEnvNames(kind: Setup['offsite']['kind']): [string, string] | undefined {
  if (kind === 's3') return ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];
  if (kind === 'b2') return ['B2_ACCOUNT_ID', 'B2_ACCOUNT_KEY'];
  return undefined;
}

const ref = (name: string) => `\${${name}}`;

export interface InventoryParts {
  allVars: Vars;
  pveHost: Vars;
  pveVars: Vars;
  servicesHost: Vars;
  servicesVars: Vars;
}

/** Which value goes where (plain data; rendering and comments come after). */
export function inventoryParts(s: Setup): InventoryParts {
  const keyFile = s.pve.keyFile;
  const alert: Vars = { alert_contact: s.alert.contact };
  if (s.alert.contact === 'email') Object.assign(alert, { alert_email_to: s.alert.emailTo, smtp_host: s.alert.smtpHost, smtp_user: s.alert.smtpUser, smtp_from: s.alert.smtpFrom, smtp_password: ref(ENV_NAMES.smtpPassword) });
  if (s.alert.contact === 'telegram') Object.assign(alert, { alert_telegram_chat_id: s.alert.telegramChatId, alert_telegram_bot_token: ref(ENV_NAMES.telegramBotToken) });
  if (s.alert.contact === 'ntfy') Object.assign(alert, { alert_ntfy_url: s.alert.ntfyUrl, ...(s.alert.ntfyToken ? { alert_ntfy_token: ref(ENV_NAMES.ntfyToken) } : {}) });
  const offsite = offsiteEnvNames(s.offsite.kind);
  const backup: Vars = offsite
    ? { backup_offsite_repository: ref(ENV_NAMES.offsiteRepository), backup_offsite_env: { [offsite[0]]: ref(offsite[0]), [offsite[1]]: ref(offsite[1]) } }
    : {};
  return {
    allVars: {
      timezone: s.timezone,
      lan_cidr: s.lanCidr,
      vm_ip: s.vm.ip,
      domain: s.domain,
      stack_profiles: STACK_PARTS.filter((p) => s.parts.includes(p)),
    },
    pveHost: { ansible_host: s.pve.host, ansible_user: s.pve.user, ansible_port: s.pve.port, ansible_ssh_private_key_file: keyFile },
    pveVars: {
      zfs_disks: s.disks,
      vm_id: s.vm.id,
      vm_cores: s.vm.cores,
      vm_memory_mib: s.vm.memoryMiB,
      vm_gateway: s.gateway,
      vm_prefix_len: prefixLength(s.lanCidr),
      vm_ssh_public_key: `${keyFile}.pub`,
    },
    servicesHost: { ansible_host: s.vm.ip, ansible_user: 'admin', ansible_become: true, ansible_ssh_private_key_file: keyFile },
    servicesVars: { pve_ip: s.pve.host, ...alert, ...backup },
  };
}

const HEADER = [
  ' media-server-home inventory, written by `npx zx playbooks/setup.ts` (run it again to change the answers).',
  " Ansible's inventory shape: all → vars / children. Every key the tool reads is in inventory/example.yml; an unknown",
  ' key is an error. Secrets are never here: ${NAME} is taken from .env (mode 0600).',
];

/** A description as comment lines of at most `width` characters. */
export function wrapComment(text: string, width = 110): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(` ${line}`);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(` ${line}`);
  return lines.join('\n');
}

export function renderInventory(s: Setup, schema: VarSchema): string {
  const parts = inventoryParts(s);
  const unknown: string[] = [];
  const known = (vars: Vars): Vars => {
    const out: Vars = {};
    for (const [k, v] of Object.entries(vars)) {
      if (schema.has(k)) out[k] = v;
      else unknown.push(new Document({ [k]: v }).toString({ lineWidth: 0, collectionStyle: 'flow' }).trim().replace(/^\{ (.*) \}$/, '$1'));
    }
    return out;
  };
  const doc = new Document({
    all: {
      vars: known(parts.allVars),
      children: {
        pve: { hosts: { pve: known(parts.pveHost) }, vars: known(parts.pveVars) },
        services: { hosts: { services: known(parts.servicesHost) }, vars: known(parts.servicesVars) },
      },
    },
  });
  doc.commentBefore = HEADER.join('\n');
  const all = doc.get('all', true) as unknown as YAMLMap;
  const children = all.get('children', true) as unknown as YAMLMap;
  comment(children, 'pve', ' The Proxmox VE host: roles proxmox-host, zfs, vm-services-create.');
  comment(children, 'services', ' The Ubuntu VM "services" (vm-services-create makes it): Docker stack, Traefik, monitoring, Tailscale, backups.');
  for (const vars of [all.get('vars', true), children.getIn(['pve', 'hosts', 'pve'], true), children.getIn(['pve', 'vars'], true), children.getIn(['services', 'hosts', 'services'], true), children.getIn(['services', 'vars'], true)]) {
    if (!isMap(vars)) continue;
    for (const pair of vars.items as Pair<Scalar, unknown>[]) {
      const key = String(pair.key.value);
      const description = schema.get(key)?.description;
      if (description) pair.key.commentBefore = wrapComment(description);
      if (key === 'stack_profiles' && isSeq(pair.value)) pair.value.flow = true;
    }
  }
  if (unknown.length) {
    doc.comment = [
      ' Answers for a role this version does not have yet (backup): uncomment under services → vars once it does.',
      ...unknown.map((l) => ` ${l}`),
    ].join('\n');
  }
  return doc.toString({ lineWidth: 0 });
}

function comment(map: YAMLMap, key: string, text: string): void {
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
  if (pair && isScalar(pair.key)) pair.key.commentBefore = text;
}
