/**
 * A throwaway OpenSSH server on 127.0.0.1 for connector tests.
 * Needs root (sshd privilege separation, useradd) and /usr/sbin/sshd.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { connect as netConnect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { spawnCollect } from '../../lib/connectors/process.ts';

export const SSHD_BINARY = '/usr/sbin/sshd';

export type SudoMode = 'nopasswd' | 'password' | 'none';

export interface SshdFixture {
  host: '127.0.0.1';
  port: number;
  /** Private key of a throwaway user key, authorized for root and every user added with addUser(). */
  keyFile: string;
  /** A known_hosts file in the temp dir (initially absent; ssh adds the host key on first connect). */
  knownHostsFile: string;
  /** The server's public host key line ("ssh-ed25519 AAAA…"). */
  hostPublicKey: string;
  /** The fixture's temp directory (removed by stop()). */
  dir: string;
  /** Creates a login user (removed by stop()); `sudo` writes /etc/sudoers.d/<name>. */
  addUser(name: string, sudo: SudoMode): Promise<void>;
  /** What sshd printed so far (it runs with -e). */
  logs(): string;
  /** Kills sshd and its per-connection children, removes users, sudoers drop-ins and the temp dir. */
  stop(): Promise<void>;
}

/** Why the fixture cannot run here, or undefined when it can. */
export function sshdUnavailableReason(): string | undefined {
  if (userInfo().uid !== 0) return 'tests need root (sshd, useradd, sudoers)';
  if (!existsSync(SSHD_BINARY)) return `${SSHD_BINARY} is not installed (apt-get install openssh-server)`;
  if (!existsSync('/usr/bin/ssh-keygen')) return 'ssh-keygen is not installed (apt-get install openssh-client)';
  return undefined;
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** Generates an ed25519 key pair without passphrase; returns the private key path. */
export async function makeKey(dir: string, name: string): Promise<string> {
  const file = join(dir, name);
  const res = await spawnCollect('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `msh-test-${name}`, '-f', file]);
  if (res.code !== 0) throw new Error(`ssh-keygen failed: ${res.stderr}`);
  return file;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = netConnect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function childPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((s) => Number(s.trim()))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* gone */
  }
}

function removeUserSync(name: string): void {
  try {
    execFileSync('userdel', ['-f', '-r', name], { stdio: 'ignore' });
  } catch {
    /* did not exist */
  }
  rmSync(`/etc/sudoers.d/${name}`, { force: true });
}

export async function startSshd(): Promise<SshdFixture> {
  const reason = sshdUnavailableReason();
  if (reason) throw new Error(`cannot start a test sshd: ${reason}`);
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation directory

  const dir = mkdtempSync(join(tmpdir(), 'msh-sshd-'));
  // Users other than root read authorized_keys from here (sshd reads it with the user's uid).
  chmodSync(dir, 0o755);
  const hostKey = await makeKey(dir, 'host_ed25519');
  const keyFile = await makeKey(dir, 'user_ed25519');
  const authorizedKeys = join(dir, 'authorized_keys');
  writeFileSync(authorizedKeys, readFileSync(`${keyFile}.pub`), { mode: 0o644 });
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      'ListenAddress 127.0.0.1',
      `Port ${port}`,
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      `PidFile ${join(dir, 'sshd.pid')}`,
      'StrictModes no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'PrintMotd no',
      'PrintLastLog no',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );

  const child: ChildProcess = spawn(SSHD_BINARY, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  let exited: number | null | undefined;
  child.stderr?.on('data', (b: Buffer) => (log += b.toString('utf8')));
  const exitPromise = new Promise<void>((resolve) =>
    child.on('exit', (code) => {
      exited = code;
      resolve();
    }),
  );

  const users: string[] = [];
  let stopped = false;
  const stopSync = (): void => {
    if (stopped) return;
    stopped = true;
    if (child.pid && exited === undefined) {
      for (const pid of childPids(child.pid)) killQuietly(pid, 'SIGKILL');
      killQuietly(child.pid, 'SIGTERM');
    }
    for (const name of users) removeUserSync(name);
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stopSync);

  const until = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (exited !== undefined || Date.now() > until) {
      stopSync();
      throw new Error(`test sshd did not start on port ${port}${exited !== undefined ? ` (exit ${exited})` : ''}: ${log.trim()}`);
    }
    await sleep(50);
  }

  return {
    host: '127.0.0.1',
    port,
    keyFile,
    knownHostsFile: join(dir, 'known_hosts'),
    hostPublicKey: readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' '),
    dir,
    logs: () => log,
    async addUser(name: string, sudo: SudoMode): Promise<void> {
      if (!/^msh-test-[a-z0-9-]+$/.test(name)) throw new Error(`test user names must start with msh-test-: ${name}`);
      removeUserSync(name); // left over from an interrupted run
      users.push(name);
      // '*' instead of the default '!': sshd without PAM refuses locked accounts even for key logins.
      const add = await spawnCollect('useradd', ['-m', '-s', '/bin/sh', '-p', '*', name]);
      if (add.code !== 0) throw new Error(`useradd ${name} failed: ${add.stderr}`);
      if (sudo !== 'none') {
        const file = `/etc/sudoers.d/${name}`;
        const rule = sudo === 'nopasswd' ? `${name} ALL=(ALL:ALL) NOPASSWD: ALL\n` : `${name} ALL=(ALL:ALL) ALL\n`;
        writeFileSync(file, rule, { mode: 0o440 });
        const check = await spawnCollect('visudo', ['-c', '-q', '-f', file]);
        if (check.code !== 0) throw new Error(`visudo rejected ${file}: ${check.stderr || check.stdout}`);
      }
    },
    async stop(): Promise<void> {
      if (stopped) return;
      process.removeListener('exit', stopSync);
      if (child.pid && exited === undefined) {
        // Per-connection sshd processes outlive the listener; end them first (by pid).
        for (const pid of childPids(child.pid)) killQuietly(pid, 'SIGKILL');
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exitPromise;
        clearTimeout(t);
      }
      stopSync();
    },
  };
}
