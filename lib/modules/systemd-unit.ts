import type { Step } from '../api/step.ts';
import { assertOk } from '../connectors/connector.ts';
import { file } from './file.ts';
import { stepMeta, type StepOptions } from './step-options.ts';

export interface SystemdUnitOptions extends StepOptions {
  /** The unit file name, e.g. "backup.service", "backup.timer". */
  name: string;
  content: string;
  /** Where unit files go; only tests and offline images need another. */
  dir?: string;
}

export const UNIT_NAME = /^[A-Za-z0-9:_.\\@-]+\.(service|socket|timer|mount|automount|swap|target|path|slice|scope|device)$/;

/** A unit file (mode 0644), followed by `systemctl daemon-reload` when the host runs systemd. */
export function systemdUnit(opts: SystemdUnitOptions): Step {
  if (!UNIT_NAME.test(opts.name)) throw new Error(`systemdUnit: "${opts.name}" is not a unit file name like "backup.service"`);
  const inner = file({ path: `${opts.dir ?? '/etc/systemd/system'}/${opts.name}`, content: opts.content, mode: '0644' });
  return {
    ...stepMeta(opts, `systemd unit ${opts.name}`),
    probe: inner.probe,
    check: inner.check,
    async apply(ctx, change) {
      await inner.apply(ctx, change);
      if (ctx.facts.systemd) assertOk(await ctx.conn.run('systemctl daemon-reload'), 'systemctl daemon-reload');
    },
  };
}
