import type { Change, Step, StepContext } from '../api/step.ts';
import { assertOk } from '../connectors/connector.ts';
import { cmd, shq } from '../connectors/shell.ts';
import { stepMeta, type StepOptions } from './step-options.ts';

export interface AptOptions extends StepOptions {
  packages: string[];
  state?: 'present' | 'absent';
  /** Run `apt-get update` before installing when the package lists are older than this. */
  cacheValidSeconds?: number;
}

interface AptChange extends Change {
  packages: string[];
}

const STAMP = '/var/lib/apt/periodic/update-success-stamp';
const ENV = 'DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a';
const OPTS = cmd('-o', 'DPkg::Lock::Timeout=120', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold');
const UPDATED = '@@msh-apt-updated';
const INSTALLED = '@@msh-apt-installed';
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?$/;

/** Debian packages installed (or removed) with apt-get, refreshing the package lists first when they are stale. */
export function apt(opts: AptOptions): Step {
  const state = opts.state ?? 'present';
  const cacheValid = opts.cacheValidSeconds ?? 3600;
  const packages = [...new Set(opts.packages)];
  if (packages.length === 0) throw new Error('apt: packages must not be empty');
  const bad = packages.filter((p) => !PACKAGE_NAME.test(p));
  if (bad.length) throw new Error(`apt: not a Debian package name: ${bad.join(', ')}`);
  const verb = state === 'present' ? 'install' : 'remove';
  return {
    ...stepMeta(opts, `${verb} ${packages.join(', ')}`),
    probe: `dpkg-query -W -f='\${Package} \${db:Status-Abbrev}\\n' -- ${cmd(...packages.map(baseName))} 2>/dev/null || true`,
    check(_ctx, probe): AptChange | null {
      // Status-Abbrev is want/status/error, e.g. "ii " installed, "rc " removed with config files left.
      const status = new Map<string, string>();
      for (const line of (probe?.stdout ?? '').split('\n')) {
        const [name, abbrev] = line.trim().split(/\s+/);
        if (name && abbrev) status.set(name, abbrev[1] ?? 'n');
      }
      const todo = packages.filter((p) => {
        const s = status.get(baseName(p)) ?? 'n';
        return state === 'present' ? s !== 'i' : s !== 'n' && s !== 'c';
      });
      return todo.length ? { summary: `${verb} ${todo.join(', ')}`, packages: todo } : null;
    },
    async apply(ctx, change) {
      const todo = (change as AptChange).packages;
      if (state === 'present') {
        await updateIfStale(ctx, cacheValid);
        const res = assertOk(
          await ctx.conn.run(`${ENV} apt-get install -y ${OPTS} -- ${cmd(...todo)} || exit $?\necho ${INSTALLED}\ndpkg-query -W -f='\${Package} \${Version}\\n' -- ${cmd(...todo.map(baseName))} 2>/dev/null || true`),
          `apt-get install ${todo.join(' ')}`,
        );
        // Later roles' `when` conditions see the packages this step installed.
        const listed = res.stdout.slice(res.stdout.indexOf(`${INSTALLED}\n`) + INSTALLED.length + 1);
        for (const line of listed.split('\n')) {
          const [name, version] = line.split(' ');
          if (name && version) ctx.facts.packages.set(name, version);
        }
      } else {
        assertOk(await ctx.conn.run(`${ENV} apt-get remove -y ${OPTS} -- ${cmd(...todo)}`), `apt-get remove ${todo.join(' ')}`);
        for (const p of todo) ctx.facts.packages.delete(baseName(p));
      }
    },
  };
}

/**
 * Refreshes the package lists when older than `maxAge`. The age is measured on the host now, not taken from the facts:
 * an earlier apt step of the same run may already have updated them.
 */
async function updateIfStale(ctx: StepContext, maxAge: number): Promise<void> {
  const script = [
    `last=$(stat -c %Y ${STAMP} /var/lib/apt/lists/partial 2>/dev/null | sort -n | tail -n 1)`,
    `[ $(( $(date +%s) - \${last:-0} )) -lt ${Math.max(0, Math.floor(maxAge))} ] && exit 0`,
    `${ENV} apt-get update ${cmd('-o', 'DPkg::Lock::Timeout=120')} || exit $?`,
    `mkdir -p ${shq('/var/lib/apt/periodic')} && touch ${STAMP} || exit $?`,
    `echo ${UPDATED}`,
  ].join('\n');
  const res = assertOk(await ctx.conn.run(script), 'apt-get update');
  if (res.stdout.includes(UPDATED)) ctx.log(`apt-get update: package lists were older than ${maxAge}s`);
}

/** "libc6:amd64" → "libc6", as dpkg-query prints ${Package}. */
function baseName(pkg: string): string {
  return pkg.replace(/:.*$/, '');
}
