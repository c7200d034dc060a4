import { userInfo } from 'node:os';
import { CommandTimeoutError, emptyStats, type Connector, type ConnectorStats, type RunOptions, type RunResult } from './connector.ts';
import { spawnCollect } from './process.ts';

export interface LocalConnectorOptions {
  become?: boolean;
  commandTimeoutMs?: number;
}

/** Runs steps on the controller itself. */
export class LocalConnector implements Connector {
  readonly kind = 'local' as const;
  readonly target = 'local';
  readonly stats: ConnectorStats = emptyStats();
  private readonly isRoot = userInfo().uid === 0;

  constructor(private readonly opts: LocalConnectorOptions = {}) {}

  async connect(): Promise<void> {}

  async run(script: string, opts: RunOptions = {}): Promise<RunResult> {
    this.stats.commands++;
    this.stats.roundTrips++;
    const become = (opts.become ?? this.opts.become ?? false) && !this.isRoot;
    const [file, args] = become ? ['sudo', ['-n', '--', 'sh', '-c', script]] : ['sh', ['-c', script]];
    const timeoutMs = opts.timeoutMs ?? this.opts.commandTimeoutMs ?? 600_000;
    const res = await spawnCollect(file as string, args as string[], { input: opts.input, timeoutMs });
    if (res.timedOut) throw new CommandTimeoutError(`command timed out after ${Math.round(timeoutMs / 1000)}s on local`);
    return { code: res.code, stdout: res.stdout, stderr: res.stderr };
  }

  /** Nothing to lose locally: the controller is the host. */
  async verifyNewConnection(): Promise<void> {}

  async close(): Promise<void> {}
}
