import { Listr, type ListrTask } from 'listr2';
import type { Emit, RunEvent } from '../runner/events.ts';
import type { HostPlan } from '../runner/plan.ts';
import { formatRecap } from './recap.ts';
import { formatSummaries } from './summaries.ts';
import { colourDiff, style } from './style.ts';

type StepEvent = Extract<RunEvent, { type: 'step' }>;
type Outcome = StepEvent | { type: 'not-run' };

class Deferred<T> {
  resolve!: (value: T) => void;
  readonly promise = new Promise<T>((r) => (this.resolve = r));
  done = false;
  settle(value: T): void {
    if (this.done) return;
    this.done = true;
    this.resolve(value);
  }
}

/**
 * The interactive tree (host → role → step). The runner runs on its own; this only mirrors its events, so the
 * plain and the listr2 output can never disagree about what happened.
 */
export function listrRenderer(plans: HostPlan[], write: (line: string) => void): { emit: Emit; done: () => Promise<void> } {
  const steps = new Map<string, Deferred<Outcome>>();
  const hostReady = new Map<string, Deferred<string | null>>();
  const roleEnd = new Map<string, Deferred<string[]>>();
  const handlerLines = new Map<string, string[]>();
  const diffs: string[] = [];
  let recapText = '';
  const summaries: Extract<RunEvent, { type: 'summary' }>[] = [];
  const key = (...parts: (string | number)[]) => parts.join('\u0000');

  for (const plan of plans) {
    hostReady.set(plan.host.name, new Deferred());
    for (const pr of plan.roles) {
      roleEnd.set(key(plan.host.name, pr.role.name), new Deferred());
      pr.steps.forEach((_, i) => steps.set(key(plan.host.name, pr.role.name, i), new Deferred()));
    }
  }

  const stepTask = (host: string, role: string, i: number, title: string): ListrTask => ({
    title,
    task: async (_ctx, task) => {
      const outcome = await steps.get(key(host, role, i))!.promise;
      if (outcome.type === 'not-run') return task.skip(`${title} (not run)`);
      if (outcome.status === 'skipped') return task.skip(`${title} (${outcome.message ?? 'skipped'})`);
      if (outcome.status === 'failed') throw new Error(`${title}: ${outcome.message ?? 'failed'}`);
      if (outcome.status === 'changed') task.title = `${title} ${style.yellow(`changed: ${outcome.message ?? ''}`)}`;
    },
  });

  const tasks: ListrTask[] = plans.map((plan) => ({
    title: plan.host.name,
    task: async (_ctx, task) => {
      const problem = await hostReady.get(plan.host.name)!.promise;
      if (problem) throw new Error(`${plan.host.name} ${problem}`);
      return task.newListr(
        plan.roles.map((pr) => ({
          title: pr.role.name,
          task: (_c, roleTask) =>
            roleTask.newListr(
              [
                ...pr.steps.map((ps, i) => stepTask(plan.host.name, pr.role.name, i, ps.step.title)),
                {
                  title: 'handlers',
                  task: async (_x, t) => {
                    const ran = await roleEnd.get(key(plan.host.name, pr.role.name))!.promise;
                    if (ran.length === 0) return t.skip('handlers: none notified');
                    t.title = `handlers: ${ran.join(', ')}`;
                  },
                },
              ],
              { concurrent: false, exitOnError: true },
            ),
        })),
        { concurrent: false, exitOnError: true },
      );
    },
  }));

  const listr = new Listr(tasks, {
    concurrent: true,
    exitOnError: false,
    rendererOptions: { collapseSubtasks: false, collapseSkips: true, suffixSkips: false, showErrorMessage: true, collapseErrors: false },
  });
  const running = listr.run().catch(() => undefined);

  const emit: Emit = (e) => {
    switch (e.type) {
      case 'role-start':
        hostReady.get(e.host)?.settle(null);
        break;
      case 'host-unreachable':
        hostReady.get(e.host)?.settle(`unreachable: ${e.message}`);
        break;
      case 'host-error':
        hostReady.get(e.host)?.settle(`failed before any step: ${e.message}`);
        break;
      case 'step':
        steps.get(key(e.host, e.role, e.index))?.settle(e);
        if (e.diff) diffs.push(`${style.bold(`${e.host} ▸ ${e.role} ▸ ${e.title}`)}\n${colourDiff(e.diff.trimEnd())}`);
        break;
      case 'handler': {
        const k = key(e.host, e.role);
        handlerLines.set(k, [...(handlerLines.get(k) ?? []), `${e.name} ${e.status === 'failed' ? `FAILED: ${e.message}` : e.status === 'skipped' ? '(would run)' : 'ran'}`]);
        break;
      }
      case 'role-end':
        roleEnd.get(key(e.host, e.role))?.settle(handlerLines.get(key(e.host, e.role)) ?? []);
        break;
      case 'host-end':
        hostReady.get(e.host)?.settle(null);
        for (const [k, d] of steps) if (k.startsWith(`${e.host}\u0000`)) d.settle({ type: 'not-run' });
        for (const [k, d] of roleEnd) if (k.startsWith(`${e.host}\u0000`)) d.settle([]);
        break;
      case 'run-end':
        recapText = formatRecap(e.recap, e.exitCode, e.seconds);
        break;
      case 'summary':
        summaries.push(e);
        break;
      default:
        break;
    }
  };

  return {
    emit,
    done: async () => {
      await running;
      if (diffs.length > 0) write(`\n${diffs.join('\n\n')}`);
      write(`\n${recapText}`);
      if (summaries.length > 0) write(`\n${formatSummaries(summaries)}`);
    },
  };
}
