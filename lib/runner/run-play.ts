import type { Connector } from '../connectors/connector.ts';
import { EXIT } from '../errors.ts';
import { redactDeep } from '../redact.ts';
import { connectorFor, stateDirFor } from './connect.ts';
import type { Emit, HostRecap, RunEvent } from './events.ts';
import type { HostPlan } from './plan.ts';
import { runHost } from './run-host.ts';

export interface PlayOptions {
  playbook: string;
  checkMode: boolean;
  diff: boolean;
  yes: boolean;
  forks: number;
  /** For tests: reuse connectors instead of building them from the connection vars. */
  connectors?: Map<string, Connector>;
}

/** Runs every host's plan (hosts in parallel up to `forks`), reports through `sink`, returns the exit code. */
export async function runPlay(plans: HostPlan[], opts: PlayOptions, sink: Emit): Promise<{ exitCode: number; recap: HostRecap[] }> {
  const emit: Emit = (event: RunEvent) => sink(redactDeep(event));
  const started = Date.now();
  emit({ type: 'run-start', playbook: opts.playbook, hosts: plans.map((p) => p.host.name), checkMode: opts.checkMode, diff: opts.diff, time: new Date().toISOString() });

  const recaps = new Map<string, HostRecap>();
  const queue = [...plans];
  const worker = async () => {
    for (let plan = queue.shift(); plan; plan = queue.shift()) {
      const conn = opts.connectors?.get(plan.host.name) ?? connectorFor(plan.host.name, plan.connection);
      try {
        const settings = { checkMode: opts.checkMode, diff: opts.diff, yes: opts.yes, stateDir: stateDirFor(plan.connection) };
        recaps.set(plan.host.name, await runHost(plan, conn, settings, emit));
      } finally {
        if (!opts.connectors) await conn.close().catch(() => undefined);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.forks, plans.length)) }, worker));

  const recap = plans.map((p) => recaps.get(p.host.name)!);
  const exitCode = recap.some((r) => r.failed > 0) ? EXIT.failed : recap.some((r) => r.unreachable) ? EXIT.unreachable : EXIT.ok;
  emit({ type: 'run-end', recap, exitCode, seconds: (Date.now() - started) / 1000 });
  return { exitCode, recap };
}
