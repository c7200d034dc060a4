/** What the command line asks of a run; the same flags for site.ts and every per-role playbook. */
export interface RunOptions {
  inventory: string;
  envFile: string;
  check: boolean;
  diff: boolean;
  tags: string[];
  skipTags: string[];
  limit: string[];
  startAt?: string;
  verbosity: 0 | 1 | 2;
  json: boolean;
  yes: boolean;
  forks: number;
  logDir: string;
  /** Role-specific flags that a playbook declared (e.g. --wipe <disk>), by name. */
  extra: Record<string, string | boolean | string[]>;
}
