import type { Change, Handler, ProbeResult, StepContext } from '../api/step.ts';
import { emptyStats, statsSince, UnreachableError, type Connector } from '../connectors/connector.ts';
import { FACTS_SCRIPT, parseFacts } from '../facts/gather.ts';
import type { Facts } from '../facts/facts.ts';
import type { Emit, HostRecap, StepStatus } from './events.ts';
import { parsePending, readPendingScript, writePending, type PendingHandler } from './handler-state.ts';
import type { PlannedRole, PlannedStep } from './plan.ts';
import { runProbes } from './probe-batch.ts';

export interface HostRunSettings {
  checkMode: boolean;
  /** --yes: destructive actions are confirmed. */
  yes: boolean;
  diff: boolean;
  stateDir: string;
  /** The run's .env file, handed to steps (StepContext.envFile). */
  envFile?: string;
}

const STATE_MARK = '@@msh-state';

/**
 * One host in a run: it connects and gathers facts when its first role starts, then runs roles as the play hands them
 * out (steps probe → check → apply → re-check, handlers at each role's end). After a failure or when unreachable it
 * runs nothing more.
 */
export class HostSession {
  readonly host: string;
  private readonly started = Date.now();
  private readonly recap: HostRecap;
  private run?: RoleRun;
  private state: 'new' | 'ready' | 'stopped' = 'new';

  constructor(
    private readonly conn: Connector,
    private readonly settings: HostRunSettings,
    private readonly emit: Emit,
    host: string,
  ) {
    this.host = host;
    this.recap = { host, ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: false, seconds: 0, connections: 0, commands: 0, roundTrips: 0, setup: emptyStats(), roles: [] };
  }

  get stopped(): boolean {
    return this.state === 'stopped';
  }

  /** Runs one role on this host; false when the host stops here (unreachable, facts failed, a step failed). */
  async runRole(pr: PlannedRole): Promise<boolean> {
    if (this.state === 'new') await this.start();
    if (this.state === 'stopped' || !this.run) return false;
    const { emit, host } = this;
    emit({ type: 'role-start', host, role: pr.role.name });
    const before = { ...this.conn.stats };
    const t0 = Date.now();
    const ok = await runRole(pr, this.run);
    if (ok && pr.role.summary) emitSummary(pr, this.run);
    const cost = { role: pr.role.name, ...statsSince(before, this.conn.stats), seconds: (Date.now() - t0) / 1000 };
    this.recap.roles.push(cost);
    emit({ type: 'role-end', host, role: pr.role.name, cost });
    if (!ok) this.state = 'stopped';
    return ok;
  }

  finish(): HostRecap {
    const { recap, conn } = this;
    recap.seconds = (Date.now() - this.started) / 1000;
    recap.connections = conn.stats.connections;
    recap.commands = conn.stats.commands;
    recap.roundTrips = conn.stats.roundTrips;
    this.emit({ type: 'host-end', host: this.host, recap });
    return recap;
  }

  private async start(): Promise<void> {
    const { conn, emit, host, recap, settings } = this;
    emit({ type: 'host-start', host, target: conn.target });
    const before = { ...conn.stats };
    try {
      await conn.connect();
      const res = await conn.run(`${FACTS_SCRIPT}\necho ${STATE_MARK}\n${readPendingScript(settings.stateDir)}`);
      if (res.code !== 0) throw new Error(`gathering facts failed (exit ${res.code}): ${res.stderr.trim()}`);
      const [factText = '', stateText = ''] = res.stdout.split(`${STATE_MARK}\n`);
      const count = (status: StepStatus) => {
        if (status === 'failed') recap.failed++;
        else recap[status]++;
      };
      this.run = { host, conn, facts: parseFacts(factText), settings, emit, count, pending: parsePending(stateText), wouldChange: false };
      this.state = 'ready';
    } catch (err) {
      this.state = 'stopped';
      if (err instanceof UnreachableError) {
        recap.unreachable = true;
        emit({ type: 'host-unreachable', host, message: err.message });
      } else {
        recap.failed++;
        emit({ type: 'host-error', host, message: (err as Error).message });
      }
    } finally {
      recap.setup = statsSince(before, conn.stats);
    }
  }
}

function emitSummary(pr: PlannedRole, run: RoleRun): void {
  try {
    run.emit({ type: 'summary', host: run.host, role: pr.role.name, lines: pr.role.summary!(pr.vars, run.facts) });
  } catch (err) {
    run.emit({ type: 'log', host: run.host, role: pr.role.name, level: 1, message: `no summary: ${(err as Error).message}` });
  }
}

interface RoleRun {
  host: string;
  conn: Connector;
  facts: Facts;
  settings: HostRunSettings;
  emit: Emit;
  count: (s: StepStatus) => void;
  /** Shared across the host's roles: what is recorded on the host. */
  pending: PendingHandler[];
  /** Check mode: an earlier step of this host would change something. */
  wouldChange: boolean;
}

async function runRole(pr: PlannedRole, run: RoleRun): Promise<boolean> {
  const { host, conn, facts, settings, emit, count } = run;
  const role = pr.role.name;
  const ctx: StepContext = {
    host,
    facts,
    conn,
    checkMode: settings.checkMode,
    envFile: settings.envFile,
    log: (message) => emit({ type: 'log', host, role, message, level: 1 }),
    confirm: (action) => {
      if (!settings.yes) throw new Error(`refusing to ${action} without confirmation: rerun with --yes to confirm`);
      emit({ type: 'log', host, role, message: `confirmed by --yes: ${action}`, level: 1 });
    },
  };
  const notified = new Set(run.pending.filter((p) => p.role === role).map((p) => p.name));
  const known = new Set(pr.handlers.map((h) => h.name));
  for (const name of notified) {
    if (!known.has(name)) {
      emit({ type: 'log', host, role, level: 1, message: `dropping pending handler "${name}": role ${role} no longer has it` });
      notified.delete(name);
      await record(run, role, notified);
    }
  }

  // `when` is asked at the step itself: an earlier step may have changed the facts it reads (e.g. installed packages).
  const runnable = pr.steps.map((ps) => ps.deselected);
  let probes: Map<number, ProbeResult> | null = null;
  /**
   * Probes are batched from the current step to the role's end. Right after a change only the current step is probed:
   * in a run where step after step changes (a first converge), re-probing all the rest after each change would run the
   * later steps' probes once per earlier step (costly where a probe runs e.g. the docker CLI); once a step reports no
   * change, the rest is batched again.
   */
  let afterChange = false;
  const probeFrom = async (from: number) => {
    const wanted = new Map<number, string>();
    pr.steps.forEach((ps, i) => {
      if (i >= from && (!afterChange || i === from) && runnable[i] === undefined && ps.step.probe !== undefined) wanted.set(i, ps.step.probe);
    });
    return runProbes(conn, wanted);
  };

  for (const [i, ps] of pr.steps.entries()) {
    const step = ps.step;
    const t0 = Date.now();
    const report = (status: StepStatus, message?: string, change?: Change) => {
      count(status);
      emit({ type: 'step', host, role, index: i, title: step.title, status, message, diff: settings.diff || settings.checkMode ? change?.diff : undefined, ms: Date.now() - t0 });
    };
    const reason = runnable[i] ?? skipReason(ps, facts);
    if (reason !== undefined) {
      report('skipped', reason);
      continue;
    }
    try {
      probes ??= await probeFrom(i);
      const change = await step.check(ctx, probes.get(i));
      if (!change) {
        report('ok');
        if (afterChange) {
          afterChange = false;
          probes = null; // only this step was probed: batch the rest
        }
        continue;
      }
      if (settings.checkMode) {
        for (const h of step.notify ?? []) notified.add(h);
        run.wouldChange = true;
        report('changed', change.summary, change);
        continue;
      }
      await step.apply(ctx, change);
      probes = null; // the host changed: later steps must be probed again
      afterChange = true;
      const again = await step.check(ctx, step.probe === undefined ? undefined : (await runProbes(conn, new Map([[i, step.probe]]))).get(i));
      if (again) throw new Error(`did not converge: after applying, it still reports "${again.summary}"`);
      const fresh = (step.notify ?? []).filter((h) => !notified.has(h));
      for (const h of step.notify ?? []) notified.add(h);
      if (fresh.length > 0) await record(run, role, notified);
      report('changed', change.summary, change);
    } catch (err) {
      // In check mode nothing above was really changed: a step that needs what they would make cannot be judged yet.
      if (settings.checkMode && run.wouldChange) {
        report('skipped', `cannot tell before the changes above are made (${(err as Error).message})`);
        continue;
      }
      report('failed', (err as Error).message);
      return false;
    }
  }

  return runHandlers(pr.handlers, notified, ctx, run, role);
}

async function runHandlers(handlers: Handler[], notified: Set<string>, ctx: StepContext, run: RoleRun, role: string): Promise<boolean> {
  for (const handler of handlers) {
    if (!notified.has(handler.name)) continue;
    if (run.settings.checkMode) {
      run.emit({ type: 'handler', host: run.host, role, name: handler.name, status: 'skipped', message: 'would run (check mode)' });
      continue;
    }
    try {
      await handler.run(ctx);
      notified.delete(handler.name);
      await record(run, role, notified);
      run.emit({ type: 'handler', host: run.host, role, name: handler.name, status: 'changed' });
    } catch (err) {
      run.emit({ type: 'handler', host: run.host, role, name: handler.name, status: 'failed', message: (err as Error).message });
      run.count('failed');
      return false;
    }
  }
  return true;
}

/** Writes this role's notified handlers into the host's pending list (never in check mode). */
async function record(run: RoleRun, role: string, notified: Set<string>): Promise<void> {
  if (run.settings.checkMode) return;
  const others = run.pending.filter((p) => p.role !== role);
  const next = [...others, ...[...notified].map((name) => ({ role, name }))];
  const same = next.length === run.pending.length && next.every((p) => run.pending.some((q) => q.role === p.role && q.name === p.name));
  if (same) return;
  run.pending.splice(0, run.pending.length, ...next);
  await writePending(run.conn, run.settings.stateDir, run.pending);
}

function skipReason(ps: PlannedStep, facts: Facts): string | undefined {
  if (!ps.step.when) return undefined;
  const verdict = ps.step.when(facts);
  if (verdict === true) return undefined;
  return verdict === false ? 'condition not met on this host' : verdict;
}
