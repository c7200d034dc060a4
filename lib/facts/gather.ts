import { assertOk, type Connector } from '../connectors/connector.ts';
import type { Facts } from './facts.ts';

const PACKAGES_MARK = '@@msh-packages';

/** One round trip: OS, kernel, memory, init, virtualization, Proxmox version, installed packages, apt list age. */
export const FACTS_SCRIPT = `
. /etc/os-release 2>/dev/null
echo "hostname=$(hostname 2>/dev/null || cat /etc/hostname)"
echo "os_id=$ID"
echo "os_version_id=$VERSION_ID"
echo "os_codename=\${VERSION_CODENAME:-}"
echo "kernel=$(uname -r)"
echo "arch=$(uname -m)"
echo "mem_kib=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)"
echo "cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)"
echo "virt=$(systemd-detect-virt 2>/dev/null || true)"
if [ -d /run/systemd/system ]; then echo systemd=1; else echo systemd=0; fi
echo "uid=$(id -u)"
echo "login_user=\${SUDO_USER:-$(id -un)}"
client=\${MSH_SSH_CLIENT:-\${SSH_CONNECTION:-}}
echo "ssh_client=\${client%% *}"
lists=$(stat -c %Y /var/lib/apt/periodic/update-success-stamp /var/lib/apt/lists/partial 2>/dev/null | sort -n | tail -n 1)
echo "apt_lists_mtime=\${lists:-0}"
echo "now=$(date +%s)"
echo "pve=$(pveversion 2>/dev/null | head -n 1)"
echo ${PACKAGES_MARK}
dpkg-query -W -f='\${db:Status-Abbrev} \${Package} \${Version}\\n' 2>/dev/null | awk '$1 == "ii" {print $2, $3}'
`;

export function parseFacts(stdout: string): Facts {
  const [head = '', pkgs = ''] = stdout.split(`${PACKAGES_MARK}\n`);
  const kv = new Map<string, string>();
  for (const line of head.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1));
  }
  const packages = new Map<string, string>();
  for (const line of pkgs.split('\n')) {
    const [name, version] = line.split(' ');
    if (name && version) packages.set(name.replace(/:.*$/, ''), version);
  }
  const listsMtime = Number(kv.get('apt_lists_mtime') || 0);
  const now = Number(kv.get('now') || 0);
  return {
    hostname: kv.get('hostname') ?? '',
    osId: kv.get('os_id') ?? '',
    osVersionId: kv.get('os_version_id') ?? '',
    osCodename: kv.get('os_codename') ?? '',
    kernel: kv.get('kernel') ?? '',
    arch: kv.get('arch') ?? '',
    memoryMiB: Math.round(Number(kv.get('mem_kib') || 0) / 1024),
    cpus: Number(kv.get('cpus') || 1),
    virtualization: kv.get('virt') ?? '',
    systemd: kv.get('systemd') === '1',
    packages,
    aptListsAgeSeconds: listsMtime > 0 ? Math.max(0, now - listsMtime) : Infinity,
    pveVersion: kv.get('pve') ?? '',
    uid: Number(kv.get('uid') ?? -1),
    loginUser: kv.get('login_user') ?? '',
    sshClient: kv.get('ssh_client') ?? '',
  };
}

export async function gatherFacts(conn: Connector): Promise<Facts> {
  const res = assertOk(await conn.run(FACTS_SCRIPT), 'gathering facts');
  return parseFacts(res.stdout);
}
