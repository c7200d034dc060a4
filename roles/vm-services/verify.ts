import { commandSucceeds, outputMatches, serviceActive, type VerifyCheck } from '../../lib/api/verify.ts';
import { cmd, shq } from '../../lib/connectors/shell.ts';
import type { createDefaults, guestDefaults } from './defaults.ts';
import { composeMajor } from './docker.ts';
import { sharedDatasets } from './mounts.ts';
import { parseNet, parseQmConfig, parsePropertyString } from './qm-config.ts';
import { imagePath, sharesNothing } from './settings.ts';
import { openPorts, tcpProbe } from './wait-ssh.ts';

const BLOCK = "sed -n '/^# BEGIN media-server-home vm-services datasets$/,/^# END media-server-home vm-services datasets$/p' /etc/fstab";

/** What `qm config` must show of the settings the role manages; the list of what differs. */
export function configProblems(text: string, v: typeof createDefaults): string[] {
  const c = parseQmConfig(text);
  const problems: string[] = [];
  const expect = (key: string, ok: boolean, want: string) => {
    if (!ok) problems.push(`${key} is ${c.get(key) ?? '(none)'}, not ${want}`);
  };
  expect('name', c.get('name') === v.vm_name, v.vm_name);
  expect('cores', c.get('cores') === String(v.vm_cores), String(v.vm_cores));
  expect('memory', c.get('memory') === String(v.vm_memory_mib), String(v.vm_memory_mib));
  const net = parseNet(c.get('net0') ?? '');
  expect('net0', net.model === 'virtio' && net.options.some(([k, val]) => k === 'bridge' && val === v.vm_bridge), `virtio on ${v.vm_bridge}`);
  const ip = parsePropertyString(c.get('ipconfig0') ?? '', 'ip');
  expect('ipconfig0', ip.some(([k, val]) => k === 'ip' && val === `${v.vm_ip}/${v.vm_prefix_len}`) && ip.some(([k, val]) => k === 'gw' && val === v.vm_gateway), `ip=${v.vm_ip}/${v.vm_prefix_len},gw=${v.vm_gateway}`);
  expect('ciuser', c.get('ciuser') === v.vm_user, v.vm_user);
  expect('onboot', c.get('onboot') === '1', '1');
  expect('agent', /^(enabled=)?1(,|$)/.test(c.get('agent') ?? ''), '1');
  expect('ide2', /:(vm-\d+-)?cloudinit/.test(c.get('ide2') ?? ''), 'a cloud-init drive');
  return problems;
}

export function verifyCreate(v: typeof createDefaults): VerifyCheck[] {
  const id = v.vm_id;
  const ports = [...new Set([v.ssh_port, 22])];
  return [
    {
      title: `qm config ${id}: name, cores, memory, net0, ipconfig0, ciuser, agent, onboot, cloud-init drive`,
      script: `qm config ${id}`,
      expect: (r) => (r.code !== 0 ? `qm config ${id} failed: ${(r.stderr || r.stdout).trim()}` : configProblems(r.stdout, v).join('; ') || undefined),
    },
    outputMatches(`VM ${id} is running`, `qm status ${id}`, /^status: running$/m),
    commandSucceeds(`the cloud image ${imagePath(v)} has its SHA-256`, `printf '%s  %s\\n' ${shq(v.vm_image_sha256.toLowerCase())} ${shq(imagePath(v))} | sha256sum -c --status`),
    {
      title: `SSH answers on the VM (${v.vm_ip}:${ports.join('/')}), from the Proxmox host`,
      script: tcpProbe(v.vm_ip, ports),
      expect: (r) => (openPorts(r.stdout).length ? undefined : `no answer on ${v.vm_ip} port ${ports.join(' or ')}`),
    },
  ];
}

export function verifyGuest(v: typeof guestDefaults): VerifyCheck[] {
  const datasets = sharedDatasets(v);
  const local = sharesNothing(v);
  return [
    outputMatches(`hostname is ${v.vm_name}`, 'hostname', new RegExp(`^${v.vm_name}$`, 'm')),
    {
      title: local ? `${datasets.map((d) => d.path).join(', ')} are local directories, no fstab block` : `${datasets.map((d) => d.path).join(', ')} are mounted (virtiofs or NFS) from fstab`,
      script: [...datasets.map((d) => `echo "${d.path} $(findmnt -n -o FSTYPE --mountpoint ${shq(d.path)} | head -n 1 || true) $([ -d ${shq(d.path)} ] && echo dir)"`), 'echo @@block', BLOCK].join('\n'),
      expect: (r) => {
        const [mounts = '', block = ''] = r.stdout.split('@@block\n');
        const problems: string[] = [];
        for (const d of datasets) {
          const line = mounts.split('\n').find((l) => l.startsWith(`${d.path} `)) ?? '';
          const words = line.split(/\s+/).slice(1).filter(Boolean);
          if (local && !words.includes('dir')) problems.push(`${d.path} is not a directory`);
          if (!local && !words.some((w) => w === 'virtiofs' || w.startsWith('nfs'))) problems.push(`${d.path} is not mounted (${words.join(' ') || 'nothing'})`);
          if (!local && !block.includes(` ${d.path} `)) problems.push(`no fstab line for ${d.path}`);
        }
        if (local && block.trim()) problems.push('/etc/fstab still has the datasets\' block');
        return problems.join('; ') || undefined;
      },
    },
    commandSucceeds('group render exists', 'getent group render'),
    serviceActive('docker'),
    {
      title: 'docker compose is Compose v2 or later',
      script: 'docker compose version',
      expect: (r) => ((composeMajor(r.stdout) ?? 0) >= 2 ? undefined : `docker compose version says ${JSON.stringify((r.stdout + r.stderr).trim().slice(0, 120))}`),
    },
    outputMatches(`${v.vm_user} is in the docker group`, cmd('id', '-nG', v.vm_user), /(^|\s)docker(\s|$)/m),
  ];
}
