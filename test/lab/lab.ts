/** The lab's API: up, down, status (the CLI is playbooks/lab.ts). */
import { existsSync } from 'node:fs';
import { configProblems, defaultLabConfig, gatewayAddress, hostAddress, hostDir, type LabConfig, type LabHost } from './config.ts';
import { LabError, seconds, type Log } from './exec.ts';
import { createHostRoot, hostPublicKeys, personalize, removeHostRoot, type RootMode } from './host-root.ts';
import { writeLabInventory } from './inventory.ts';
import { mountsUnder } from './mounts.ts';
import { configureVeth, labLinks, removeVeth, waitForVeth } from './network.ts';
import { findHostContainers, isHostContainer, startContainer, stopContainer } from './nspawn.ts';
import { aptProxyConfDir, isLabAptProxy, startAptProxy, stopAptProxy } from './apt-proxy.ts';
import { assertPrerequisites, DOWN_PROGRAMS } from './prerequisites.ts';
import { alive, cmdline, findProcesses } from './processes.ts';
import { ensureBase, type BaseRootfs } from './rootfs.ts';
import { closeSshMasters, ensureLabKey, sshAnswers, waitForSsh, writeKnownHosts } from './ssh.ts';
import { clearState, lockLab, readState, writeState, type LabState } from './state.ts';

export { ensureLabPrerequisites, missingPrerequisites } from './prerequisites.ts';
export { defaultLabConfig } from './config.ts';

export interface LabOptions {
  config?: LabConfig;
  /** Progress lines. */
  log?: Log;
}

export interface HostStatus {
  name: string;
  release: string;
  address: string;
  running: boolean;
  /** systemd-nspawn's pid when running. */
  pid?: number;
  rootMode?: RootMode;
  sshAnswers: boolean;
}

export interface UpResult {
  /** Every host was already up: nothing was started. */
  alreadyUp: boolean;
  started: string[];
  /** The bases the started hosts use; `built` when this call built one. */
  bases: BaseRootfs[];
  seconds: number;
  inventoryFile: string;
}

export interface DownResult {
  stopped: string[];
  seconds: number;
}

export interface Leftovers {
  processes: string[];
  mounts: string[];
  links: string[];
}

function setup(opts: LabOptions): { cfg: LabConfig; log: Log } {
  const cfg = opts.config ?? defaultLabConfig;
  const problems = configProblems(cfg);
  if (problems.length > 0) throw new LabError(`bad lab config:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return { cfg, log: opts.log ?? (() => undefined) };
}

function runningPid(cfg: LabConfig, host: LabHost, state: LabState): number | undefined {
  const pid = state.hosts[host.name]?.pid;
  return pid !== undefined && isHostContainer(cfg, host, pid) ? pid : undefined;
}

/** Starts every host that is not running (and the apt proxy), then writes known_hosts and the inventory. */
export async function up(opts: LabOptions & { reset?: boolean } = {}): Promise<UpResult> {
  const { cfg, log } = setup(opts);
  assertPrerequisites();
  const unlock = lockLab(cfg);
  try {
    if (opts.reset) await downLocked(cfg, log);
    const t0 = Date.now();
    const state = readState(cfg);
    const toStart: LabHost[] = [];
    for (const host of cfg.hosts) {
      const pid = runningPid(cfg, host, state);
      if (pid !== undefined) {
        log(`${host.name}: already up (${hostAddress(cfg, host)}, nspawn pid ${pid})`);
      } else {
        delete state.hosts[host.name];
        toStart.push(host);
      }
    }
    for (const host of toStart) await cleanHost(cfg, host, log);

    const authorizedKey = await ensureLabKey(cfg);
    const releases = [...new Set(toStart.map((h) => h.release))];
    const inUse = (release: string) => cfg.hosts.some((h) => h.release === release && !toStart.includes(h));
    const bases = await Promise.all(releases.map((r) => ensureBase(cfg, r, inUse(r), log)));

    for (const host of toStart) {
      const base = bases.find((b) => b.release === host.release)!;
      const t = Date.now();
      const rootMode = await createHostRoot(cfg, host, base.dir, log);
      await personalize(cfg, host, authorizedKey);
      const pid = startContainer(cfg, host);
      state.hosts[host.name] = { release: host.release, address: hostAddress(cfg, host), pid, rootMode, startedAt: new Date().toISOString() };
      writeState(cfg, state);
      await waitForVeth(host, 15_000, () => !alive(pid));
      log(`${host.name}: booting ${host.release} at ${hostAddress(cfg, host)} (nspawn pid ${pid}, root ${rootMode}, ${seconds(t)})`);
    }
    // Also for hosts that were up: `ip addr replace` is idempotent and repairs a removed address.
    for (const host of cfg.hosts) await configureVeth(cfg, host);

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

    writeKnownHosts(cfg, cfg.hosts.map((h) => ({ address: hostAddress(cfg, h), keys: hostPublicKeys(cfg, h) })));
    const failures = await Promise.all(
      cfg.hosts.map(async (host) => {
        const pid = state.hosts[host.name]!.pid;
        const err = await waitForSsh(cfg, host, cfg.bootTimeoutSec * 1000, () => !alive(pid));
        if (!err && toStart.includes(host)) log(`${host.name}: ssh answers`);
        return err ? `${host.name} (${hostAddress(cfg, host)}): ssh did not answer within ${cfg.bootTimeoutSec}s: ${err}` : undefined;
      }),
    );
    const failed = failures.filter((f): f is string => !!f);
    if (failed.length > 0) throw new LabError(`${failed.join('\n')}\n(console logs under ${cfg.stateDir}/logs)`);
    const inventoryFile = writeLabInventory(cfg);
    return { alreadyUp: toStart.length === 0, started: toStart.map((h) => h.name), bases, seconds: (Date.now() - t0) / 1000, inventoryFile };
  } finally {
    unlock();
  }
}

/** Stops a host's nspawn processes (recorded or not), removes its veth, overlay and directory. */
async function cleanHost(cfg: LabConfig, host: LabHost, log: Log, recordedPid?: number): Promise<boolean> {
  const pids = new Set(findHostContainers(cfg, host));
  if (recordedPid !== undefined && isHostContainer(cfg, host, recordedPid)) pids.add(recordedPid);
  await closeSshMasters(cfg, host);
  for (const pid of pids) {
    const how = await stopContainer(cfg, host, pid);
    const why = { 'powered off': '', halted: ': poweroff stalled at halt.target, sent systemd "halt immediately"', killed: ': did not halt, killed' }[how];
    log(`${host.name}: stopped (${how}${why})`);
  }
  await removeVeth(host);
  const hadDir = existsSync(hostDir(cfg, host));
  await removeHostRoot(cfg, host);
  return pids.size > 0 || hadDir;
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
  const all = [...left.processes, ...left.mounts.map((m) => `mount ${m}`), ...left.links.map((l) => `link ${l}`)];
  if (all.length > 0) throw new LabError(`down left these behind:\n${all.map((a) => `  - ${a}`).join('\n')}`);
  return stopped.filter((s): s is string => !!s);
}

/** Stops every host and the apt proxy, removes veths, overlays and per-host dirs; fails if anything is left. */
export async function down(opts: LabOptions = {}): Promise<DownResult> {
  const { cfg, log } = setup(opts);
  assertPrerequisites(DOWN_PROGRAMS);
  const unlock = lockLab(cfg);
  try {
    const t0 = Date.now();
    const stopped = await downLocked(cfg, log);
    return { stopped, seconds: (Date.now() - t0) / 1000 };
  } finally {
    unlock();
  }
}

/** What of the lab exists right now: nspawn and apt-cacher-ng processes, mounts under the state dir, veths. */
export function leftovers(config: LabConfig = defaultLabConfig): Leftovers {
  const pids = [...config.hosts.flatMap((h) => findHostContainers(config, h)), ...labAptProxies(config)];
  return {
    processes: pids.map((p) => `pid ${p}: ${(cmdline(p) ?? []).join(' ')}`),
    mounts: mountsUnder(config.stateDir).map((m) => `${m.target} (${m.fstype})`),
    links: labLinks(config),
  };
}

/** Whether a host's container runs (no SSH check). */
export function isRunning(name: string, opts: LabOptions = {}): boolean {
  const { cfg } = setup(opts);
  const host = cfg.hosts.find((h) => h.name === name);
  return !!host && runningPid(cfg, host, readState(cfg)) !== undefined;
}

export interface LabStatus {
  hosts: HostStatus[];
  aptProxy: { running: boolean; pid?: number };
}

/** Each host: whether its container runs and whether SSH answers (3 s per host, in parallel). */
export async function status(opts: LabOptions = {}): Promise<LabStatus> {
  const { cfg } = setup(opts);
  const state = readState(cfg);
  const hosts = await Promise.all(
    cfg.hosts.map(async (host): Promise<HostStatus> => {
      const pid = runningPid(cfg, host, state);
      return {
        name: host.name,
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
