/** The lab's API: up, down, status (the CLI is playbooks/lab.ts). */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import {
  bootTimeoutSec,
  configProblems,
  consoleLog,
  defaultLabConfig,
  gatewayAddress,
  hostAddress,
  hostDir,
  hostRoot,
  qemuLog,
  type HostKind,
  type LabConfig,
  type LabHost,
  type VmHost,
} from './config.ts';
import { LabError, seconds, tail, type Log } from './exec.ts';
import { createHostRoot, hostPublicKeys, personalize, removeHostRoot, type RootMode } from './host-root.ts';
import { writeLabInventory } from './inventory.ts';
import { afterBoot } from './after-boot.ts';
import { mountsUnder } from './mounts.ts';
import { configureLink, createTap, labLinks, removeLinks, waitForVeth } from './network.ts';
import { findHostContainers, isHostContainer, startContainer, stopContainer } from './nspawn.ts';
import { aptProxyConfDir, isLabAptProxy, startAptProxy, stopAptProxy } from './apt-proxy.ts';
import { assertPrerequisites, DOWN_PROGRAMS } from './prerequisites.ts';
import { alive, cmdline, findProcesses } from './processes.ts';
import { findHostVms, isHostVm, startVm, stopVm } from './qemu.ts';
import { ensureBase, type BaseRootfs } from './rootfs.ts';
import { seedDir, writeSeed } from './seed.ts';
import { closeSshMasters, ensureLabKey, sshAnswers, waitForSsh, writeKnownHosts } from './ssh.ts';
import { clearState, lockLab, readState, writeState, type LabState } from './state.ts';
import { createVmDisks } from './vm-disks.ts';
import { ensureVmImage, type VmImage } from './vm-image.ts';

export { ensureLabPrerequisites, missingPrerequisites } from './prerequisites.ts';
export { defaultLabConfig } from './config.ts';

export interface LabOptions {
  config?: LabConfig;
  /** Progress lines. */
  log?: Log;
}

export interface HostStatus {
  name: string;
  kind: HostKind;
  release: string;
  address: string;
  running: boolean;
  /** systemd-nspawn's or QEMU's pid when running. */
  pid?: number;
  /** Containers only. */
  rootMode?: RootMode;
  sshAnswers: boolean;
}

export interface UpResult {
  /** Every host was already up: nothing was started. */
  alreadyUp: boolean;
  started: string[];
  /** The bases the started hosts use; `built` when this call built one. */
  bases: BaseRootfs[];
  /** The images the started VM hosts boot; `built` when this call baked one. */
  images: VmImage[];
  /** Seconds from each started host's start to its first SSH answer. */
  bootSeconds: Record<string, number>;
  seconds: number;
  inventoryFile: string;
}

/** What an up had to build ("trixie base", "pve VM image"); empty when everything came from the cache. */
export function builtByUp(result: Pick<UpResult, 'bases' | 'images'>): string[] {
  return [...result.bases.filter((b) => b.built).map((b) => `${b.release} base`), ...result.images.filter((i) => i.built).map((i) => `${i.host} VM image`)];
}

export interface DownResult {
  stopped: string[];
  seconds: number;
}

export interface Leftovers {
  processes: string[];
  mounts: string[];
  links: string[];
  /** Per-host directories (overlays, VM disks, seeds). */
  files: string[];
}

function setup(opts: LabOptions): { cfg: LabConfig; log: Log } {
  const cfg = opts.config ?? defaultLabConfig;
  const problems = configProblems(cfg);
  if (problems.length > 0) throw new LabError(`bad lab config:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return { cfg, log: opts.log ?? (() => undefined) };
}

/** The recorded pid, if it still runs the host as the kind the config gives it now. */
function runningPid(cfg: LabConfig, host: LabHost, state: LabState): number | undefined {
  const recorded = state.hosts[host.name];
  if (!recorded || (recorded.kind ?? 'nspawn') !== host.kind) return undefined;
  const runs = host.kind === 'vm' ? isHostVm(cfg, host, recorded.pid) : isHostContainer(cfg, host, recorded.pid);
  return runs ? recorded.pid : undefined;
}

const processName = (host: LabHost): string => (host.kind === 'vm' ? 'qemu' : 'nspawn');

/** Where the host's SSH host keys were written: the container's root, or the VM's seed. */
const identityDir = (cfg: LabConfig, host: LabHost): string => (host.kind === 'vm' ? seedDir(cfg, host) : hostRoot(cfg, host));

async function startContainerHost(cfg: LabConfig, host: LabHost, base: BaseRootfs, authorizedKey: string, log: Log): Promise<{ pid: number; rootMode: RootMode }> {
  const rootMode = await createHostRoot(cfg, host, base.dir, log);
  await personalize(cfg, host, hostRoot(cfg, host), authorizedKey);
  const pid = startContainer(cfg, host);
  return { pid, rootMode };
}

async function startVmHost(cfg: LabConfig, host: VmHost, image: VmImage, authorizedKey: string): Promise<number> {
  mkdirSync(hostDir(cfg, host), { recursive: true, mode: 0o700 });
  await createTap(host);
  await createVmDisks(cfg, host, image);
  await writeSeed(cfg, host, authorizedKey);
  return startVm(cfg, host, image);
}

/** What to look at when a host does not answer SSH. */
function bootFailureHint(cfg: LabConfig, host: LabHost, pid: number): string {
  if (host.kind !== 'vm') return `console: ${consoleLog(cfg, host)}`;
  const hint = `The VM boots under TCG (about a minute); see its console ${consoleLog(cfg, host)} and QEMU's messages ${qemuLog(cfg, host)}`;
  if (alive(pid)) return hint;
  let last = '(no log)';
  try {
    last = tail(readFileSync(qemuLog(cfg, host), 'utf8'));
  } catch {
    /* no log */
  }
  return `QEMU exited: ${last}. ${hint}`;
}

/** Starts every host that is not running (and the apt proxy), then writes known_hosts and the inventory. */
export async function up(opts: LabOptions & { reset?: boolean } = {}): Promise<UpResult> {
  const { cfg, log } = setup(opts);
  assertPrerequisites(undefined, cfg);
  const unlock = lockLab(cfg);
  try {
    if (opts.reset) await downLocked(cfg, log);
    const t0 = Date.now();
    const state = readState(cfg);
    const toStart: LabHost[] = [];
    for (const host of cfg.hosts) {
      const pid = runningPid(cfg, host, state);
      if (pid !== undefined) {
        log(`${host.name}: already up (${hostAddress(cfg, host)}, ${processName(host)} pid ${pid})`);
      } else {
        delete state.hosts[host.name];
        toStart.push(host);
      }
    }
    for (const host of toStart) await cleanHost(cfg, host, log);

    const authorizedKey = await ensureLabKey(cfg);
    const releases = [...new Set(toStart.map((h) => h.release))];
    // A running container's base is the lower layer of its overlay; a VM needs its base only to bake its image.
    const inUse = (release: string) => cfg.hosts.some((h) => h.kind === 'nspawn' && h.release === release && !toStart.includes(h));
    const bases = await Promise.all(releases.map((r) => ensureBase(cfg, r, inUse(r), log)));
    const baseOf = (host: LabHost) => bases.find((b) => b.release === host.release)!;
    const images: VmImage[] = [];
    for (const host of toStart) if (host.kind === 'vm') images.push(await ensureVmImage(cfg, host, baseOf(host), log));

    const startedAt = new Map<string, number>();
    for (const host of toStart) {
      const t = Date.now();
      startedAt.set(host.name, t);
      const common = { kind: host.kind, release: host.release, address: hostAddress(cfg, host), startedAt: new Date().toISOString() };
      if (host.kind === 'vm') {
        const image = images.find((i) => i.host === host.name)!;
        const pid = await startVmHost(cfg, host, image, authorizedKey);
        state.hosts[host.name] = { ...common, pid };
        writeState(cfg, state);
        log(`${host.name}: booting ${host.release} VM, kernel ${image.kernelVersion}, at ${hostAddress(cfg, host)} (qemu pid ${pid}, TCG, ${seconds(t)}; console ${consoleLog(cfg, host)})`);
      } else {
        const { pid, rootMode } = await startContainerHost(cfg, host, baseOf(host), authorizedKey, log);
        state.hosts[host.name] = { ...common, pid, rootMode };
        writeState(cfg, state);
        await waitForVeth(host, 15_000, () => !alive(pid));
        log(`${host.name}: booting ${host.release} at ${hostAddress(cfg, host)} (nspawn pid ${pid}, root ${rootMode}, ${seconds(t)})`);
      }
    }
    // Also for hosts that were up: `ip addr replace` is idempotent and repairs a removed address.
    for (const host of cfg.hosts) await configureLink(cfg, host);

    const bind = ['127.0.0.1', ...cfg.hosts.map((h) => gatewayAddress(cfg, h))];
    const proxy = state.aptProxy;
    if (!proxy || !isLabAptProxy(cfg, proxy.pid) || [...proxy.bind].sort().join() !== [...bind].sort().join()) {
      for (const old of labAptProxies(cfg)) {
        await stopAptProxy(cfg, old);
        log(`apt proxy: stopped pid ${old} (to listen on the current addresses)`);
      }
      const pid = await startAptProxy(cfg, bind);
      state.aptProxy = { pid, bind, startedAt: new Date().toISOString() };
      writeState(cfg, state);
      log(`apt proxy: apt-cacher-ng pid ${pid} on ${bind.map((a) => `${a}:${cfg.aptProxyPort}`).join(', ')}`);
    }

    writeKnownHosts(cfg, cfg.hosts.map((h) => ({ address: hostAddress(cfg, h), keys: hostPublicKeys(identityDir(cfg, h)) })));
    const bootSeconds: Record<string, number> = {};
    const failures = await Promise.all(
      cfg.hosts.map(async (host) => {
        const pid = state.hosts[host.name]!.pid;
        const timeout = bootTimeoutSec(cfg, host);
        const err = await waitForSsh(cfg, host, timeout * 1000, () => !alive(pid));
        const since = startedAt.get(host.name);
        if (!err && since !== undefined) {
          bootSeconds[host.name] = (Date.now() - since) / 1000;
          log(`${host.name}: ssh answers (${seconds(since)} after start)`);
        }
        if (!err) return undefined;
        const within = alive(pid) ? ` within ${timeout}s` : '';
        return `${host.name} (${hostAddress(cfg, host)}): ssh did not answer${within}: ${err}. ${bootFailureHint(cfg, host, pid)}`;
      }),
    );
    const failed = failures.filter((f): f is string => !!f);
    if (failed.length > 0) throw new LabError(failed.join('\n'));
    await Promise.all(toStart.map((host) => afterBoot(cfg, host, log)));
    const inventoryFile = writeLabInventory(cfg);
    return { alreadyUp: toStart.length === 0, started: toStart.map((h) => h.name), bases, images, bootSeconds, seconds: (Date.now() - t0) / 1000, inventoryFile };
  } finally {
    unlock();
  }
}

/**
 * Stops a host's nspawn and QEMU processes (recorded or not, whatever kind the config gives it now), removes its veth
 * or tap and its directory (overlay, VM disks, seed).
 */
async function cleanHost(cfg: LabConfig, host: LabHost, log: Log, recordedPid?: number): Promise<boolean> {
  const containers = new Set(findHostContainers(cfg, host));
  const vms = new Set(findHostVms(cfg, host));
  if (recordedPid !== undefined && isHostContainer(cfg, host, recordedPid)) containers.add(recordedPid);
  if (recordedPid !== undefined && isHostVm(cfg, host, recordedPid)) vms.add(recordedPid);
  await closeSshMasters(cfg, host);
  for (const pid of containers) {
    const how = await stopContainer(cfg, host, pid);
    const why = { 'powered off': '', halted: ': poweroff stalled at halt.target, sent systemd "halt immediately"', killed: ': did not halt, killed' }[how];
    log(`${host.name}: stopped (${how}${why})`);
  }
  for (const pid of vms) {
    const how = await stopVm(cfg, host, pid);
    log(`${host.name}: stopped (${how === 'killed' ? 'did not power off after system_powerdown, killed' : 'powered off'})`);
  }
  await removeLinks(host);
  const hadDir = existsSync(hostDir(cfg, host));
  await removeHostRoot(cfg, host);
  return containers.size + vms.size > 0 || hadDir;
}

function labAptProxies(cfg: LabConfig): number[] {
  return findProcesses((argv) => /apt-cacher-ng$/.test(argv[0] ?? '') && argv.includes(aptProxyConfDir(cfg)));
}

async function downLocked(cfg: LabConfig, log: Log): Promise<string[]> {
  const state = readState(cfg);
  const stopped = await Promise.all(cfg.hosts.map(async (h) => ((await cleanHost(cfg, h, log, state.hosts[h.name]?.pid)) ? h.name : undefined)));
  const proxies = new Set(labAptProxies(cfg));
  if (state.aptProxy && isLabAptProxy(cfg, state.aptProxy.pid)) proxies.add(state.aptProxy.pid);
  for (const pid of proxies) {
    await stopAptProxy(cfg, pid);
    log(`apt proxy: stopped (pid ${pid})`);
  }
  clearState(cfg);
  const left = leftovers(cfg);
  const all = [...left.processes, ...left.mounts.map((m) => `mount ${m}`), ...left.links.map((l) => `link ${l}`), ...left.files];
  if (all.length > 0) throw new LabError(`down left these behind:\n${all.map((a) => `  - ${a}`).join('\n')}`);
  return stopped.filter((s): s is string => !!s);
}

/** Stops every host and the apt proxy, removes veths, taps, overlays, VM disks and per-host dirs; fails if anything is left. */
export async function down(opts: LabOptions = {}): Promise<DownResult> {
  const { cfg, log } = setup(opts);
  assertPrerequisites(DOWN_PROGRAMS, cfg);
  const unlock = lockLab(cfg);
  try {
    const t0 = Date.now();
    const stopped = await downLocked(cfg, log);
    return { stopped, seconds: (Date.now() - t0) / 1000 };
  } finally {
    unlock();
  }
}

/** What of the lab exists right now: nspawn, QEMU and apt-cacher-ng processes, mounts under the state dir, links, host dirs. */
export function leftovers(config: LabConfig = defaultLabConfig): Leftovers {
  const pids = [...config.hosts.flatMap((h) => [...findHostContainers(config, h), ...findHostVms(config, h)]), ...labAptProxies(config)];
  return {
    processes: pids.map((p) => `pid ${p}: ${(cmdline(p) ?? []).join(' ')}`),
    mounts: mountsUnder(config.stateDir).map((m) => `${m.target} (${m.fstype})`),
    links: labLinks(config),
    files: config.hosts.map((h) => hostDir(config, h)).filter((d) => existsSync(d)),
  };
}

/** Whether a host's container or VM runs (no SSH check). */
export function isRunning(name: string, opts: LabOptions = {}): boolean {
  const { cfg } = setup(opts);
  const host = cfg.hosts.find((h) => h.name === name);
  return !!host && runningPid(cfg, host, readState(cfg)) !== undefined;
}

export interface LabStatus {
  hosts: HostStatus[];
  aptProxy: { running: boolean; pid?: number };
}

/** Each host: whether its container or VM runs and whether SSH answers (3 s per host, in parallel). */
export async function status(opts: LabOptions = {}): Promise<LabStatus> {
  const { cfg } = setup(opts);
  const state = readState(cfg);
  const hosts = await Promise.all(
    cfg.hosts.map(async (host): Promise<HostStatus> => {
      const pid = runningPid(cfg, host, state);
      return {
        name: host.name,
        kind: host.kind,
        release: host.release,
        address: hostAddress(cfg, host),
        running: pid !== undefined,
        pid,
        rootMode: pid !== undefined ? state.hosts[host.name]?.rootMode : undefined,
        sshAnswers: pid !== undefined && (await sshAnswers(cfg, host, 3)),
      };
    }),
  );
  const proxyPid = state.aptProxy?.pid;
  const proxyRunning = proxyPid !== undefined && isLabAptProxy(cfg, proxyPid);
  return { hosts, aptProxy: { running: proxyRunning, pid: proxyRunning ? proxyPid : undefined } };
}
