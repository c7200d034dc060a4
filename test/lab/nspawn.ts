/** Booting a host with systemd-nspawn in the background, and stopping it again, by pid. */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { consoleLog, hostRoot, type LabConfig, type LabHost } from './config.ts';
import { LabError, sleep, which } from './exec.ts';
import { alive, children, cmdline, findProcesses, signal, waitGone } from './processes.ts';

/**
 * The host's PID 1 is not systemd and no udev runs: `--register=no --keep-unit` keep nspawn from asking systemd for a
 * scope; `--network-veth` is the one network mode that works without udev. resolv.conf and /etc/localtime stay the
 * container's own (roles manage them), and its journal stays inside it.
 */
export function nspawnArgs(cfg: LabConfig, host: LabHost): string[] {
  return [
    '--boot',
    `--directory=${hostRoot(cfg, host)}`,
    `--machine=${host.name}`,
    `--hostname=${host.name}`,
    '--register=no',
    '--keep-unit',
    '--network-veth',
    `--capability=${cfg.capabilities.join(',')}`,
    '--resolv-conf=off',
    '--timezone=off',
    '--link-journal=no',
    '--console=read-only',
  ];
}

/** Starts the container detached from us; its console goes to the host's console log. Returns nspawn's pid. */
export function startContainer(cfg: LabConfig, host: LabHost): number {
  const program = which('systemd-nspawn');
  if (!program) throw new LabError('systemd-nspawn is not installed (apt-get install systemd-container)');
  const log = consoleLog(cfg, host);
  mkdirSync(dirname(log), { recursive: true });
  const fd = openSync(log, 'w');
  try {
    const child = spawn(program, nspawnArgs(cfg, host), { detached: true, stdio: ['ignore', fd, fd] });
    if (!child.pid) throw new LabError(`${host.name}: systemd-nspawn did not start`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** Whether `pid` is the running nspawn of this host (a recorded pid may have been reused since). */
export function isHostContainer(cfg: LabConfig, host: LabHost, pid: number): boolean {
  const argv = cmdline(pid);
  return !!argv && alive(pid) && /systemd-nspawn$/.test(argv[0] ?? '') && argv.includes(`--machine=${host.name}`) && argv.includes(`--directory=${hostRoot(cfg, host)}`);
}

/** nspawn processes running this host, whether recorded or not. */
export function findHostContainers(cfg: LabConfig, host: LabHost): number[] {
  return findProcesses((argv) => /systemd-nspawn$/.test(argv[0] ?? '') && argv.includes(`--directory=${hostRoot(cfg, host)}`));
}

/** glibc's SIGRTMIN on Linux; systemd's signal numbers count from it. */
const SIGRTMIN = 34;
/** systemd: "halt immediately" (skips the units, still runs systemd-shutdown). */
const SIGNAL_IMMEDIATE_HALT = SIGRTMIN + 13;

export type StopHow = 'powered off' | 'halted' | 'killed';

/** Whether the host's console shows systemd has reached halt.target (all units stopped). */
function reachedHalt(logFile: string): boolean {
  try {
    return /Reached target .*halt\.target/.test(readFileSync(logFile, 'utf8').slice(-4096));
  } catch {
    return false;
  }
}

/**
 * SIGTERM makes nspawn power the container off (SIGRTMIN+3 to its systemd). Debian 13's systemd (257) here sometimes
 * (about 1 stop in 10) reaches halt.target and then waits forever instead of running systemd-shutdown; "halt
 * immediately" ends that, sent 2 s after halt.target shows on the console, or after `stepMs` at the latest.
 * As a last resort the container's init is killed, which ends its whole PID namespace, then nspawn.
 */
export async function stopContainer(cfg: LabConfig, host: LabHost, pid: number, stepMs = 15_000): Promise<StopHow> {
  const inits = children(pid);
  const log = consoleLog(cfg, host);
  signal(pid, 'SIGTERM');
  const until = Date.now() + stepMs;
  let haltSeenAt: number | undefined;
  while (alive(pid) && Date.now() < until && !(haltSeenAt && Date.now() - haltSeenAt > 2000)) {
    if (!haltSeenAt && reachedHalt(log)) haltSeenAt = Date.now();
    await sleep(100);
  }
  if (!alive(pid)) return 'powered off';
  for (const init of inits) signal(init, SIGNAL_IMMEDIATE_HALT);
  if (await waitGone(pid, stepMs)) return 'halted';
  for (const init of inits) signal(init, 'SIGKILL');
  signal(pid, 'SIGKILL');
  if (!(await waitGone(pid, 5_000))) throw new LabError(`systemd-nspawn (pid ${pid}) did not exit after SIGKILL`);
  return 'killed';
}
