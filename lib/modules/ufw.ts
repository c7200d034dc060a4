import type { Change, Step } from '../api/step.ts';
import { assertOk } from '../connectors/connector.ts';
import { ipInCidr } from '../net/cidr.ts';
import { withLockoutGuard } from './guarded-change.ts';
import { stepMeta, type StepOptions } from './step-options.ts';

/** An allow rule, in the words `ufw show added` prints. */
export interface UfwRule {
  /** Source CIDR; any when absent. */
  from?: string;
  /** Interface the traffic comes in on (e.g. tailscale0). */
  on?: string;
  /** "22", "80,443", "41641". */
  port?: string;
  proto?: 'tcp' | 'udp';
}

type Policy = 'deny' | 'allow' | 'reject';

export interface UfwOptions extends StepOptions {
  rules: UfwRule[];
  incoming?: Policy;
  outgoing?: Policy;
  routed?: Policy;
  /** The SSH port the lock-out check looks for (default 22). */
  sshPort?: number;
  rollbackAfterSec?: number;
  stateDir?: string;
}

interface UfwChange extends Change {
  commands: string[];
  wasActive: boolean;
}

const SEP = '@@msh-ufw';
const POLICY_KEY = { incoming: 'DEFAULT_INPUT_POLICY', outgoing: 'DEFAULT_OUTPUT_POLICY', routed: 'DEFAULT_FORWARD_POLICY' } as const;
const POLICY_VALUE: Record<Policy, string> = { deny: 'DROP', allow: 'ACCEPT', reject: 'REJECT' };

/** "allow from 10.0.0.0/8 to any port 22 proto tcp", "allow in on tailscale0", "allow 41641/udp". */
export function ufwRuleWords(r: UfwRule): string {
  if (r.on) return `allow in on ${r.on}${r.from ? ` from ${r.from}` : ''}${r.port ? ` to any port ${r.port}` : ''}${r.proto && r.port ? ` proto ${r.proto}` : ''}`;
  if (r.from) return `allow from ${r.from}${r.port ? ` to any port ${r.port}` : ''}${r.proto && r.port ? ` proto ${r.proto}` : ''}`;
  if (r.port) return `allow ${r.port}${r.proto ? `/${r.proto}` : ''}`;
  throw new Error('ufw rule needs a source, an interface or a port');
}

/** Whether the rules let `client` reach the SSH port (interface rules do not count: the client may not come that way). */
export function rulesAdmit(rules: UfwRule[], client: string, sshPort: number): boolean {
  return rules.some(
    (r) =>
      !r.on &&
      (r.proto === undefined || r.proto === 'tcp') &&
      (r.port === undefined || r.port.split(',').includes(String(sshPort))) &&
      (r.from === undefined || ipInCidr(client, r.from)),
  );
}

/** UFW with exactly these allow rules and policies, enabled under the lock-out guard. */
export function ufw(opts: UfwOptions): Step {
  const wanted = opts.rules.map(ufwRuleWords);
  const policies = { incoming: opts.incoming ?? 'deny', outgoing: opts.outgoing ?? 'allow', routed: opts.routed ?? 'deny' };
  const sshPort = opts.sshPort ?? 22;
  return {
    ...stepMeta(opts, 'ufw firewall'),
    probe: `command -v ufw >/dev/null || { echo missing; exit 0; }\nufw status | head -n 1\necho ${SEP}\nufw show added\necho ${SEP}\ngrep '^DEFAULT_' /etc/default/ufw`,
    check(_ctx, probe): UfwChange | null {
      const out = probe?.stdout ?? '';
      if (out.trim() === 'missing') {
        return { summary: `install ufw, then allow: ${wanted.join('; ')}; enable`, commands: [], wasActive: false };
      }
      const [status = '', added = '', defaults = ''] = out.split(`${SEP}\n`);
      const current = added
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l.startsWith('ufw '))
        .map((l) => l.slice(4));
      const commands: string[] = [];
      const phrases: string[] = [];
      for (const [dir, policy] of Object.entries(policies) as [keyof typeof POLICY_KEY, Policy][]) {
        if (!defaults.includes(`${POLICY_KEY[dir]}="${POLICY_VALUE[policy]}"`)) {
          commands.push(`ufw default ${policy} ${dir}`);
          phrases.push(`default ${policy} ${dir}`);
        }
      }
      for (const rule of current.filter((r) => !wanted.includes(r))) {
        commands.push(`ufw --force delete ${rule}`);
        phrases.push(`delete "${rule}"`);
      }
      for (const rule of wanted.filter((r) => !current.includes(r))) {
        commands.push(`ufw ${rule}`);
        phrases.push(`add "${rule}"`);
      }
      const wasActive = /^Status: active/m.test(status);
      if (!wasActive) phrases.push('enable');
      if (phrases.length === 0) return null;
      return { summary: `ufw: ${phrases.join(', ')}`, commands, wasActive };
    },
    async apply(ctx, change) {
      const c = change as UfwChange;
      if (ctx.facts.sshClient && !rulesAdmit(opts.rules, ctx.facts.sshClient, sshPort)) {
        throw new Error(
          `refusing to enable ufw: its rules would not let your SSH client ${ctx.facts.sshClient} reach port ${sshPort} — add your network to the rules (e.g. set lan_cidr to a range that contains ${ctx.facts.sshClient})`,
        );
      }
      const guard = {
        what: 'the ufw firewall',
        files: ['/etc/ufw/user.rules', '/etc/ufw/user6.rules', '/etc/default/ufw'],
        restore: c.wasActive ? 'ufw reload' : 'ufw --force disable',
        rollbackAfterSec: opts.rollbackAfterSec ?? 45,
        stateDir: opts.stateDir ?? '/var/lib/media-server-home/guard',
      };
      await withLockoutGuard(ctx, guard, async () => {
        const script = [...c.commands, 'ufw --force enable'].map((cmd) => `${cmd} >/dev/null || exit $?`).join('\n');
        assertOk(await ctx.conn.run(script), 'configuring ufw');
      });
    },
  };
}
