import { existsSync, mkdirSync, readFileSync, statSync, chmodSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { userInfo } from 'node:os';
import {
  CommandTimeoutError,
  emptyStats,
  UnreachableError,
  type Connector,
  type ConnectorStats,
  type RunOptions,
  type RunResult,
} from './connector.ts';
import { spawnCollect, type SpawnResult } from './process.ts';
import { shq } from './shell.ts';

export interface SshConnectorOptions {
  host: string;
  /** Default 22. */
  port?: number;
  /** Default root. */
  user?: string;
  /** Private key; passed with `-i` and IdentitiesOnly=yes. Without it ssh uses its defaults and the agent. */
  keyFile?: string;
  /** Run commands as root through `sudo -n` when user is not root. */
  become?: boolean;
  /** Default 10. */
  connectTimeoutSec?: number;
  /** Default 900000 (15 min). */
  commandTimeoutMs?: number;
  /** Default `<cwd>/.ssh-state/known_hosts` (directory created 0700). */
  knownHostsFile?: string;
  /** Directory for control sockets; keep it short (unix socket paths must stay < 104 bytes). Default `/tmp/msh-<uid>`. */
  controlDir?: string;
  /** The ssh program; default `ssh` from PATH. */
  sshBinary?: string;
}

/** The host is reachable but commands cannot run as root (sudo missing or asking for a password). */
export class BecomeError extends Error {
  override name = 'BecomeError';
}

/** Scripts whose remote command line would exceed this many bytes are uploaded to a temp file first (the limit is 128 KiB). */
export const MAX_INLINE_SCRIPT_BYTES = 96 * 1024;
/** Longest control directory that leaves room for `/<40 hex>` plus the 17-byte temp suffix ssh uses while binding. */
const MAX_CONTROL_DIR_LENGTH = 103 - 1 - 40 - 17;
/** ssh checks that the master is still alive after this much idle time (ControlPersist is 60 s). */
const IDLE_RECHECK_MS = 45_000;
/** Extra seconds the remote `timeout` waits past the local deadline, so the local one fires first. */
const REMOTE_TIMEOUT_GRACE_SEC = 2;

/** Lines ssh itself prints (as opposed to the remote script) when the connection is the problem. */
const SSH_CONNECTION_ERROR =
  /^(ssh: |kex_exchange_identification|Connection (refused|reset|timed out|closed)|Connection to \S+ closed|.*Permission denied \(|Host key verification failed|Host key for .* has changed|client_loop: |mux_client_|Control socket connect|ControlSocket |.*Broken pipe|Received disconnect|Disconnected from|Timeout, server .* not responding|Bad owner or permissions|Could not resolve|Load key )/;

export class SshConnector implements Connector {
  readonly kind = 'ssh' as const;
  readonly target: string;
  readonly stats: ConnectorStats = emptyStats();

  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly knownHostsFile: string;
  readonly controlDir: string;
  private readonly keyFile: string | undefined;
  private readonly become: boolean;
  private readonly connectTimeoutSec: number;
  private readonly commandTimeoutMs: number;
  private readonly ssh: string;

  private connected = false;
  private connecting: Promise<void> | undefined;
  private lastUse = 0;
  private hasRemoteTimeout = false;
  private sudoVerified = false;
  private resolvedControlPath: string | undefined;

  constructor(opts: SshConnectorOptions) {
    if (!opts.host || /^-|\s/.test(opts.host)) throw new Error(`invalid ssh host ${JSON.stringify(opts.host)}`);
    this.host = opts.host;
    this.port = opts.port ?? 22;
    this.user = opts.user ?? 'root';
    if (!this.user || /^-|\s/.test(this.user)) throw new Error(`invalid ssh user ${JSON.stringify(this.user)}`);
    this.keyFile = opts.keyFile ? resolve(opts.keyFile) : undefined;
    this.become = opts.become ?? false;
    this.connectTimeoutSec = opts.connectTimeoutSec ?? 10;
    this.commandTimeoutMs = opts.commandTimeoutMs ?? 900_000;
    this.knownHostsFile = resolve(opts.knownHostsFile ?? join(process.cwd(), '.ssh-state', 'known_hosts'));
    this.controlDir = resolve(opts.controlDir ?? `/tmp/msh-${userInfo().uid}`);
    this.ssh = opts.sshBinary ?? 'ssh';
    if (this.controlDir.length > MAX_CONTROL_DIR_LENGTH) {
      throw new Error(
        `controlDir ${this.controlDir} is too long (${this.controlDir.length} > ${MAX_CONTROL_DIR_LENGTH} chars): ` +
          `unix socket paths must stay under 104 bytes; use a short directory such as /tmp/msh-${userInfo().uid}`,
      );
    }
    const hostPart = this.host.includes(':') ? `[${this.host}]` : this.host;
    this.target = `${this.user}@${hostPart}:${this.port}`;
  }

  /** The known_hosts name of the host: `host` on port 22, `[host]:port` otherwise. */
  get knownHostsName(): string {
    return this.port === 22 ? this.host : `[${this.host}]:${this.port}`;
  }

  /** The control socket path (ControlPath with %C expanded), as reported by `ssh -G`. */
  async controlPath(): Promise<string> {
    if (this.resolvedControlPath) return this.resolvedControlPath;
    const res = await spawnCollect(this.ssh, [...this.baseArgs('auto'), '-G', '--', this.host], { timeoutMs: 10_000 });
    const line = res.stdout.split('\n').find((l) => l.toLowerCase().startsWith('controlpath '));
    if (res.code !== 0 || !line) throw new Error(`ssh -G failed for ${this.target}: ${lastLine(res.stderr) || `exit ${res.code}`}`);
    this.resolvedControlPath = line.slice('controlpath '.length).trim();
    return this.resolvedControlPath;
  }

  private baseArgs(controlMaster: 'auto' | 'yes' | 'no'): string[] {
    const args = [
      '-o', 'BatchMode=yes',
      '-o', 'StrictHostKeyChecking=accept-new',
      '-o', `UserKnownHostsFile=${this.knownHostsFile}`,
      '-o', `ControlMaster=${controlMaster}`,
      '-o', `ControlPath=${this.controlDir}/%C`,
      '-o', 'ControlPersist=60',
      '-o', `ConnectTimeout=${this.connectTimeoutSec}`,
      '-o', 'ServerAliveInterval=15',
      '-o', 'ServerAliveCountMax=3',
      '-o', 'LogLevel=ERROR',
      '-p', String(this.port),
    ];
    if (this.keyFile) args.push('-i', this.keyFile, '-o', 'IdentitiesOnly=yes');
    args.push('-l', this.user);
    return args;
  }

  private prepareDirs(): void {
    mkdirSync(dirname(this.knownHostsFile), { recursive: true, mode: 0o700 });
    mkdirSync(this.controlDir, { recursive: true, mode: 0o700 });
    const st = statSync(this.controlDir);
    if (st.uid !== userInfo().uid) {
      throw new Error(`control directory ${this.controlDir} belongs to uid ${st.uid}, not to us; choose another controlDir`);
    }
    if ((st.mode & 0o777) !== 0o700) chmodSync(this.controlDir, 0o700);
  }

  /** `ssh -O <cmd>` against the control socket. */
  private control(cmd: 'check' | 'exit'): Promise<SpawnResult> {
    return spawnCollect(this.ssh, [...this.baseArgs('auto'), '-O', cmd, '--', this.host], { timeoutMs: 10_000 });
  }

  private async masterPid(): Promise<number | undefined> {
    const res = await this.control('check');
    const m = /Master running \(pid=(\d+)\)/.exec(res.stderr + res.stdout);
    return res.code === 0 && m?.[1] ? Number(m[1]) : undefined;
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    this.connecting ??= this.openMaster().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async openMaster(): Promise<void> {
    this.prepareDirs();
    if (this.keyFile && !existsSync(this.keyFile)) {
      throw new UnreachableError(`cannot connect to ${this.target}: key file ${this.keyFile} does not exist (fix keyFile in the inventory)`);
    }
    // A master left by an earlier run (ControlPersist) is reused as is.
    if ((await this.masterPid()) === undefined) {
      const timeoutMs = (this.connectTimeoutSec * 2 + 10) * 1000;
      const res = await spawnCollect(this.ssh, [...this.baseArgs('yes'), '-f', '-N', '--', this.host], { timeoutMs });
      if (res.timedOut) {
        throw new UnreachableError(
          `cannot connect to ${this.target}: no answer within ${Math.round(timeoutMs / 1000)}s (ssh hung during login) — check that sshd on the host is healthy`,
        );
      }
      if (res.code !== 0) throw new UnreachableError(this.describeFailure(res.stderr, res.code));
      this.stats.connections++;
    }
    // Prove that commands run, and learn whether coreutils `timeout` exists for remote-side cleanup.
    this.stats.roundTrips++;
    const probe = await spawnCollect(
      this.ssh,
      [...this.baseArgs('auto'), '--', this.host, 'command -v timeout >/dev/null 2>&1 && echo msh-timeout; echo msh-ok'],
      { timeoutMs: (this.connectTimeoutSec + 20) * 1000 },
    );
    if (probe.timedOut) throw new UnreachableError(`cannot connect to ${this.target}: logged in but a test command did not finish within ${this.connectTimeoutSec + 20}s`);
    if (probe.code === 255 && isConnectionError(probe.stderr)) throw new UnreachableError(this.describeFailure(probe.stderr, probe.code));
    if (probe.code !== 0 || !/^msh-ok$/m.test(probe.stdout)) {
      throw new UnreachableError(
        `cannot run commands on ${this.target}: ${lastLine(probe.stderr) || `test command exited ${probe.code}`} — check the login shell of ${this.user}`,
      );
    }
    this.hasRemoteTimeout = /^msh-timeout$/m.test(probe.stdout);
    this.connected = true;
    this.lastUse = Date.now();
  }

  /** Reconnects when the master may have expired (ControlPersist) since the last command. */
  private async ensureMaster(): Promise<void> {
    if (!this.connected) return this.connect();
    if (Date.now() - this.lastUse < IDLE_RECHECK_MS) return;
    if ((await this.masterPid()) === undefined) {
      this.connected = false;
      await this.connect();
    }
  }

  /** One line: what failed, ssh's own reason, and how to fix it. */
  private describeFailure(stderr: string, code: number): string {
    const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
    const reason = lines.filter((l) => !/^(@+|Warning: Permanently added)/.test(l)).at(-1) ?? `ssh exited ${code}`;
    const t = this.target;
    if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/.test(stderr)) {
      return (
        `cannot connect to ${t}: the host key has changed since it was recorded in ${this.knownHostsFile} ` +
        `(host reinstalled, or someone intercepts the connection) — if the change is expected, run: ` +
        `ssh-keygen -f ${shq(this.knownHostsFile)} -R ${shq(this.knownHostsName)}`
      );
    }
    if (/Permission denied \(/.test(stderr)) {
      const key = this.keyFile ? `key ${this.keyFile}` : 'the default keys and the ssh agent';
      let hint = this.keyFile
        ? `add ${this.keyFile}.pub to ${this.user}'s authorized_keys on the host, or fix user/keyFile`
        : `set keyFile, or add your public key to ${this.user}'s authorized_keys on the host`;
      if (this.keyFile && /not accessible/.test(stderr)) hint = `key file ${this.keyFile} is not readable`;
      else if (this.keyFile && keyTooOpen(this.keyFile)) hint = `ssh ignores ${this.keyFile} because others can read it: chmod 600 ${this.keyFile}`;
      return `cannot connect to ${t}: authentication failed as user ${this.user} with ${key} (${reason}) — ${hint}`;
    }
    if (/Host key verification failed/.test(stderr)) {
      return `cannot connect to ${t}: host key verification failed (${reason}) — check ${this.knownHostsFile} (it must be writable)`;
    }
    if (/Connection refused/.test(stderr)) {
      return `cannot connect to ${t}: connection refused (${reason}) — is sshd running and listening on port ${this.port}?`;
    }
    if (/timed out|Operation timed out/i.test(stderr)) {
      return `cannot connect to ${t}: no answer within ${this.connectTimeoutSec}s (${reason}) — check the address, that the host is up and that no firewall drops port ${this.port}`;
    }
    if (/Could not resolve hostname/.test(stderr)) {
      return `cannot connect to ${t}: unknown host name (${reason}) — check the host address in the inventory`;
    }
    if (/No route to host|Network is unreachable/.test(stderr)) {
      return `cannot connect to ${t}: network unreachable (${reason}) — check the address and the network`;
    }
    return `cannot connect to ${t}: ${reason}`;
  }

  async run(script: string, opts: RunOptions = {}): Promise<RunResult> {
    await this.ensureMaster();
    this.stats.commands++;
    const become = (opts.become ?? this.become) && this.user !== 'root';
    if (become && !this.sudoVerified) await this.verifySudo();
    const timeoutMs = opts.timeoutMs ?? this.commandTimeoutMs;
    const deadline = Date.now() + timeoutMs;

    let body = script;
    let uploaded: string | undefined;
    if (Buffer.byteLength(this.remoteCommand(script, become, timeoutMs)) > MAX_INLINE_SCRIPT_BYTES) {
      uploaded = await this.upload(script, timeoutMs);
      body = `rc=0; sh ${shq(uploaded)} || rc=$?; rm -f ${shq(uploaded)}; exit $rc`;
    }
    const remaining = Math.max(1, deadline - Date.now());
    const res = await this.exec(this.remoteCommand(body, become, remaining), opts.input, remaining);
    if (res.timedOut) {
      throw new CommandTimeoutError(`command timed out after ${Math.round(timeoutMs / 1000)}s on ${this.target}`);
    }
    return { code: res.code, stdout: res.stdout, stderr: res.stderr };
  }

  /** The command line the login shell runs: `[sudo -n --] [timeout …] sh -c <script>`. */
  private remoteCommand(script: string, become: boolean, timeoutMs: number): string {
    const words: string[] = ['exec'];
    // sudo clears the environment: hand the client's address on, for firewall checks that must not lock it out.
    if (become) words.push('sudo', '-n', '--', 'env', '"MSH_SSH_CLIENT=${SSH_CONNECTION%% *}"');
    if (this.hasRemoteTimeout) {
      // Kills the remote processes shortly after the local deadline: sshd does not signal a command whose client went away.
      words.push('timeout', '-k', '3', `${Math.ceil(timeoutMs / 1000) + REMOTE_TIMEOUT_GRACE_SEC}s`);
    }
    words.push('sh', '-c', shq(script));
    return words.join(' ');
  }

  /** Runs a command line over the master; connection failures (exit 255 with an ssh message) become UnreachableError. */
  private async exec(remote: string, input: string | Buffer | undefined, timeoutMs: number): Promise<SpawnResult> {
    this.stats.roundTrips++;
    const res = await spawnCollect(this.ssh, [...this.baseArgs('auto'), '--', this.host, remote], { input, timeoutMs });
    this.lastUse = Date.now();
    if (!res.timedOut && res.code === 255 && isConnectionError(res.stderr)) {
      this.connected = false;
      throw new UnreachableError(this.describeFailure(res.stderr, res.code));
    }
    return res;
  }

  /** Copies a large script to a private temp file on the host and returns its path. */
  private async upload(script: string, timeoutMs: number): Promise<string> {
    const cmd = `umask 077 && f=$(mktemp "\${TMPDIR:-/tmp}/msh-script.XXXXXXXX") && cat >"$f" && printf '%s\\n' "$f"`;
    const res = await this.exec(cmd, script, timeoutMs);
    if (res.timedOut) throw new CommandTimeoutError(`uploading a ${Buffer.byteLength(script)}-byte script timed out after ${Math.round(timeoutMs / 1000)}s on ${this.target}`);
    const path = res.stdout.trim();
    if (res.code !== 0 || !path.startsWith('/')) {
      throw new Error(`could not upload a script to ${this.target}: ${lastLine(res.stderr) || `exit ${res.code}`}`);
    }
    return path;
  }

  /**
   * A new connection with its own TCP session and login. Retried for a few seconds: sshd closes its listener while it
   * re-executes itself on reload, and a connection refused in that instant proves nothing.
   */
  async verifyNewConnection(): Promise<void> {
    const args = this.baseArgs('no').map((a) => (a.startsWith('ControlPath=') ? 'ControlPath=none' : a));
    const until = Date.now() + 10_000;
    for (;;) {
      // Not multiplexed: a connection of its own, and one round trip.
      this.stats.connections++;
      this.stats.roundTrips++;
      const res = await spawnCollect(this.ssh, [...args, '--', this.host, 'echo msh-new-connection-ok'], {
        timeoutMs: (this.connectTimeoutSec + 20) * 1000,
      });
      if (res.code === 0 && res.stdout.includes('msh-new-connection-ok')) return;
      const refused = /Connection refused|Connection reset|kex_exchange_identification/.test(res.stderr);
      if (!refused || Date.now() > until) {
        if (res.timedOut) throw new Error(`a new SSH connection to ${this.target} did not answer within ${this.connectTimeoutSec + 20}s`);
        throw new Error(this.describeFailure(res.stderr, res.code));
      }
      await sleep(500);
    }
  }

  /** Checks once that `sudo -n` works, so a password prompt becomes a clear error instead of a failed step. */
  private async verifySudo(): Promise<void> {
    const res = await this.exec(
      'command -v sudo >/dev/null 2>&1 || { echo "sudo: command not found" >&2; exit 3; }; sudo -n true',
      undefined,
      (this.connectTimeoutSec + 20) * 1000,
    );
    if (res.timedOut) throw new BecomeError(`sudo -n true did not finish on ${this.target}`);
    if (res.code === 3) {
      throw new BecomeError(`sudo is not installed on ${this.target}: install sudo or connect as root`);
    }
    if (res.code !== 0) {
      const why = lastLine(res.stderr);
      throw new BecomeError(
        `sudo needs a password for ${this.user} on ${this.target}: allow NOPASSWD or connect as root${why ? ` (${why})` : ''}`,
      );
    }
    this.sudoVerified = true;
  }

  async close(): Promise<void> {
    if (this.connecting) await this.connecting.catch(() => undefined);
    this.connected = false;
    this.sudoVerified = false;
    if (!existsSync(this.controlDir)) return;
    const pid = await this.masterPid();
    if (pid === undefined) return;
    await this.control('exit');
    // `-O exit` returns before the master has gone; wait for it, then make sure.
    const until = Date.now() + 3000;
    while (!processGone(pid) && Date.now() < until) await sleep(20);
    if (!processGone(pid)) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
  }
}

function lastLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).at(-1) ?? '';
}

/** Whether ssh's last words on stderr describe a connection problem (not the remote script's output). */
function isConnectionError(stderr: string): boolean {
  return SSH_CONNECTION_ERROR.test(lastLine(stderr));
}

function keyTooOpen(file: string): boolean {
  try {
    return (statSync(file).mode & 0o077) !== 0;
  } catch {
    return false;
  }
}

/** True when the process no longer runs (exited, or a zombie nobody reaps — PID 1 may not be an init). */
function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    if (existsSync('/proc/self')) return true;
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
