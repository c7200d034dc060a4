/**
 * How a VM gets its per-run identity without the controller mounting its disk: hostname, address, apt proxy, SSH
 * host keys and authorized_keys (and the Proxmox simulator: it changes often, the image takes minutes to bake) are
 * written into a directory, tarred, and handed to QEMU as a fw_cfg file. A oneshot unit baked into the image extracts
 * it early in the first boot of each overlay, before networking and sshd start.
 * (fw_cfg rather than a seed disk: the guest sees no extra block device next to the disks the roles look at.)
 */
import { chmodSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostDir, type LabConfig, type VmHost } from './config.ts';
import { run } from './exec.ts';
import { personalize } from './host-root.ts';
import { removeTree } from './mounts.ts';

/** QEMU wants user fw_cfg names under opt/, with a domain to avoid clashes. */
export const SEED_FW_CFG_NAME = 'opt/org.media-server-home/seed.tar';
const GUEST_SEED_FILE = `/sys/firmware/qemu_fw_cfg/by_name/${SEED_FW_CFG_NAME}/raw`;
const GUEST_DONE_FILE = '/var/lib/msh-lab/seeded';

/** The seed as a directory; it holds the host's public keys for known_hosts. */
export const seedDir = (cfg: LabConfig, host: VmHost): string => join(hostDir(cfg, host), 'seed');
export const seedTar = (cfg: LabConfig, host: VmHost): string => join(hostDir(cfg, host), 'seed.tar');

export async function writeSeed(cfg: LabConfig, host: VmHost, authorizedKey: string): Promise<string> {
  const dir = seedDir(cfg, host);
  await removeTree(dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  await personalize(cfg, host, dir, authorizedKey);
  const tar = seedTar(cfg, host);
  await run('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', dir, '-cf', tar, ...readdirSync(dir).sort()]);
  return tar;
}

const SEED_SCRIPT = `#!/bin/sh
# Installed by the media-server-home lab: applies the per-run seed that QEMU passes as fw_cfg ${SEED_FW_CFG_NAME}.
set -eu
seed=${GUEST_SEED_FILE}
modprobe qemu_fw_cfg
i=0
while [ ! -e "$seed" ]; do
	i=$((i + 1))
	[ "$i" -le 100 ] || { echo "msh-lab-seed: $seed did not appear (was QEMU started without -fw_cfg?)" >&2; exit 1; }
	sleep 0.1
done
# --no-overwrite-dir: existing directories (/, /root, /etc, /usr/local/bin) keep their owner and mode.
tar -x -p --numeric-owner --no-overwrite-dir -f "$seed" -C /
hostname "$(cat /etc/hostname)"
# The admin user the inventory connects as, like the one cloud-init makes on the real VM ('*': no password, not locked).
if [ -f /var/lib/msh-lab/admin-user ]; then
	user=$(cat /var/lib/msh-lab/admin-user)
	id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash --groups sudo "$user"
	usermod --password '*' "$user"
	install -d -o "$user" -g "$user" -m 0700 "/home/$user/.ssh"
	install -o "$user" -g "$user" -m 0600 /var/lib/msh-lab/admin-authorized_keys "/home/$user/.ssh/authorized_keys"
fi
mkdir -p ${GUEST_DONE_FILE.replace(/\/[^/]+$/, '')}
: >${GUEST_DONE_FILE}
`;

// Once per overlay: a role that changes /etc/hosts and reboots the VM must not get the seed's version back.
const SEED_UNIT = `[Unit]
Description=media-server-home lab: per-run seed from QEMU fw_cfg (hostname, address, SSH host keys)
DefaultDependencies=no
After=local-fs.target
Before=sysinit.target network-pre.target ifupdown-pre.service networking.service ssh.service
Wants=network-pre.target
ConditionPathExists=!${GUEST_DONE_FILE}

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/msh-lab-seed

[Install]
WantedBy=sysinit.target
`;

/** Puts the seed script and its enabled unit into an image's root filesystem. */
export function installSeedService(root: string): void {
  const script = join(root, 'usr', 'local', 'sbin', 'msh-lab-seed');
  mkdirSync(join(root, 'usr', 'local', 'sbin'), { recursive: true });
  writeFileSync(script, SEED_SCRIPT);
  chmodSync(script, 0o755);
  writeFileSync(join(root, 'etc', 'systemd', 'system', 'msh-lab-seed.service'), SEED_UNIT);
  const wants = join(root, 'etc', 'systemd', 'system', 'sysinit.target.wants');
  mkdirSync(wants, { recursive: true });
  rmSync(join(wants, 'msh-lab-seed.service'), { force: true });
  symlinkSync('/etc/systemd/system/msh-lab-seed.service', join(wants, 'msh-lab-seed.service'));
}
