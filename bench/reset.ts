/**
 * What makes run (a) a first converge: before each run, the host is put back to what it was before base and hardening
 * (as on a freshly started lab host), so every run — ours and Ansible's — does the whole work: download (from the
 * lab's apt proxy) and install the packages, write every file, enable UFW, restart the services.
 *
 * Undone: the packages hardening installs that the lab image lacks (fail2ban, python3-systemd, ufw, unattended-upgrades,
 * purged with their configuration, and the .deb cache emptied), UFW's rules (ufw reset), the sshd drop-in (sshd reloaded
 * without it), base's /etc/timezone, cron's EXTRA_OPTS and the journald drop-in. Kept: packages the image has (openssh-server,
 * cron, curl, ca-certificates), the time zone link (Etc/UTC already), apt's package lists (both tools update them only
 * when older than an hour), and Traefik's access log, which Traefik (deployed by the site) holds open.
 */
export const RESET_SCRIPT = `set -e
export DEBIAN_FRONTEND=noninteractive
if command -v ufw >/dev/null 2>&1; then ufw --force reset >/dev/null; fi
if [ -d /run/systemd/system ] && systemctl is-active --quiet fail2ban; then systemctl stop fail2ban; fi
apt-get purge -y -o DPkg::Lock::Timeout=120 fail2ban python3-systemd ufw unattended-upgrades >/dev/null
apt-get autoremove --purge -y -o DPkg::Lock::Timeout=120 >/dev/null
apt-get clean
rm -rf /etc/ufw /etc/fail2ban
rm -f /etc/apt/apt.conf.d/20auto-upgrades
rm -f /etc/ssh/sshd_config.d/00-media-server-home.conf
systemctl reload ssh
rm -f /etc/timezone /etc/systemd/journald.conf.d/50-media-server-home.conf
if [ -f /etc/default/cron ]; then sed -i 's/^EXTRA_OPTS=.*/EXTRA_OPTS=""/' /etc/default/cron; fi
systemctl restart systemd-journald cron
`;
