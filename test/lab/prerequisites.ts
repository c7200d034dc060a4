/** What the lab needs on the controller, and installing it from Debian (for CI). */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { defaultLabConfig, type LabConfig } from './config.ts';
import { LabError, LabPrerequisiteError, run, tail, tryRun, which, type Log } from './exec.ts';

/** Programs the lab runs, and the Debian package of each; `vm`: needed only when the config has a VM host. */
export const LAB_PROGRAMS: { program: string; pkg: string; vm?: boolean }[] = [
  { program: 'debootstrap', pkg: 'debootstrap' },
  { program: 'systemd-nspawn', pkg: 'systemd-container' },
  { program: 'apt-cacher-ng', pkg: 'apt-cacher-ng' },
  { program: 'ssh', pkg: 'openssh-client' },
  { program: 'ssh-keygen', pkg: 'openssh-client' },
  { program: 'ip', pkg: 'iproute2' },
  { program: 'mount', pkg: 'mount' },
  { program: 'umount', pkg: 'mount' },
  { program: 'qemu-system-x86_64', pkg: 'qemu-system-x86', vm: true },
  { program: 'qemu-img', pkg: 'qemu-utils', vm: true },
  { program: 'mkfs.ext4', pkg: 'e2fsprogs', vm: true },
  { program: 'tar', pkg: 'tar', vm: true },
];

const hasVm = (cfg: LabConfig): boolean => cfg.hosts.some((h) => h.kind === 'vm');
const neededPrograms = (cfg: LabConfig) => LAB_PROGRAMS.filter((p) => !p.vm || hasVm(cfg));

/** The account apt-cacher-ng runs as (created by its Debian package). */
export const APT_PROXY_USER = 'apt-cacher-ng';

export function systemUser(name: string): { uid: number; gid: number } | undefined {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f[2] && f[3]) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  return undefined;
}

/** What `down` needs: it must work even where the lab's other tools have been removed since. */
export const DOWN_PROGRAMS = ['ip', 'umount'];

/**
 * One line per missing thing, saying exactly what is missing and how to get it; empty when the lab can run.
 * `programs` narrows the check to those programs (default: every program of the lab).
 */
export function missingPrerequisites(programs?: string[], cfg: LabConfig = defaultLabConfig): string[] {
  const missing: string[] = [];
  if (userInfo().uid !== 0) missing.push(`root: the lab mounts filesystems, creates network interfaces and starts containers (run as root; current uid ${userInfo().uid})`);
  const absent = neededPrograms(cfg).filter((p) => (!programs || programs.includes(p.program)) && !which(p.program));
  for (const p of absent) missing.push(`${p.program}: not installed (apt-get install ${p.pkg})`);
  if ((!programs || programs.includes('apt-cacher-ng')) && which('apt-cacher-ng') && !systemUser(APT_PROXY_USER)) missing.push(`user ${APT_PROXY_USER}: missing (apt-get install --reinstall apt-cacher-ng)`);
  if (!existsSync('/proc/self/mountinfo')) missing.push('/proc: not mounted');
  if (!programs && hasVm(cfg) && !existsSync('/dev/net/tun')) missing.push('/dev/net/tun: missing (modprobe tun); a VM host needs a tap device');
  return missing;
}

export function assertPrerequisites(programs?: string[], cfg: LabConfig = defaultLabConfig): void {
  const missing = missingPrerequisites(programs, cfg);
  if (missing.length > 0) throw new LabPrerequisiteError(missing);
}

const POLICY_RC_D = '/usr/sbin/policy-rc.d';

/**
 * apt-get installs what the lab needs (as root). Daemons are kept from starting while it does: apt-cacher-ng's
 * package would otherwise start a system-wide instance listening on every address; the lab starts its own.
 */
export async function ensureLabPrerequisites(log: Log = () => undefined, cfg: LabConfig = defaultLabConfig): Promise<void> {
  if (userInfo().uid !== 0) throw new LabPrerequisiteError([`root: installing packages needs root (current uid ${userInfo().uid})`]);
  const absent = [...new Set(neededPrograms(cfg).filter((p) => !which(p.program)).map((p) => p.pkg))];
  if (absent.length === 0) return;
  if (!which('apt-get')) throw new LabPrerequisiteError([`apt-get: not found; install ${absent.join(', ')} by other means`]);
  log(`installing ${absent.join(' ')} (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const ownPolicy = !existsSync(POLICY_RC_D);
  if (ownPolicy) writeFileSync(POLICY_RC_D, '#!/bin/sh\n# written by the media-server-home lab while it installs packages\nexit 101\n', { mode: 0o755 });
  try {
    await run('apt-get', ['update', '-qq'], { env, timeoutMs: 300_000 });
    const res = await tryRun('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...absent], { env, timeoutMs: 900_000 });
    if (res.code !== 0) throw new LabError(`apt-get install ${absent.join(' ')} failed (exit ${res.code}): ${tail(res.stderr || res.stdout)}`);
  } finally {
    if (ownPolicy) rmSync(POLICY_RC_D, { force: true });
  }
  const still = missingPrerequisites(undefined, cfg);
  if (still.length > 0) throw new LabPrerequisiteError(still);
}
