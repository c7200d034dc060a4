/** A host's root filesystem: a fresh writable view of the cached base, given its own identity before boot. */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { aptProxyUrl, gatewayAddress, hostAddress, hostDir, hostRoot, type LabConfig, type LabHost } from './config.ts';
import { run, tail, tryRun, type Log } from './exec.ts';
import { removeTree } from './mounts.ts';

export type RootMode = 'overlay' | 'copy';

/**
 * Mounts an overlay (lower = the base, upper/work in the host's directory) on the host's root dir; where overlayfs
 * is not available, copies the base instead (slower, same result). The host's directory must not exist yet.
 */
export async function createHostRoot(cfg: LabConfig, host: LabHost, base: string, log: Log): Promise<RootMode> {
  const dir = hostDir(cfg, host);
  const root = hostRoot(cfg, host);
  for (const sub of ['upper', 'work', 'root']) mkdirSync(join(dir, sub), { recursive: true, mode: 0o755 });
  const opts = `lowerdir=${base},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')}`;
  const res = await tryRun('mount', ['-t', 'overlay', `lab-${host.name}`, '-o', opts, root]);
  if (res.code === 0) return 'overlay';
  log(`${host.name}: overlayfs unavailable (${tail(res.stderr)}); copying the base instead`);
  await run('cp', ['-a', '--reflink=auto', `${base}/.`, root], { timeoutMs: 10 * 60_000 });
  return 'copy';
}

export async function removeHostRoot(cfg: LabConfig, host: LabHost): Promise<void> {
  await removeTree(hostDir(cfg, host));
}

/**
 * Writes hostname, static address, apt proxy, machine id, new SSH host keys, the lab's authorized key and the
 * Proxmox simulator under `root`: a container's root, or a VM's seed directory (a VM's machine id comes on its kernel
 * command line: systemd settles it before the seed is applied).
 */
export async function personalize(cfg: LabConfig, host: LabHost, root: string, authorizedKey: string): Promise<void> {
  const at = (...p: string[]) => join(root, ...p);
  for (const dir of [['etc', 'network'], ['etc', 'apt', 'apt.conf.d'], ['etc', 'ssh']]) mkdirSync(at(...dir), { recursive: true, mode: 0o755 });
  writeFileSync(at('etc', 'hostname'), `${host.name}\n`);
  writeFileSync(at('etc', 'hosts'), `127.0.0.1\tlocalhost\n127.0.1.1\t${host.name}\n::1\tlocalhost ip6-localhost ip6-loopback\n`);
  if (host.kind === 'nspawn') writeFileSync(at('etc', 'machine-id'), `${randomBytes(16).toString('hex')}\n`, { mode: 0o444 });
  // nspawn names the container's end of the veth host0; the VM boots with net.ifnames=0.
  const iface = host.kind === 'vm' ? 'eth0' : 'host0';
  // No default route on purpose: the host reaches the controller and, through it, the other lab hosts (Prometheus on
  // services scrapes pve, pve waits for the VM's SSH), and nothing else.
  writeFileSync(
    at('etc', 'network', 'interfaces'),
    [
      'auto lo',
      'iface lo inet loopback',
      '',
      `auto ${iface}`,
      `iface ${iface} inet static`,
      `    address ${hostAddress(cfg, host)}/24`,
      `    up ip route replace ${cfg.networkPrefix}.0.0/16 via ${gatewayAddress(cfg, host)}`,
      '',
    ].join('\n'),
  );
  writeFileSync(at('etc', 'apt', 'apt.conf.d', '01lab-proxy'), `Acquire::http::Proxy "${aptProxyUrl(cfg, host)}";\n`);

  const sshDir = at('etc', 'ssh');
  for (const f of readdirSync(sshDir)) if (f.startsWith('ssh_host_')) rmSync(join(sshDir, f));
  await run('ssh-keygen', ['-A', '-f', root]);

  mkdirSync(at('root', '.ssh'), { recursive: true, mode: 0o700 });
  chmodSync(at('root'), 0o700);
  chmodSync(at('root', '.ssh'), 0o700);
  writeFileSync(at('root', '.ssh', 'authorized_keys'), `${authorizedKey.trim()}\n`, { mode: 0o600 });

  // A VM's root is a seed directory: its first boot makes the user (seed.ts).
  if (host.adminUser && host.kind === 'vm') writeSeedAdminUser(root, host.adminUser, authorizedKey);
  else if (host.adminUser) await addAdminUser(root, host.adminUser, authorizedKey);
  if (host.proxmoxSimulator) await run('sh', [join(cfg.repoRoot, 'files', 'lab', 'pve-simulator', 'install.sh'), root]);
}

/** The admin user for a VM's seed: its name and key, and its sudoers file; the seed script creates the account. */
function writeSeedAdminUser(seed: string, name: string, authorizedKey: string): void {
  mkdirSync(join(seed, 'var', 'lib', 'msh-lab'), { recursive: true });
  writeFileSync(join(seed, 'var', 'lib', 'msh-lab', 'admin-user'), `${name}\n`);
  writeFileSync(join(seed, 'var', 'lib', 'msh-lab', 'admin-authorized_keys'), `${authorizedKey.trim()}\n`, { mode: 0o600 });
  mkdirSync(join(seed, 'etc', 'sudoers.d'), { recursive: true });
  writeFileSync(join(seed, 'etc', 'sudoers.d', `90-lab-${name}`), `${name} ALL=(ALL) NOPASSWD:ALL\n`, { mode: 0o440 });
}

/** A login user with the lab key and passwordless sudo, like the default user cloud-init creates on the real VM. */
async function addAdminUser(root: string, name: string, authorizedKey: string): Promise<void> {
  await run('chroot', [root, 'useradd', '--create-home', '--shell', '/bin/bash', '--groups', 'sudo', name]);
  // '*': no password, but not locked (sshd refuses locked accounts even with a key when PAM is off).
  await run('chroot', [root, 'usermod', '--password', '*', name]);
  writeFileSync(join(root, 'etc', 'sudoers.d', `90-lab-${name}`), `${name} ALL=(ALL) NOPASSWD:ALL\n`, { mode: 0o440 });
  const ssh = join(root, 'home', name, '.ssh');
  mkdirSync(ssh, { recursive: true, mode: 0o700 });
  writeFileSync(join(ssh, 'authorized_keys'), `${authorizedKey.trim()}\n`, { mode: 0o600 });
  await run('chroot', [root, 'chown', '-R', `${name}:${name}`, `/home/${name}/.ssh`]);
}

/** The SSH host public keys ("type base64") under `root` (a container's root or a VM's seed directory). */
export function hostPublicKeys(root: string): string[] {
  const sshDir = join(root, 'etc', 'ssh');
  return readdirSync(sshDir)
    .filter((f) => /^ssh_host_.*_key\.pub$/.test(f))
    .sort()
    .map((f) => readFileSync(join(sshDir, f), 'utf8').trim().split(/\s+/).slice(0, 2).join(' '));
}

