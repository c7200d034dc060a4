import { defineRole } from '../../lib/api/role.ts';
import type { Handler, Step } from '../../lib/api/step.ts';
import { assertOk } from '../../lib/connectors/connector.ts';
import type { Facts } from '../../lib/facts/facts.ts';
import { ipInCidr, isCidr, parseIPv4 } from '../../lib/net/cidr.ts';
import { dirname } from 'node:path';
import { shq } from '../../lib/connectors/shell.ts';
import { apt, blockInFile, command, directory, file, guardedChange, service, systemdUnit, ufw } from '../../lib/modules/index.ts';
import { ufwAllowRules } from './ufw-rules.ts';
import { defaults, docs } from './defaults.ts';
import { jailsFile } from './jails-file.ts';
import { jails, PROXMOX_FILTER, TRAEFIK_AUTH_FILTER } from './templates/fail2ban.ts';
import { dockerUserRules } from './templates/docker-user.ts';
import { shareMethod } from '../zfs/settings.ts';
import { CLUSTER_FW, clusterFirewall, NFS_PORT, PVE_FIREWALL_APPLY } from './templates/pve-firewall.ts';
import { SSHD_DROP_IN, SSHD_RELOAD, SSHD_VALIDATE, sshdDropIn } from './templates/sshd.ts';
import { AUTO_UPGRADES, PENDING_UPDATES_SCRIPT, PENDING_UPDATES_SERVICE, PENDING_UPDATES_TIMER } from './templates/upgrades.ts';
import { verifyHardening } from './verify.ts';

type V = typeof defaults;

/** Tailscale's address range (CGNAT space). */
const TAILSCALE_CIDR = '100.64.0.0/10';

export const isProxmox = (f: Facts) => f.pveVersion !== '';
const onProxmox = (f: Facts) => isProxmox(f) || 'not a Proxmox VE host';
const notProxmox = (f: Facts) => !isProxmox(f) || 'Proxmox VE host (uses the Proxmox firewall, reports updates only)';

/** Refuses, before anything changes, SSH settings that would shut out the user this run connects as. */
function admitsConnectingUser(v: V): Step {
  return {
    title: 'SSH settings admit the connecting user',
    tags: ['ssh'],
    check(ctx) {
      const user = ctx.facts.loginUser;
      if (!isProxmox(ctx.facts) && v.ssh_root_login === 'no' && user === 'root') {
        throw new Error(
          'this run connects as root, and ssh_root_login is "no": that would lock you out — connect as an admin user with sudo (ansible_user + ansible_become: true), or set ssh_root_login: prohibit-password',
        );
      }
      if (v.ssh_allow_users.length && !v.ssh_allow_users.includes(user)) {
        throw new Error(`ssh_allow_users (${v.ssh_allow_users.join(', ')}) does not include ${user}, the user this run connects as: add it`);
      }
      return null;
    },
    apply: async () => undefined,
  };
}

function sshd(v: V, proxmox: boolean): Step {
  return guardedChange({
    title: proxmox ? 'SSH: keys only (root by key, as Proxmox needs)' : 'SSH: keys only',
    tags: ['ssh'],
    when: proxmox ? onProxmox : notProxmox,
    what: 'the sshd configuration',
    files: [
      {
        path: SSHD_DROP_IN,
        content: sshdDropIn({ permitRootLogin: proxmox ? 'prohibit-password' : (v.ssh_root_login as 'no' | 'prohibit-password'), allowUsers: v.ssh_allow_users, allowGroups: v.ssh_allow_groups }),
        mode: '0644',
        owner: 'root',
        group: 'root',
        validate: SSHD_VALIDATE,
      },
    ],
    activate: SSHD_RELOAD,
    rollbackAfterSec: v.lockout_rollback_seconds,
  });
}

/** Whether this Proxmox host exports the datasets over NFS: role zfs decides it the same way (zfs_share, the PVE version). */
export function exportsNfs(zfsShare: string, pveVersion: string): { nfs: boolean; why: string } {
  const m = shareMethod(zfsShare, pveVersion);
  return 'error' in m ? { nfs: false, why: m.error } : { nfs: m.method === 'nfs', why: m.why };
}

/**
 * The Proxmox firewall (cluster.fw). Its content depends on the host's facts: with NFS sharing, the VM's address is let in
 * on NFS (role zfs exports to it alone), so the rules are made at check time and apply writes what check compared.
 */
export function pveFirewall(v: V): Step {
  const build = (nfsClient?: string) =>
    guardedChange({
      title: 'Firewall: Proxmox allows SSH and the web UI only from the LAN and Tailscale',
      tags: ['firewall'],
      when: onProxmox,
      what: 'the Proxmox firewall',
      // /etc/pve is Proxmox's cluster file system: it sets owner and mode itself.
      files: [{ path: CLUSTER_FW, content: clusterFirewall({ lanCidr: v.lan_cidr, sshPort: v.ssh_port, nfsClient }) }],
      refuse: (f) =>
        f.sshClient && !ipInCidr(f.sshClient, v.lan_cidr) && !ipInCidr(f.sshClient, TAILSCALE_CIDR)
          ? `its rules would not let your SSH client ${f.sshClient} in: set lan_cidr to a range that contains it`
          : undefined,
      activate: PVE_FIREWALL_APPLY,
      rollbackAfterSec: v.lockout_rollback_seconds,
    });
  const shape = build();
  let decided: Step | undefined;
  return {
    ...shape,
    check(ctx, probe) {
      const share = exportsNfs(v.zfs_share, ctx.facts.pveVersion);
      if (share.nfs && v.vm_ip === '') {
        throw new Error(`the datasets are shared over NFS (${share.why}), and vm_ip is not set: set vm_ip to the services VM's address, the only one the firewall lets reach NFS (TCP ${NFS_PORT})`);
      }
      decided = build(share.nfs ? v.vm_ip : undefined);
      if (share.nfs) ctx.log(`NFS (TCP ${NFS_PORT}) open to ${v.vm_ip}: ${share.why}`);
      return decided.check(ctx, probe);
    },
    apply(ctx, change) {
      return (decided ?? shape).apply(ctx, change);
    },
  };
}

export const hardening = defineRole({
  name: 'hardening',
  description: 'SSH keys only, firewall (UFW or the Proxmox firewall), Fail2ban, security updates',
  hosts: 'all',
  defaults,
  docs,
  validate(v) {
    if (!isCidr(v.lan_cidr)) return { key: 'lan_cidr', message: `"${v.lan_cidr}" is not an IPv4 network`, fix: 'write it like 192.168.1.0/24' };
    if (!['no', 'prohibit-password'].includes(v.ssh_root_login)) {
      return { key: 'ssh_root_login', message: `"${v.ssh_root_login}" is not allowed`, fix: 'use no or prohibit-password (never yes: passwords are off)' };
    }
    if (!/^\d+[smhdw]?$/.test(v.fail2ban_bantime)) return { key: 'fail2ban_bantime', message: `"${v.fail2ban_bantime}" is not a duration`, fix: 'e.g. 10m, 1h, 1d' };
    if (v.vm_ip !== '' && parseIPv4(v.vm_ip) === undefined) return { key: 'vm_ip', message: `"${v.vm_ip}" is not an IPv4 address`, fix: "the services VM's address, e.g. 192.168.1.20" };
    return undefined;
  },
  steps: (v) => [
    apt({ title: 'Install SSH and Fail2ban', packages: ['openssh-server', 'fail2ban', 'python3-systemd'], tags: ['packages'] }),
    apt({ title: 'Install UFW and unattended-upgrades', packages: ['ufw', 'unattended-upgrades'], when: notProxmox, tags: ['packages'] }),
    admitsConnectingUser(v),
    sshd(v, true),
    sshd(v, false),
    ufw({
      title: 'Firewall: UFW allows only the LAN and Tailscale',
      tags: ['firewall'],
      when: notProxmox,
      rules: ufwAllowRules(v),
      sshPort: v.ssh_port,
      rollbackAfterSec: v.lockout_rollback_seconds,
    }),
    blockInFile({
      title: 'Firewall: Docker-published ports only from the LAN and Tailscale',
      tags: ['firewall'],
      when: notProxmox,
      path: '/etc/ufw/after.rules',
      marker: 'docker-user',
      block: dockerUserRules(v.lan_cidr),
      notify: ['reload ufw'],
    }),
    directory({ title: 'Proxmox firewall directory', path: '/etc/pve/firewall', tags: ['firewall'], when: onProxmox }),
    pveFirewall(v),
    // Fail2ban will not start a jail whose log is missing, and Traefik writes it only once deployed.
    command({ title: "Traefik's access log exists for Fail2ban", tags: ['fail2ban'], run: `mkdir -p ${shq(dirname(v.traefik_access_log))} && touch ${shq(v.traefik_access_log)}`, creates: v.traefik_access_log, when: notProxmox }),
    file({ title: 'Fail2ban filter for Traefik logins', tags: ['fail2ban'], path: '/etc/fail2ban/filter.d/traefik-auth.conf', content: TRAEFIK_AUTH_FILTER, when: notProxmox, mode: '0644', notify: ['reload fail2ban'] }),
    jailsFile({ title: 'Fail2ban jails', when: notProxmox }, (ignore) => jails({ bantime: v.fail2ban_bantime, maxretry: v.fail2ban_maxretry, ignore, proxmox: false, traefikAccessLog: v.traefik_access_log })),
    jailsFile({ title: 'Fail2ban jails (with the Proxmox web UI)', when: onProxmox }, (ignore) => jails({ bantime: v.fail2ban_bantime, maxretry: v.fail2ban_maxretry, ignore, proxmox: true })),
    file({ title: 'Fail2ban filter for the Proxmox web UI', tags: ['fail2ban'], path: '/etc/fail2ban/filter.d/proxmox.conf', content: PROXMOX_FILTER, when: onProxmox, mode: '0644', notify: ['reload fail2ban'] }),
    service({ title: 'Fail2ban running', tags: ['fail2ban'], name: 'fail2ban', enabled: true, state: 'started' }),
    file({ title: 'Unattended security upgrades', tags: ['upgrades'], path: '/etc/apt/apt.conf.d/20auto-upgrades', content: AUTO_UPGRADES, mode: '0644', when: (f) => (v.unattended_upgrades ? notProxmox(f) : 'unattended_upgrades is false') }),
    apt({ title: 'No unattended upgrades of the hypervisor', packages: ['unattended-upgrades'], state: 'absent', tags: ['upgrades'], when: onProxmox }),
    file({ title: 'Pending-updates counter', tags: ['upgrades'], path: '/usr/local/sbin/msh-apt-pending', content: PENDING_UPDATES_SCRIPT, mode: '0755', when: onProxmox }),
    systemdUnit({ title: 'Pending-updates service', tags: ['upgrades'], name: 'msh-apt-pending.service', content: PENDING_UPDATES_SERVICE, when: onProxmox }),
    systemdUnit({ title: 'Pending-updates timer', tags: ['upgrades'], name: 'msh-apt-pending.timer', content: PENDING_UPDATES_TIMER, when: onProxmox }),
    service({ title: 'Pending-updates timer enabled', tags: ['upgrades'], name: 'msh-apt-pending.timer', enabled: true, state: 'started', when: onProxmox }),
  ],
  handlers: (): Handler[] => [
    {
      name: 'reload fail2ban',
      run: async (ctx) => {
        assertOk(await ctx.conn.run('fail2ban-client -t'), 'fail2ban-client -t (the configuration test)');
        assertOk(await ctx.conn.run('if [ -d /run/systemd/system ]; then systemctl reload-or-restart fail2ban; else service fail2ban restart; fi'), 'reloading fail2ban');
      },
    },
    {
      name: 'reload ufw',
      run: async (ctx) => {
        assertOk(await ctx.conn.run('if ufw status | grep -q "^Status: active"; then ufw reload; fi'), 'reloading ufw');
      },
    },
  ],
  verify: verifyHardening,
});
