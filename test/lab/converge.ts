import { existsSync } from 'node:fs';
import type { VerifyCheck } from '../../lib/api/verify.ts';
import type { Connector } from '../../lib/connectors/connector.ts';
import { spawnCollect } from '../../lib/connectors/process.ts';
import type { RunEvent } from '../../lib/runner/events.ts';
import type { PhaseResult } from './harness-report.ts';

const root = new URL('../..', import.meta.url).pathname;

export interface PlaybookRun {
  exitCode: number;
  changed: number;
  failed: number;
  unreachable: number;
  seconds: number;
  /** The steps that changed (or would), for the failure message of an idempotence check. */
  changedSteps: string[];
  stderr: string;
}

/** Runs a role's own playbook through the real CLI (`npx zx playbooks/<role>.ts --json`) and sums its recap. */
export async function runRolePlaybook(role: string, inventory: string, extra: string[] = []): Promise<PlaybookRun> {
  const file = `playbooks/${role}.ts`;
  if (!existsSync(`${root}${file}`)) throw new Error(`${file} does not exist: every role needs its own playbook`);
  const started = Date.now();
  const res = await spawnCollect('npx', ['zx', file, '-i', inventory, '--json', '--log-dir', 'logs/lab', ...extra], {
    env: { ...process.env, CI: 'true' },
    timeoutMs: 45 * 60_000,
  });
  const events = res.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as RunEvent);
  const end = events.find((e): e is Extract<RunEvent, { type: 'run-end' }> => e.type === 'run-end');
  const changedSteps = events.flatMap((e) => (e.type === 'step' && e.status === 'changed' ? [`${e.host}: ${e.title} (${e.message ?? ''})`] : []));
  const failures = events.flatMap((e) =>
    e.type === 'step' && e.status === 'failed' ? [`${e.host}: ${e.title}: ${e.message ?? ''}`] : e.type === 'host-unreachable' || e.type === 'host-error' ? [`${e.host}: ${e.message}`] : [],
  );
  return {
    exitCode: res.code,
    changed: end?.recap.reduce((n, r) => n + r.changed, 0) ?? -1,
    failed: end?.recap.reduce((n, r) => n + r.failed, 0) ?? -1,
    unreachable: end?.recap.filter((r) => r.unreachable).length ?? -1,
    seconds: (Date.now() - started) / 1000,
    changedSteps,
    stderr: [res.stderr.trim(), ...failures].filter(Boolean).join('\n'),
  };
}

export function convergeResult(run: PlaybookRun): PhaseResult {
  if (run.exitCode === 0) return { status: 'pass', seconds: run.seconds };
  return { status: 'fail', detail: `exit ${run.exitCode}: ${run.stderr.split('\n').slice(-3).join(' | ')}` };
}

/** A rerun (or --check) must succeed with nothing changed. */
export function noChangeResult(run: PlaybookRun): PhaseResult {
  if (run.exitCode !== 0) return { status: 'fail', detail: `exit ${run.exitCode}: ${run.stderr.split('\n').slice(-3).join(' | ')}` };
  if (run.changed !== 0) return { status: 'fail', detail: `${run.changed} changed: ${run.changedSteps.join('; ')}` };
  return { status: 'pass', seconds: run.seconds };
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
