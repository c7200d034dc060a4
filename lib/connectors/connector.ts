/** What every connector offers: run a shell script on the host, with optional stdin, as the login user or root. */
export interface RunOptions {
  /** Bytes fed to the script's standard input. */
  input?: string | Buffer;
  /** Run as root (sudo -n) when the connection user is not root. Defaults to the host's `become` setting. */
  become?: boolean;
  /** Kill the command after this many milliseconds. Defaults to the connector's command timeout. */
  timeoutMs?: number;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ConnectorStats {
  /**
   * SSH connections opened: master connections started (ControlMaster), plus every ssh process that is not multiplexed
   * (verifyNewConnection's fresh logins). 0 for local.
   */
  connections: number;
  /** Commands executed through run(): what the runner, the steps and the handlers asked for. */
  commands: number;
  /**
   * Remote round trips: every command that went to the host and back (one ssh exec over the master, or a fresh
   * connection). Besides run() it counts the connection test at connect, the one-time sudo check, the upload of a script
   * too long for the command line, and verifyNewConnection. Local: every process run, as for commands.
   */
  roundTrips: number;
}

/** A fresh, zeroed counter set. */
export const emptyStats = (): ConnectorStats => ({ connections: 0, commands: 0, roundTrips: 0 });

/** What `later` counted since `earlier` (two snapshots of the same connector's stats). */
export function statsSince(earlier: ConnectorStats, later: ConnectorStats): ConnectorStats {
  return { connections: later.connections - earlier.connections, commands: later.commands - earlier.commands, roundTrips: later.roundTrips - earlier.roundTrips };
}

export interface Connector {
  readonly kind: 'local' | 'ssh';
  /** Where the host is reached, for messages: "root@127.0.0.1:2222" or "local". */
  readonly target: string;
  readonly stats: ConnectorStats;
  /** Opens the connection and proves the host answers; throws UnreachableError otherwise. */
  connect(): Promise<void>;
  /** Runs `script` with /bin/sh on the host. Never throws for a non-zero exit; throws CommandTimeoutError on timeout. */
  run(script: string, opts?: RunOptions): Promise<RunResult>;
  /**
   * Opens a brand-new connection (not the shared one) and runs a command: after an SSH or firewall change this is what
   * proves the user can still get in. Resolves when it works, rejects with the reason otherwise.
   */
  verifyNewConnection(): Promise<void>;
  close(): Promise<void>;
}

export class UnreachableError extends Error {
  override name = 'UnreachableError';
}

export class CommandTimeoutError extends Error {
  override name = 'CommandTimeoutError';
}

/** Throws a readable error when a command that must succeed did not. */
export function assertOk(result: RunResult, what: string): RunResult {
  if (result.code !== 0) {
    const detail = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-8).join('\n');
    throw new Error(`${what} failed (exit ${result.code})${detail ? `: ${detail}` : ''}`);
  }
  return result;
}
