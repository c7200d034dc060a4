/**
 * What the lab puts on a freshly booted host for the things it cannot download: the Ubuntu cloud image's stand-in on
 * pve, and the stack's stand-in container images on services (files/lab/standin-images: no registry is reachable).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { shq } from '../../lib/connectors/shell.ts';
import { CLOUD_IMAGE_STANDIN, DEBIAN_IMAGE_PACKAGES, type LabConfig, type LabHost } from './config.ts';
import { cloudImageStandin } from '../helpers/cloud-image-standin.ts';
import { LabError, run, seconds, tail, tryRun, type Log } from './exec.ts';
import { sshOptions, sshTarget } from './ssh.ts';

async function sshRoot(cfg: LabConfig, host: LabHost, script: string, input: Buffer, timeoutMs: number): Promise<string> {
  const command = host.adminUser ? `sudo -n sh -c ${shq(script)}` : script;
  const res = await tryRun('ssh', [...sshOptions(cfg, 10), '-o', 'BatchMode=yes', '--', sshTarget(cfg, host), command], { input, timeoutMs });
  if (res.code !== 0) throw new LabError(`${host.name}: ${res.timedOut ? 'timed out' : `exit ${res.code}`}: ${tail(res.stderr || res.stdout, 5)}`);
  return res.stdout;
}

/**
 * Debian's packages of Prometheus and its exporters, downloaded once by the controller's apt into the lab's cache
 * (the VM has no package lists of its own; the binaries need only the C library, which the VM has).
 */
async function debianImagePackages(cfg: LabConfig): Promise<string> {
  const dir = join(cfg.cacheDir, 'debs');
  mkdirSync(dir, { recursive: true });
  const have = (pkg: string) => readdirSync(dir).some((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
  const missing = DEBIAN_IMAGE_PACKAGES.filter((p) => !have(p));
  if (missing.length > 0) await run('sh', ['-c', `cd ${shq(dir)} && apt-get download -o APT::Sandbox::User=root ${missing.join(' ')}`], { timeoutMs: 300_000 });
  return cfg.cacheDir;
}

/** Builds the stand-in images, and Prometheus's from Debian's packages, in the VM with `docker import`; returns their tags. */
export async function buildStandinImages(cfg: LabConfig, host: LabHost): Promise<string[]> {
  const dir = join(cfg.repoRoot, 'files', 'lab', 'standin-images');
  const debsParent = await debianImagePackages(cfg);
  const tar = execFileSync('tar', ['-c', '-C', dir, 'build.sh', 'bin', '-C', debsParent, 'debs'], { maxBuffer: 256 * 1024 * 1024 });
  const script = 'set -e; d=$(mktemp -d); trap \'rm -rf "$d"\' EXIT; tar -x -C "$d"; sh "$d/build.sh" "$d"';
  const out = await sshRoot(cfg, host, script, tar, 10 * 60_000);
  return out.split('\n').filter((l) => l.startsWith('msh-lab/'));
}

async function writeCloudImageStandin(cfg: LabConfig, host: LabHost): Promise<void> {
  const path = CLOUD_IMAGE_STANDIN;
  await sshRoot(cfg, host, `mkdir -p ${shq(path.replace(/\/[^/]+$/, ''))} && cat > ${shq(path)}`, cloudImageStandin(), 60_000);
}

export async function afterBoot(cfg: LabConfig, host: LabHost, log: Log): Promise<void> {
  if (host.proxmoxSimulator) {
    await writeCloudImageStandin(cfg, host);
    log(`${host.name}: cloud image stand-in at ${CLOUD_IMAGE_STANDIN}`);
  }
  if (host.kind === 'vm' && host.vm.standinImages) {
    const t = Date.now();
    const tags = await buildStandinImages(cfg, host);
    log(`${host.name}: stand-in images built with docker import (${seconds(t)}): ${tags.join(' ')}`);
  }
}
