/** Base root filesystems: one debootstrap per release, cached outside the repo and reused by every `up`. */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabConfig } from './config.ts';
import { LabError, seconds, tail, tryRun, type Log } from './exec.ts';
import { removeTree } from './mounts.ts';

/** Bump when the preparation below changes: cached bases with another recipe are rebuilt. */
const RECIPE = 1;

interface Stamp {
  release: string;
  mirror: string;
  include: string[];
  recipe: number;
  builtAt: string;
  buildSeconds: number;
}

export interface BaseRootfs {
  release: string;
  dir: string;
  /** True when this call built it. */
  built: boolean;
  /** How long its debootstrap and preparation took (when it was built, maybe earlier). */
  buildSeconds: number;
  /** When it was built: what is made from it (VM images) is stale when this changes. */
  builtAt: string;
}

export const baseDir = (cfg: LabConfig, release: string): string => join(cfg.cacheDir, 'rootfs', release);
const stampFile = (cfg: LabConfig, release: string): string => join(cfg.cacheDir, 'rootfs', `${release}.json`);

function readStamp(cfg: LabConfig, release: string): Stamp | undefined {
  try {
    return JSON.parse(readFileSync(stampFile(cfg, release), 'utf8')) as Stamp;
  } catch {
    return undefined;
  }
}

/** The cached base of a release, if it exists and was built from the current config. */
export function cachedBase(cfg: LabConfig, release: string): BaseRootfs | undefined {
  const s = readStamp(cfg, release);
  const fresh =
    s && s.recipe === RECIPE && s.mirror === cfg.mirror && s.include.join(',') === cfg.include.join(',') && existsSync(join(baseDir(cfg, release), 'etc', 'os-release'));
  return fresh ? { release, dir: baseDir(cfg, release), built: false, buildSeconds: s.buildSeconds, builtAt: s.builtAt } : undefined;
}

/**
 * Returns the base of a release, building it first when it is missing or stale. `inUse` says whether a running lab
 * host has it as its overlay's lower layer: such a base is never replaced under it.
 */
export async function ensureBase(cfg: LabConfig, release: string, inUse: boolean, log: Log): Promise<BaseRootfs> {
  const cached = cachedBase(cfg, release);
  if (cached) return cached;
  const dir = baseDir(cfg, release);
  if (inUse && existsSync(dir)) {
    throw new LabError(`the cached ${release} root filesystem is outdated but a running lab host uses it: run \`lab.ts down\` first`);
  }
  const started = Date.now();
  const building = `${dir}.building`;
  const logFile = join(cfg.cacheDir, 'rootfs', `${release}.debootstrap.log`);
  mkdirSync(join(cfg.cacheDir, 'rootfs'), { recursive: true });
  await removeTree(building);
  log(`${release}: building the base root filesystem with debootstrap (once; output in ${logFile})`);
  const res = await tryRun('debootstrap', ['--variant=minbase', `--include=${cfg.include.join(',')}`, release, building, cfg.mirror], {
    timeoutMs: 30 * 60_000,
  });
  writeFileSync(logFile, res.stdout + res.stderr);
  if (res.code !== 0 || res.timedOut) {
    await removeTree(building);
    throw new LabError(`debootstrap of ${release} failed (${res.timedOut ? 'timed out' : `exit ${res.code}`}): ${tail(res.stderr || res.stdout)} — see ${logFile}`);
  }
  try {
    prepareBase(cfg, release, building);
  } catch (err) {
    await removeTree(building);
    throw new LabError(`preparing the ${release} root filesystem failed: ${(err as Error).message}`);
  }
  await removeTree(dir);
  renameSync(building, dir);
  const buildSeconds = Math.round((Date.now() - started) / 100) / 10;
  const stamp: Stamp = { release, mirror: cfg.mirror, include: cfg.include, recipe: RECIPE, builtAt: new Date().toISOString(), buildSeconds };
  writeFileSync(stampFile(cfg, release), `${JSON.stringify(stamp, null, 2)}\n`);
  log(`${release}: base root filesystem built in ${seconds(started)} (${dir})`);
  return { release, dir, built: true, buildSeconds, builtAt: stamp.builtAt };
}

/** What every host of a release shares; per-host files (hostname, address, keys) are written at each `up`. */
function prepareBase(cfg: LabConfig, release: string, root: string): void {
  if (!existsSync(join(root, 'etc', 'os-release'))) throw new Error(`${root} has no etc/os-release after debootstrap`);
  writeFileSync(
    join(root, 'etc', 'apt', 'sources.list'),
    [
      `deb ${cfg.mirror} ${release} main`,
      `deb ${cfg.mirror} ${release}-updates main`,
      `deb ${cfg.securityMirror} ${release}-security main`,
      '',
    ].join('\n'),
  );
  // debootstrap copies the controller's resolv.conf; the hosts reach nothing but the apt proxy, which resolves for them.
  rmSync(join(root, 'etc', 'resolv.conf'), { force: true });
  writeFileSync(join(root, 'etc', 'resolv.conf'), '# lab host: no DNS; apt goes through the proxy on the controller\n');
  // Identity comes per host: host keys, machine id, hostname.
  for (const f of readdirSync(join(root, 'etc', 'ssh'))) if (f.startsWith('ssh_host_')) rmSync(join(root, 'etc', 'ssh', f));
  writeFileSync(join(root, 'etc', 'machine-id'), '');
  rmSync(join(root, 'var', 'lib', 'dbus', 'machine-id'), { force: true });
  symlinkSync('/etc/machine-id', join(root, 'var', 'lib', 'dbus', 'machine-id'));
  rmSync(join(root, 'etc', 'hostname'), { force: true });
  const archives = join(root, 'var', 'cache', 'apt', 'archives');
  for (const f of readdirSync(archives)) if (f.endsWith('.deb')) rmSync(join(archives, f));
}
