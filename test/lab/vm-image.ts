/**
 * A VM host's disk image, baked once from the release's base root filesystem and cached: the packages (kernel, zfs)
 * are installed and dkms modules built natively in a chroot of it (under TCG a zfs-dkms build takes far too long),
 * then the tree is packed into an ext4 filesystem image. Kernel and initrd are kept beside it for -kernel/-initrd.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inChroot } from './chroot.ts';
import type { LabConfig, VmHost } from './config.ts';
import { LabError, run, seconds, type Log } from './exec.ts';
import { removeTree } from './mounts.ts';
import type { BaseRootfs } from './rootfs.ts';
import { installSeedService } from './seed.ts';

/** Bump when the recipe below changes: images baked by another recipe are rebuilt. */
const RECIPE = 2;

/** What the image is made from: any difference from the cached image's stamp rebuilds it. */
interface Recipe {
  recipe: number;
  release: string;
  baseBuiltAt: string;
  mirror: string;
  components: string[];
  packages: string[];
  afterInstall?: string[][];
  rootGiB: number;
}

interface Stamp extends Recipe {
  kernelVersion: string;
  builtAt: string;
  buildSeconds: number;
}

export interface VmImage {
  host: string;
  /** The baked root filesystem (qcow2): the read-only backing file of each run's overlay. */
  image: string;
  kernel: string;
  initrd: string;
  kernelVersion: string;
  /** True when this call baked it. */
  built: boolean;
  buildSeconds: number;
}

/** Per recipe: checkouts baking by different recipes keep their own images instead of replacing each other's. */
export const vmImageDir = (cfg: LabConfig, host: VmHost): string => join(cfg.cacheDir, 'vm', `${host.name}-r${RECIPE}`);
const buildLog = (cfg: LabConfig, host: VmHost): string => join(cfg.cacheDir, 'vm', `${host.name}-r${RECIPE}.build.log`);

function recipeOf(cfg: LabConfig, host: VmHost, base: BaseRootfs): Recipe {
  return {
    recipe: RECIPE,
    release: host.release,
    baseBuiltAt: base.builtAt,
    mirror: cfg.mirror,
    components: host.vm.components,
    packages: host.vm.packages,
    // Only when there are some: a recipe without them stays the same as a stamp written before they existed.
    ...(host.vm.afterInstall ? { afterInstall: host.vm.afterInstall } : {}),
    rootGiB: host.vm.rootGiB,
  };
}

function imageAt(dir: string, host: VmHost, stamp: Stamp, built: boolean): VmImage {
  return {
    host: host.name,
    image: join(dir, 'root.qcow2'),
    kernel: join(dir, 'vmlinuz'),
    initrd: join(dir, 'initrd.img'),
    kernelVersion: stamp.kernelVersion,
    built,
    buildSeconds: stamp.buildSeconds,
  };
}

/** The cached image of a VM host, if it exists and was baked from the current config and base. */
export function cachedVmImage(cfg: LabConfig, host: VmHost, base: BaseRootfs): VmImage | undefined {
  const dir = vmImageDir(cfg, host);
  let stamp: Stamp;
  try {
    stamp = JSON.parse(readFileSync(join(dir, 'stamp.json'), 'utf8')) as Stamp;
  } catch {
    return undefined;
  }
  const want = recipeOf(cfg, host, base);
  const same = (Object.keys(want) as (keyof Recipe)[]).every((k) => JSON.stringify(want[k]) === JSON.stringify(stamp[k]));
  const image = imageAt(dir, host, stamp, false);
  return same && [image.image, image.kernel, image.initrd].every((f) => existsSync(f)) ? image : undefined;
}

/** Returns the VM host's image, baking it first when it is missing or stale (the VM must not be running). */
export async function ensureVmImage(cfg: LabConfig, host: VmHost, base: BaseRootfs, log: Log): Promise<VmImage> {
  const cached = cachedVmImage(cfg, host, base);
  if (cached) return cached;
  const started = Date.now();
  const dir = vmImageDir(cfg, host);
  const building = `${dir}.building`;
  const root = join(building, 'rootfs');
  const logFile = buildLog(cfg, host);
  await removeTree(building);
  mkdirSync(building, { recursive: true });
  writeFileSync(logFile, `baking the ${host.name} image, ${new Date().toISOString()}\n`);
  log(`${host.name}: baking the VM image (once, several minutes: ${host.vm.packages.join(' ')}; output in ${logFile})`);
  try {
    await run('cp', ['-a', '--reflink=auto', `${base.dir}/.`, root], { timeoutMs: 10 * 60_000 });
    const kernelVersion = await installPackages(cfg, host, root, logFile);
    log(`${host.name}: packages installed, kernel ${kernelVersion} (${seconds(started)})`);
    await finishRoot(host, root, logFile);
    copyFileSync(join(root, 'boot', `vmlinuz-${kernelVersion}`), join(building, 'vmlinuz'));
    await makeInitrd(host, root, kernelVersion, join(building, 'initrd.img'), logFile);
    await packImage(host, root, building);
    await removeTree(root);
    const buildSeconds = Math.round((Date.now() - started) / 100) / 10;
    const stamp: Stamp = { ...recipeOf(cfg, host, base), kernelVersion, builtAt: new Date().toISOString(), buildSeconds };
    writeFileSync(join(building, 'stamp.json'), `${JSON.stringify(stamp, null, 2)}\n`);
    await removeTree(dir);
    renameSync(building, dir);
    log(`${host.name}: VM image baked in ${seconds(started)} (${dir})`);
    return imageAt(dir, host, stamp, true);
  } catch (err) {
    await removeTree(building);
    throw err instanceof LabError ? err : new LabError(`baking the ${host.name} image failed: ${(err as Error).message} — see ${logFile}`);
  }
}

function chrootOf(host: VmHost, root: string, logFile: string) {
  return (argv: string[], timeoutMs = 10 * 60_000) => inChroot(root, argv, { machine: `lab-bake-${host.name}`, logFile, timeoutMs });
}

/** apt-get installs the host's packages, builds the dkms modules for the image's kernel; returns that kernel version. */
async function installPackages(cfg: LabConfig, host: VmHost, root: string, logFile: string): Promise<string> {
  const chroot = chrootOf(host, root, logFile);
  const components = host.vm.components.join(' ');
  writeFileSync(
    join(root, 'etc', 'apt', 'sources.list'),
    [
      `deb ${cfg.mirror} ${host.release} ${components}`,
      `deb ${cfg.mirror} ${host.release}-updates ${components}`,
      `deb ${cfg.securityMirror} ${host.release}-security ${components}`,
      '',
    ].join('\n'),
  );
  // No service may start in the chroot.
  writeFileSync(join(root, 'usr', 'sbin', 'policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  await chroot(['apt-get', 'update', '-q']);
  await chroot(['apt-get', 'install', '-y', '-q', '--no-install-recommends', ...host.vm.packages], 45 * 60_000);
  for (const argv of host.vm.afterInstall ?? []) await chroot(argv);
  rmSync(join(root, 'usr', 'sbin', 'policy-rc.d'));

  const kernels = readdirSync(join(root, 'lib', 'modules'));
  if (kernels.length !== 1) throw new LabError(`${host.name} image: expected one kernel in /lib/modules, found ${kernels.join(', ') || 'none'}`);
  const kernelVersion = kernels[0]!;
  // The packages' own triggers build for the kernels they see; this makes sure of the image's (not `uname -r`).
  if (existsSync(join(root, 'usr', 'sbin', 'dkms'))) {
    await chroot(['dkms', 'autoinstall', '-k', kernelVersion], 45 * 60_000);
    const status = await chroot(['dkms', 'status', '-k', kernelVersion]);
    const notInstalled = status.split('\n').filter((l) => l.trim() && !/: installed/.test(l));
    if (notInstalled.length > 0) throw new LabError(`${host.name} image: dkms modules not installed for ${kernelVersion}: ${notInstalled.join('; ')} — see ${logFile}`);
  }
  return kernelVersion;
}

/**
 * Guest configuration that does not change per run. Initramfs updates are switched off in the guest: one takes
 * minutes under TCG and its result would not be used (kernel and initrd are passed from outside).
 */
async function finishRoot(host: VmHost, root: string, logFile: string): Promise<void> {
  const updateConf = join(root, 'etc', 'initramfs-tools', 'update-initramfs.conf');
  writeFileSync(updateConf, readFileSync(updateConf, 'utf8').replace(/^update_initramfs=.*$/m, 'update_initramfs=no'));
  await chrootOf(host, root, logFile)(['apt-get', 'clean']);
  writeFileSync(join(root, 'etc', 'fstab'), '/dev/vda / ext4 rw,errors=remount-ro 0 0\n');
  writeFileSync(join(root, 'etc', 'network', 'interfaces'), 'auto lo\niface lo inet loopback\n');
  installSeedService(root);
}

/**
 * A small initrd for -initrd, made with a copy of the initramfs config (the guest's own stays Debian's): virtio and
 * ext4 only, all it takes to mount the root. It is a fifth of Debian's and shortens the boot under TCG by seconds.
 * (Not under /tmp: nspawn mounts a fresh tmpfs there.)
 */
async function makeInitrd(host: VmHost, root: string, kernelVersion: string, out: string, logFile: string): Promise<void> {
  const work = join(root, 'var', 'tmp', 'lab-bake');
  mkdirSync(work, { recursive: true });
  await run('cp', ['-a', join(root, 'etc', 'initramfs-tools'), join(work, 'initramfs-tools')]);
  const conf = join(work, 'initramfs-tools', 'initramfs.conf');
  writeFileSync(conf, readFileSync(conf, 'utf8').replace(/^MODULES=.*$/m, 'MODULES=list'));
  writeFileSync(join(work, 'initramfs-tools', 'modules'), 'virtio_pci\nvirtio_blk\next4\n');
  await chrootOf(host, root, logFile)(['mkinitramfs', '-d', '/var/tmp/lab-bake/initramfs-tools', '-o', '/var/tmp/lab-bake/initrd.img', kernelVersion]);
  copyFileSync(join(work, 'initrd.img'), out);
  await removeTree(work);
}

/** ext4 straight from the directory (mkfs.ext4 -d: no loop mount), then qcow2. */
async function packImage(host: VmHost, root: string, building: string): Promise<void> {
  const raw = join(building, 'root.raw');
  await run('truncate', ['-s', `${host.vm.rootGiB}G`, raw]);
  await run('mkfs.ext4', ['-q', '-F', '-L', 'root', '-d', root, raw], { timeoutMs: 20 * 60_000 });
  await run('qemu-img', ['convert', '-O', 'qcow2', raw, join(building, 'root.qcow2')], { timeoutMs: 20 * 60_000 });
  rmSync(raw);
}
