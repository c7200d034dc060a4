import type { Change, Step } from '../../lib/api/step.ts';
import type { Facts } from '../../lib/facts/facts.ts';
import { file } from '../../lib/modules/index.ts';

const JAILS = '/etc/fail2ban/jail.d/media-server-home.conf';

/**
 * Fail2ban's jails, never banning the SSH client this run comes from (the facts know it only when the step runs): the
 * content is made at check time, and apply writes exactly what check compared.
 */
export function jailsFile(opts: { title: string; when: (f: Facts) => true | string }, content: (ignore: string[]) => string): Step {
  const build = (ignore: string[]) => file({ title: opts.title, tags: ['fail2ban'], path: JAILS, content: content(ignore), when: opts.when, mode: '0644', notify: ['reload fail2ban'] });
  let decided: Step | undefined;
  const shape = build([]);
  return {
    ...shape,
    check(ctx, probe) {
      decided = build(ctx.facts.sshClient ? [ctx.facts.sshClient] : []);
      return decided.check(ctx, probe);
    },
    apply(ctx, change: Change) {
      return (decided ?? shape).apply(ctx, change);
    },
  };
}
