import type { Step } from '../api/step.ts';
import type { Facts } from '../facts/facts.ts';
import { file } from './file.ts';
import { stepMeta, type StepOptions } from './step-options.ts';

export interface AptSourceOptions extends StepOptions {
  /** File name under /etc/apt/sources.list.d, without ".list". */
  name: string;
  /** The deb line; it usually needs the host's distribution and release, hence a function of the facts. */
  line: (facts: Facts) => string;
}

/** An apt source list file, written for the host's distribution. */
export function aptSource(opts: AptSourceOptions): Step {
  const path = `/etc/apt/sources.list.d/${opts.name}.list`;
  const inner = (facts: Facts) => file({ path, content: `${opts.line(facts)}\n`, mode: '0644', owner: 'root', group: 'root' });
  return {
    ...stepMeta(opts, `apt source ${opts.name}`),
    probe: inner({} as Facts).probe,
    check: (ctx, probe) => inner(ctx.facts).check(ctx, probe),
    apply: (ctx, change) => inner(ctx.facts).apply(ctx, change),
  };
}
