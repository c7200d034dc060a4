import { fileContains, outputMatches, serviceActive, type VerifyCheck } from '../../lib/api/verify.ts';
import { shq } from '../../lib/connectors/shell.ts';
import { ufwRuleWords } from '../../lib/modules/ufw.ts';
import type { defaults } from './defaults.ts';
import { ufwAllowRules } from './ufw-rules.ts';
import { CLUSTER_FW, NFS_PORT } from './templates/pve-firewall.ts';

const PROXMOX = { script: 'command -v pveversion >/dev/null', reason: 'not a Proxmox VE host' };
const NOT_PROXMOX = { script: '! command -v pveversion >/dev/null', reason: 'Proxmox VE host' };

export function verifyHardening(v: typeof defaults): VerifyCheck[] {
  return [
    outputMatches('sshd -T: no passwords, no keyboard-interactive', 'sshd -T 2>/dev/null | grep -E "^(passwordauthentication|kbdinteractiveauthentication|pubkeyauthentication) "', /passwordauthentication no[\s\S]*kbdinteractiveauthentication no|kbdinteractiveauthentication no[\s\S]*passwordauthentication no/),
    { ...outputMatches('sshd -T: root by key only on Proxmox', 'sshd -T | grep "^permitrootlogin "', /^permitrootlogin without-password$/m), skipUnless: PROXMOX },
    { ...outputMatches(`sshd -T: PermitRootLogin ${v.ssh_root_login}`, 'sshd -T | grep "^permitrootlogin "', new RegExp(`^permitrootlogin ${v.ssh_root_login === 'no' ? 'no' : 'without-password'}$`, 'm')), skipUnless: NOT_PROXMOX },
    outputMatches(
      'a password login is refused (the server offers public keys only)',
      `ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o PubkeyAuthentication=no -o PreferredAuthentications=password,keyboard-interactive -p ${v.ssh_port} nobody@127.0.0.1 true 2>&1 || true`,
      /Permission denied \(publickey\)/,
    ),
    { ...outputMatches('ufw is active, denies incoming by default', 'ufw status verbose', /Status: active[\s\S]*Default: deny \(incoming\)/), skipUnless: NOT_PROXMOX },
    {
      title: 'ufw has exactly the intended rules',
      script: 'ufw show added',
      skipUnless: NOT_PROXMOX,
      expect: (r) => {
        const rules = r.stdout.split('\n').filter((l) => l.startsWith('ufw ')).sort();
        const want = ufwAllowRules(v).map((rule) => `ufw ${ufwRuleWords(rule)}`).sort();
        return JSON.stringify(rules) === JSON.stringify(want) ? undefined : `rules are ${JSON.stringify(rules)}`;
      },
    },
    { ...fileContains('/etc/pve/firewall/cluster.fw', `IN ACCEPT -source ${v.lan_cidr} -p tcp -dport 8006`), skipUnless: PROXMOX },
    { ...fileContains('/etc/pve/firewall/cluster.fw', `IN ACCEPT -source ${v.lan_cidr} -p tcp -dport 9100`), skipUnless: PROXMOX },
    ...nfsRule(v),
    serviceActive('fail2ban'),
    outputMatches('the sshd jail is up', 'fail2ban-client status sshd', /Status for the jail: sshd/),
    { ...outputMatches('the Traefik login jail is up', 'fail2ban-client status traefik-auth', /Status for the jail: traefik-auth/), skipUnless: NOT_PROXMOX },
    {
      // A line in Traefik's documented Common Log Format, as its access log writes it for a failed basic-auth login.
      ...outputMatches(
        'the Traefik filter matches a failed login line',
        `fail2ban-regex '192.168.1.50 - - [27/Nov/2026:10:00:00 +0000] "GET /dashboard/ HTTP/2.0" 401 17 "-" "curl/8.5.0" 42 "dashboard@docker" "-" 0ms' /etc/fail2ban/filter.d/traefik-auth.conf`,
        /Lines: 1 lines, 0 ignored, 1 matched/,
      ),
      skipUnless: NOT_PROXMOX,
    },
    { ...outputMatches('the Proxmox web UI jail is up', 'fail2ban-client status proxmox', /Status for the jail: proxmox/), skipUnless: PROXMOX },
    { ...outputMatches('unattended security upgrades are on', 'apt-config dump | grep -E "APT::Periodic::Unattended-Upgrade"', /"1"/), skipUnless: NOT_PROXMOX },
    { ...outputMatches('the hypervisor is never upgraded unattended', "dpkg-query -W -f='${db:Status-Abbrev}' unattended-upgrades 2>/dev/null || echo none", /^(none|un|rc)/), skipUnless: PROXMOX },
    { ...outputMatches('pending updates are counted for Prometheus', 'systemctl start msh-apt-pending.service && cat /var/lib/prometheus/node-exporter/apt-pending.prom', /apt_upgrades_pending\{kind="all"\} \d+/), skipUnless: PROXMOX },
  ];
}

/**
 * With NFS sharing (role zfs exports the datasets to vm_ip, in /etc/exports), the Proxmox firewall lets the VM, and only
 * the VM, reach NFSv4: the export alone is not enough while the firewall drops incoming traffic by default.
 */
function nfsRule(v: typeof defaults): VerifyCheck[] {
  if (v.vm_ip === '') return [];
  const exported = { script: `command -v pveversion >/dev/null && grep -qsF -- ${shq(` ${v.vm_ip}(`)} /etc/exports`, reason: `no NFS export to ${v.vm_ip} on this host (the datasets are not shared over NFS)` };
  return [
    {
      title: `${CLUSTER_FW} admits NFS (TCP ${NFS_PORT}) from ${v.vm_ip} alone`,
      script: `cat ${shq(CLUSTER_FW)}`,
      skipUnless: exported,
      expect: (r) => {
        if (r.code !== 0) return `cannot read ${CLUSTER_FW}: ${r.stderr.trim()}`;
        const sources = r.stdout.split('\n').filter((l) => new RegExp(`^IN ACCEPT .*-dport ${NFS_PORT}\\b`).test(l)).map((l) => /-source (\S+)/.exec(l)?.[1] ?? 'any address');
        return sources.length === 1 && sources[0] === v.vm_ip ? undefined : `NFS rules for ${sources.join(', ') || 'nobody'}`;
      },
    },
  ];
}
