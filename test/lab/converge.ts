import { existsSync } from 'node:fs';
import type { VerifyCheck } from '../../lib/api/verify.ts';
import type { Connector } from '../../lib/connectors/connector.ts';
import { spawnCollect } from '../../lib/connectors/process.ts';
import type { RunEvent } from '../../lib/runner/events.ts';
import type { PhaseResult } from './harness-report.ts';

const root = new URL('../..', import.meta.url).pathname;

type StepEvent = Extract<RunEvent, { type: 'step' }>;

export interface PlaybookRun {
  exitCode: number;
  changed: number;
  failed: number;
  unreachable: number;
  seconds: number;
  /** The steps that changed (or would), for the failure message of an idempotence check. */
  changedSteps: string[];
  /** Every step event, to tell the roles of a whole-site run apart. */
  steps: StepEvent[];
  stderr: string;
}

/** Runs `npx zx playbooks/<name>.ts -i <inventory> --json <extra>` (a role's own playbook, or site) and reads its events. */
export async function runPlaybook(name: string, inventory: string, extra: string[] = []): Promise<PlaybookRun> {
  const file = `playbooks/${name}.ts`;
  if (!existsSync(`${root}${file}`)) throw new Error(`${file} does not exist: every role needs its own playbook`);
  const started = Date.now();
  const res = await spawnCollect('npx', ['zx', file, '-i', inventory, '--json', '--log-dir', 'logs/lab', ...extra], {
    env: { ...process.env, CI: 'true' },
    timeoutMs: 60 * 60_000,
  });
  const events = res.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as RunEvent);
  const end = events.find((e): e is Extract<RunEvent, { type: 'run-end' }> => e.type === 'run-end');
  const steps = events.filter((e): e is StepEvent => e.type === 'step');
  const failures = events.flatMap((e) =>
    e.type === 'step' && e.status === 'failed' ? [`${e.host}: ${e.title}: ${e.message ?? ''}`] : e.type === 'host-unreachable' || e.type === 'host-error' ? [`${e.host}: ${e.message}`] : [],
  );
  return {
    exitCode: res.code,
    changed: end?.recap.reduce((n, r) => n + r.changed, 0) ?? -1,
    failed: end?.recap.reduce((n, r) => n + r.failed, 0) ?? -1,
    unreachable: end?.recap.filter((r) => r.unreachable).length ?? -1,
    seconds: (Date.now() - started) / 1000,
    changedSteps: describeChanged(steps),
    steps,
    stderr: [res.stderr.trim(), ...failures].filter(Boolean).join('\n'),
  };
}

const describeChanged = (steps: StepEvent[]) => steps.filter((e) => e.status === 'changed').map((e) => `${e.host}: ${e.title} (${e.message ?? ''})`);

/**
 * One role's share of a whole-site rerun (or --check): it passes when its steps ran on every host of its group, none
 * failed and none changed. `seconds` is the time of its steps.
 */
export function roleNoChangeResult(run: PlaybookRun, role: string, hosts: string[]): PhaseResult {
  const mine = run.steps.filter((e) => e.role === role);
  const failed = mine.filter((e) => e.status === 'failed');
  if (failed.length) return { status: 'fail', detail: failed.map((e) => `${e.host}: ${e.title}: ${e.message ?? ''}`).join('; ') };
  const missing = hosts.filter((h) => !mine.some((e) => e.host === h));
  if (missing.length) return { status: 'fail', detail: `did not run on ${missing.join(', ')} (an earlier role failed there, or the host was unreachable): ${run.stderr.split('\n').slice(-2).join(' | ')}` };
  const changed = describeChanged(mine);
  if (changed.length) return { status: 'fail', detail: `${changed.length} changed: ${changed.join('; ')}` };
  // Hosts run side by side: the role took as long as its slowest host.
  const perHost = hosts.map((h) => mine.filter((e) => e.host === h).reduce((n, e) => n + e.ms, 0));
  return { status: 'pass', seconds: Math.max(...perHost) / 1000 };
}

export function convergeResult(run: PlaybookRun): PhaseResult {
  if (run.exitCode === 0) return { status: 'pass', seconds: run.seconds };
  return { status: 'fail', detail: `exit ${run.exitCode}: ${run.stderr.split('\n').slice(-3).join(' | ')}` };
}

/** Runs a role's verify checks on one host; returns the failures ("title: why") and the skipped checks. */
export async function runVerify(conn: Connector, checks: VerifyCheck[]): Promise<{ failures: string[]; skipped: string[] }> {
  const failures: string[] = [];
  const skipped: string[] = [];
  for (const check of checks) {
    if (check.skipUnless) {
      const gate = await conn.run(check.skipUnless.script);
      if (gate.code !== 0) {
        skipped.push(`${check.title} (${check.skipUnless.reason})`);
        continue;
      }
    }
    const why = check.expect(await conn.run(check.script));
    if (why) failures.push(`${check.title}: ${why}`);
  }
  return { failures, skipped };
}
