import type { Connector } from '../connectors/connector.ts';
import type { Facts } from '../facts/facts.ts';

/** What a step found it must change. */
export interface Change {
  /** One line saying what would change, e.g. "install curl, jq". */
  summary: string;
  /** A unified diff of file content, shown with --diff and in --check. */
  diff?: string;
}

/** The output of a step's probe: a shell snippet the runner batches with the other steps' probes. */
export interface ProbeResult {
  stdout: string;
  code: number;
}

export interface StepContext {
  readonly host: string;
  readonly facts: Facts;
  readonly conn: Connector;
  readonly checkMode: boolean;
  /**
   * The run's .env file (--secrets), for a step that keeps a secret it generates there (a password the user must be
   * able to find again off the host). Absent in contexts built outside a playbook run.
   */
  readonly envFile?: string;
  /** Logs a line under the step at -v. */
  log(message: string): void;
  /**
   * Guards a destructive action, named with its target ("wipe /dev/disk/by-id/ata-X"): passes with --yes (and logs it),
   * otherwise throws, so the step fails saying how to confirm.
   */
  confirm(action: string): void;
}

/**
 * One idempotent unit of work. The runner probes, checks, applies when something must change (never in check mode),
 * then probes and checks again: a step that still reports a change after apply did not converge and fails.
 */
export interface Step {
  title: string;
  tags?: string[];
  /** Handler names to run at the end of the role when this step changed something. */
  notify?: string[];
  /** Return false or a reason string to skip the step on this host. */
  when?: (facts: Facts) => boolean | string;
  /** A read-only shell snippet whose output feeds check; the runner runs the probes of many steps in one round trip. */
  probe?: string;
  /** Decides from the probe (or by asking the host) what must change; null when the host is already right. */
  check(ctx: StepContext, probe: ProbeResult | undefined): Promise<Change | null> | Change | null;
  apply(ctx: StepContext, change: Change): Promise<void>;
}

/** Runs once at the end of a role when any step notified it; a pending handler survives a failed run. */
export interface Handler {
  name: string;
  run(ctx: StepContext): Promise<void>;
}
