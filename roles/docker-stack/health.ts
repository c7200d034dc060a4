/** Waiting for the stack's containers to report healthy, and saying which one did not and why. */
import type { RunResult } from '../../lib/connectors/connector.ts';
import { cmd, shq } from '../../lib/connectors/shell.ts';
import { parseComposePs, type ComposeContainer } from '../../lib/compose/ps.ts';

export type Run = (script: string) => Promise<RunResult>;

export const psScript = (dir: string) => `cd ${shq(dir)} && docker compose ps --all --format json`;

export interface NotReady {
  service: string;
  name: string;
  why: string;
}

/** Services whose container is missing, not running, or running without being healthy. */
export function notReady(services: string[], containers: ComposeContainer[]): NotReady[] {
  const out: NotReady[] = [];
  for (const service of services) {
    const c = containers.find((x) => x.service === service);
    if (!c) out.push({ service, name: service, why: 'has no container' });
    else if (c.state !== 'running') out.push({ service, name: c.name, why: `is ${c.state}${c.state === 'exited' ? ` (exit code ${c.exitCode})` : ''}` });
    else if (c.health !== 'healthy' && c.health !== '') out.push({ service, name: c.name, why: `is ${c.health}` });
  }
  return out;
}

export interface WaitOptions {
  dir: string;
  services: string[];
  timeoutMs: number;
  intervalMs: number;
  log: (message: string) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `docker compose ps` until every service is healthy; past the timeout, fails naming each one with its last logs. */
export async function waitHealthy(run: Run, o: WaitOptions): Promise<void> {
  const sleep = o.sleep ?? defaultSleep;
  const now = o.now ?? Date.now;
  const deadline = now() + o.timeoutMs;
  let last = '';
  for (;;) {
    const res = await run(psScript(o.dir));
    if (res.code !== 0) throw new Error(`docker compose ps failed (exit ${res.code}): ${(res.stderr || res.stdout).trim().split('\n').slice(-3).join(' ')}`);
    const pending = notReady(o.services, parseComposePs(res.stdout));
    if (pending.length === 0) return;
    const summary = pending.map((p) => `${p.name} ${p.why}`).join(', ');
    if (summary !== last) o.log(`waiting: ${summary}`);
    last = summary;
    if (now() >= deadline) throw new Error(await unhealthyReport(run, pending, `after ${Math.round(o.timeoutMs / 1000)}s`));
    await sleep(o.intervalMs);
  }
}

/** "container X is unhealthy after 300s; its last 20 log lines: …" for each container that is not ready. */
export async function unhealthyReport(run: Run, pending: NotReady[], when: string): Promise<string> {
  const parts: string[] = [];
  for (const p of pending) {
    const logs = await run(`${cmd('docker', 'logs', '--tail', '20', p.name)} 2>&1`);
    const lines = logs.code === 0 ? logs.stdout.trimEnd() : `(docker logs failed: ${logs.stdout.trim() || logs.stderr.trim()})`;
    parts.push(`container ${p.name} (service ${p.service}) ${p.why} ${when}; its last 20 log lines:\n${lines || '(no output)'}`);
  }
  return `${parts.join('\n')}\n(fix the cause, then run again; docker logs ${pending[0]?.name ?? ''} shows more)`;
}
