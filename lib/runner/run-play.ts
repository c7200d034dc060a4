import type { Connector } from '../connectors/connector.ts';
import { EXIT } from '../errors.ts';
import { redactDeep } from '../redact.ts';
import { connectorFor, stateDirFor } from './connect.ts';
import type { Emit, HostRecap, RunEvent } from './events.ts';
import type { HostPlan } from './plan.ts';
import { HostSession } from './run-host.ts';
import type { Role } from '../api/role.ts';

export interface PlayOptions {
  playbook: string;
  checkMode: boolean;
  diff: boolean;
  yes: boolean;
  forks: number;
  /** The run's .env file (--secrets), for steps that keep a generated secret there. */
  envFile?: string;
  /** For tests: reuse connectors instead of building them from the connection vars. */
  connectors?: Map<string, Connector>;
}

/**
 * Runs the plans like Ansible runs plays: role after role, each on all its hosts (in parallel up to `forks`) before the
 * next starts, so a role can rely on what an earlier role did on another host (the VM the pve host creates is there
 * before the roles of the VM begin). A host that fails or cannot be reached runs nothing more; the others go on.
 */
export async function runPlay(plans: HostPlan[], opts: PlayOptions, sink: Emit): Promise<{ exitCode: number; recap: HostRecap[] }> {
  const emit: Emit = (event: RunEvent) => sink(redactDeep(event));
  const started = Date.now();
  emit({ type: 'run-start', playbook: opts.playbook, hosts: plans.map((p) => p.host.name), checkMode: opts.checkMode, diff: opts.diff, time: new Date().toISOString() });

  const sessions = new Map<string, { session: HostSession; conn: Connector }>();
  const sessionOf = (plan: HostPlan) => {
    let s = sessions.get(plan.host.name);
    if (!s) {
      const conn = opts.connectors?.get(plan.host.name) ?? connectorFor(plan.host.name, plan.connection);
      const settings = { checkMode: opts.checkMode, diff: opts.diff, yes: opts.yes, stateDir: stateDirFor(plan.connection), envFile: opts.envFile };
      s = { session: new HostSession(conn, settings, emit, plan.host.name), conn };
      sessions.set(plan.host.name, s);
    }
    return s.session;
  };

  try {
    for (const role of roleOrder(plans)) {
      const queue = plans.flatMap((plan) => plan.roles.filter((pr) => pr.role === role).map((pr) => ({ plan, pr })));
      const worker = async () => {
        for (let job = queue.shift(); job; job = queue.shift()) {
          const session = sessionOf(job.plan);
          if (!session.stopped) await session.runRole(job.pr);
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.forks, queue.length)) }, worker));
    }
  } finally {
    if (!opts.connectors) await Promise.all([...sessions.values()].map((s) => s.conn.close().catch(() => undefined)));
  }

  const recap = plans.map((p) => sessionOf(p).finish());
  const exitCode = recap.some((r) => r.failed > 0) ? EXIT.failed : recap.some((r) => r.unreachable) ? EXIT.unreachable : EXIT.ok;
  emit({ type: 'run-end', recap, exitCode, seconds: (Date.now() - started) / 1000 });
  return { exitCode, recap };
}

/** The roles of the plans, in the playbook's order. */
function roleOrder(plans: HostPlan[]): Role[] {
  const byOrder = new Map<number, Role>();
  for (const plan of plans) for (const pr of plan.roles) byOrder.set(pr.order, pr.role);
  return [...byOrder].sort(([a], [b]) => a - b).map(([, role]) => role);
}
