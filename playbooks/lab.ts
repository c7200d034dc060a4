#!/usr/bin/env -S npx zx
/** The lab: local Debian test hosts for the playbooks (systemd-nspawn, QEMU). See `npx zx playbooks/lab.ts --help`. */
import { $ } from 'zx';
import { InputError } from '../lib/errors.ts';
import { loadInventory } from '../lib/inventory/load.ts';
import { buildSchema } from '../lib/inventory/schema.ts';
import { allRoles } from '../roles/index.ts';
import { findHost, hostAddress, labKnownHostsFile, type LabHost } from '../test/lab/config.ts';
import { LabError, LabPrerequisiteError, which } from '../test/lab/exec.ts';
import { defaultLabConfig, down, ensureLabPrerequisites, isRunning, status, up } from '../test/lab/lab.ts';
import { sshOptions, sshTarget } from '../test/lab/ssh.ts';

const EXIT = { ok: 0, badInput: 1, failed: 2 } as const;
const cfg = defaultLabConfig;

const HELP = `Usage: npx zx playbooks/lab.ts <command> [options]

The lab: local Debian test hosts (systemd-nspawn containers, QEMU VMs; systemd and sshd) to run the playbooks against.
${cfg.hosts.map((h) => `  ${h.name.padEnd(10)} Debian ${h.release.padEnd(9)} ${hostAddress(cfg, h).padEnd(12)} ${kindText(h)}`).join('\n')}
Needs root and debootstrap, systemd-container, apt-cacher-ng, openssh-client, iproute2, and for a VM qemu-system-x86,
qemu-utils, e2fsprogs (\`prerequisites\` installs them).
MSH_LAB_PVE=nspawn makes pve a container (boots in a second, no ZFS) instead of a VM.

Commands:
  up [--reset]         start the hosts (the first run builds their base root filesystems with debootstrap and
                       bakes the VM image, about 10 min), the apt proxy, and write ${rel(cfg.inventoryFile)};
                       a VM boots under TCG (no KVM) in about a minute; --reset: down first, then up
  down                 stop the hosts and the apt proxy; remove their overlays, VM disks, interfaces and directories
  status               each host, its address, whether SSH answers
  ssh <host> [-- cmd]  ssh into a host with the lab key, or run cmd there
  prerequisites        apt-get install what the lab needs

Then: npx zx playbooks/site.ts -i ${rel(cfg.inventoryFile)} --skip-tags tailscale

Options:
  -h, --help           this help

Exit codes: 0 ok, 1 bad input (command, flag or host name), 2 failure (including: not root, a tool missing).
\`ssh\` exits with the remote command's code (255 when ssh itself fails).
Base root filesystems, VM images and the apt cache: ${cfg.cacheDir}; per-host state and console logs: ${cfg.stateDir}.`;

function kindText(h: LabHost): string {
  if (h.kind === 'nspawn') return 'container';
  return `QEMU VM, extra disks ${h.vm.disks.map((d) => d.serial).join(', ')}`;
}

function rel(path: string): string {
  return path.startsWith(`${cfg.repoRoot}/`) ? path.slice(cfg.repoRoot.length + 1) : path;
}

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

/** Arguments after this script's path (`npx zx playbooks/lab.ts …` and `node playbooks/lab.ts …` differ before it). */
function scriptArgs(): string[] {
  const at = process.argv.findIndex((a, i) => i > 0 && /(^|\/)lab\.ts$/.test(a));
  return process.argv.slice(at >= 0 ? at + 1 : 2);
}

class UsageError extends Error {}

interface Command {
  name: 'up' | 'down' | 'status' | 'ssh' | 'prerequisites' | 'help';
  reset: boolean;
  host?: string;
  remote: string[];
}

function parse(args: string[]): Command {
  const dash = args.indexOf('--');
  const own = dash >= 0 ? args.slice(0, dash) : args;
  const remote = dash >= 0 ? args.slice(dash + 1) : [];
  if (own.includes('-h') || own.includes('--help') || own[0] === 'help') return { name: 'help', reset: false, remote };
  const [name, ...rest] = own;
  const flags = rest.filter((a) => a.startsWith('-'));
  const positionals = rest.filter((a) => !a.startsWith('-'));
  const noExtra = (allowedFlags: string[]) => {
    const bad = flags.find((f) => !allowedFlags.includes(f));
    if (bad) throw new UsageError(`${name}: unknown option ${bad}`);
    if (positionals.length > 0) throw new UsageError(`${name}: unexpected argument ${positionals[0]}`);
    if (dash >= 0) throw new UsageError(`${name}: "--" is only for ssh`);
  };
  switch (name) {
    case undefined:
      throw new UsageError('no command given');
    case 'up':
      noExtra(['--reset']);
      return { name, reset: flags.includes('--reset'), remote };
    case 'down':
    case 'status':
    case 'prerequisites':
      noExtra([]);
      return { name, reset: false, remote };
    case 'ssh': {
      if (flags.length > 0) throw new UsageError(`ssh: unknown option ${flags[0]} (put the remote command after --)`);
      const [host, ...more] = positionals;
      if (!host) throw new UsageError(`ssh: which host? (${cfg.hosts.map((h) => h.name).join(', ')})`);
      if (!findHost(cfg, host)) throw new UsageError(`ssh: no lab host "${host}" (hosts: ${cfg.hosts.map((h) => h.name).join(', ')})`);
      return { name, reset: false, host, remote: [...more, ...remote] };
    }
    default:
      throw new UsageError(`unknown command "${name}"`);
  }
}

async function cmdUp(reset: boolean): Promise<number> {
  out(reset ? 'lab: reset (down, then up)' : 'lab: up');
  let res;
  try {
    res = await up({ reset, log: (l) => out(`  ${l}`) });
  } catch (e) {
    if (e instanceof LabError && !(e instanceof LabPrerequisiteError)) err(`  (run \`npx zx playbooks/lab.ts down\` to remove what was started)`);
    throw e;
  }
  try {
    loadInventory(res.inventoryFile, buildSchema(allRoles));
  } catch (e) {
    const why = e instanceof InputError ? e.format() : (e as Error).message;
    throw new LabError(`the generated inventory does not load: ${why}`);
  }
  out(res.alreadyUp ? `lab: already up (checked in ${res.seconds.toFixed(1)} s)` : `lab: up in ${res.seconds.toFixed(1)} s (started ${res.started.join(', ')})`);
  out(`  inventory: ${rel(res.inventoryFile)} → npx zx playbooks/site.ts -i ${rel(res.inventoryFile)} --skip-tags tailscale`);
  return EXIT.ok;
}

async function cmdDown(): Promise<number> {
  out('lab: down');
  const res = await down({ log: (l) => out(`  ${l}`) });
  out(res.stopped.length > 0 ? `lab: down in ${res.seconds.toFixed(1)} s (stopped ${res.stopped.join(', ')})` : 'lab: was not up; nothing left behind');
  return EXIT.ok;
}

async function cmdStatus(): Promise<number> {
  const st = await status();
  for (const h of st.hosts) {
    const state = !h.running ? 'down' : h.kind === 'vm' ? `up (VM, qemu pid ${h.pid})` : `up (nspawn pid ${h.pid}, root ${h.rootMode ?? '?'})`;
    const ssh = h.running ? (h.sshAnswers ? 'ssh answers' : 'ssh does NOT answer') : '';
    out(`${h.name.padEnd(10)} ${h.release.padEnd(9)} ${h.address.padEnd(12)} ${state.padEnd(34)} ${ssh}`.trimEnd());
  }
  out(`apt proxy: ${st.aptProxy.running ? `running (apt-cacher-ng pid ${st.aptProxy.pid}, port ${cfg.aptProxyPort})` : 'not running'}`);
  return EXIT.ok;
}

async function cmdSsh(hostName: string, remote: string[]): Promise<number> {
  if (!which('ssh')) throw new LabPrerequisiteError(['ssh: not installed (apt-get install openssh-client)']);
  const host = findHost(cfg, hostName)!;
  if (!isRunning(hostName)) throw new LabError(`${hostName} is not up: run npx zx playbooks/lab.ts up`);
  const args = [...sshOptions(cfg), ...(remote.length === 0 ? ['-t'] : []), '--', sshTarget(cfg, host), ...remote];
  const res = await $({ stdio: 'inherit', nothrow: true, verbose: false, quiet: true })`ssh ${args}`;
  if (res.exitCode === 255) err(`(ssh failed; known_hosts: ${rel(labKnownHostsFile(cfg))})`);
  return res.exitCode ?? EXIT.failed;
}

async function main(): Promise<number> {
  let cmd: Command;
  try {
    cmd = parse(scriptArgs());
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`error: ${e.message}\n  fix: see npx zx playbooks/lab.ts --help`);
    return EXIT.badInput;
  }
  try {
    switch (cmd.name) {
      case 'help':
        out(HELP);
        return EXIT.ok;
      case 'up':
        return await cmdUp(cmd.reset);
      case 'down':
        return await cmdDown();
      case 'status':
        return await cmdStatus();
      case 'ssh':
        return await cmdSsh(cmd.host!, cmd.remote);
      case 'prerequisites':
        await ensureLabPrerequisites((l) => out(`  ${l}`));
        out('lab: prerequisites installed');
        return EXIT.ok;
    }
  } catch (e) {
    if (e instanceof LabError) {
      err(`error: ${e.message}`);
      return EXIT.failed;
    }
    err(`internal error: ${(e as Error).stack ?? String(e)}`);
    return EXIT.failed;
  }
}

process.exitCode = await main();
