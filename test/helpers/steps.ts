/** Runs module steps against the real local host the way the runner does, and makes temp directories for tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Change, ProbeResult, Step, StepContext } from '../../lib/api/step.ts';
import type { RunResult } from '../../lib/connectors/connector.ts';
import { LocalConnector } from '../../lib/connectors/local.ts';
import { gatherFacts } from '../../lib/facts/gather.ts';
import type { Facts } from '../../lib/facts/facts.ts';

export const conn = new LocalConnector();

let realFacts: Promise<Facts> | undefined;

export interface TestContext extends StepContext {
  logs: string[];
}

/** A step context on the local host with its real facts; `facts` overrides some of them. */
export async function context(opts: { checkMode?: boolean; yes?: boolean; facts?: Partial<Facts> } = {}): Promise<TestContext> {
  realFacts ??= gatherFacts(conn);
  const facts: Facts = { ...(await realFacts), packages: new Map((await realFacts).packages), ...opts.facts };
  const logs: string[] = [];
  const confirm = (action: string) => {
    if (!opts.yes) throw new Error(`refusing to ${action} without confirmation: rerun with --yes to confirm`);
  };
  return { host: 'local', facts, conn, checkMode: opts.checkMode ?? false, logs, log: (m) => logs.push(m), confirm };
}

/** Runs the step's probe as the runner does: in a subshell, stdout and exit code only. */
export async function probe(step: Step): Promise<ProbeResult | undefined> {
  if (step.probe === undefined) return undefined;
  const res = await conn.run(`(\n${step.probe}\n)`);
  return { stdout: res.stdout, code: res.code };
}

/** Probe + check: what the step would change now. */
export async function check(step: Step, ctx?: StepContext): Promise<Change | null> {
  return step.check(ctx ?? (await context()), await probe(step));
}

/** Probe → check → apply (not in check mode) → probe → check, failing like the runner when the step does not converge. */
export async function runStep(step: Step, ctx?: StepContext): Promise<{ changed: boolean; change: Change | null }> {
  const c = ctx ?? (await context());
  const change = await step.check(c, await probe(step));
  if (!change) return { changed: false, change: null };
  if (c.checkMode) return { changed: true, change };
  await step.apply(c, change);
  const again = await step.check(c, await probe(step));
  if (again) throw new Error(`did not converge: after applying, it still reports "${again.summary}"`);
  return { changed: true, change };
}

/** Runs a command for the test's own assertions and setup. */
export function sh(script: string): Promise<RunResult> {
  return conn.run(script);
}

/** Like sh, but throws when the command fails. */
export async function shOk(script: string): Promise<string> {
  const res = await conn.run(script);
  if (res.code !== 0) throw new Error(`test command failed (exit ${res.code}): ${script}\n${res.stderr}`);
  return res.stdout;
}

/** A fresh directory under the system temp dir; remove it with removeTempDir. */
export function tempDir(prefix = 'msh-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Asserts that a promise rejects with a message matching `pattern`; returns the message. */
export async function rejects(promise: Promise<unknown> | (() => unknown), pattern: RegExp): Promise<string> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (err) {
    const message = (err as Error).message;
    if (!pattern.test(message)) throw new Error(`expected an error matching ${pattern}, got: ${message}`);
    return message;
  }
  throw new Error(`expected an error matching ${pattern}, but nothing was thrown`);
}
