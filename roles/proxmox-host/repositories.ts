/** The apt side of the role: enterprise repositories off, pve-no-subscription on, lists refreshed, optional full upgrade. */
import { join } from 'node:path';
import type { Change, Step } from '../../lib/api/step.ts';
import { assertOk } from '../../lib/connectors/connector.ts';
import { shq } from '../../lib/connectors/shell.ts';
import { editProbe, planEdit, writeEdit, type EditChange } from '../../lib/modules/edit-file.ts';
import { file } from '../../lib/modules/index.ts';
import type { HostPaths } from './paths.ts';
import { disableDeb822, disableOneLine, NO_SUBSCRIPTION_FILE, noSubscriptionList, noSubscriptionSources } from './templates/repos.ts';
import { DEBIAN_OF_PVE, onPveMajor } from './version.ts';

/** Shared by the steps of one host's run: whether a repository file changes (or would, in --check). */
export interface RepoState {
  changed: boolean;
}

/** Turns off the enterprise entries of one source file; a missing file is fine (nothing to turn off). */
export function enterpriseOff(p: HostPaths, name: string, state: RepoState): Step {
  const path = join(p.sourcesDir, name);
  const edit = name.endsWith('.sources') ? disableDeb822 : disableOneLine;
  return {
    title: `Enterprise repository off (${name})`,
    tags: ['repositories'],
    probe: editProbe(path),
    async check(ctx, probe) {
      const change = await planEdit(ctx, path, probe?.stdout ?? '', false, edit);
      if (change) state.changed = true;
      return change;
    },
    async apply(ctx, change) {
      await writeEdit(ctx.conn, change as EditChange);
    },
  };
}

/** The pve-no-subscription source in the release's own format, pointing at `url`. */
export function noSubscription(p: HostPaths, major: 8 | 9, url: string, state: RepoState): Step {
  const suite = DEBIAN_OF_PVE[major]!;
  const content = major === 8 ? noSubscriptionList(url, suite) : noSubscriptionSources(url, suite);
  const inner = file({ path: join(p.sourcesDir, NO_SUBSCRIPTION_FILE[major]), content, mode: '0644', owner: 'root', group: 'root' });
  return {
    ...inner,
    title: `No-subscription repository (${NO_SUBSCRIPTION_FILE[major]}, ${suite})`,
    tags: ['repositories'],
    when: onPveMajor(major),
    check(ctx, probe) {
      const change = inner.check(ctx, probe) as Change | null;
      if (change) state.changed = true;
      return change;
    },
  };
}

/** After an upgrade from PVE 8 to 9, the role's bookworm .list would point at the wrong release: it goes. */
export function oldNoSubscriptionGone(p: HostPaths, state: RepoState): Step {
  const path = join(p.sourcesDir, NO_SUBSCRIPTION_FILE[8]);
  return {
    title: `No leftover ${NO_SUBSCRIPTION_FILE[8]} from Proxmox VE 8`,
    tags: ['repositories'],
    when: onPveMajor(9),
    probe: `if [ -e ${shq(path)} ]; then echo present; fi`,
    check(_ctx, probe) {
      if (!(probe?.stdout ?? '').includes('present')) return null;
      state.changed = true;
      return { summary: `remove ${path} (its bookworm entry is replaced by ${NO_SUBSCRIPTION_FILE[9]})` };
    },
    async apply(ctx) {
      assertOk(await ctx.conn.run(`rm -f ${shq(path)}`), `removing ${path}`);
    },
  };
}

const STAMP = '/var/lib/apt/periodic/update-success-stamp';
const UPGRADE_MAX_LIST_AGE = 3600;

/** Whether the lists are older than the newest source file, from the probe's "key=value" lines. */
function listsState(stdout: string): { listsMtime: number; sourcesMtime: number; now: number } {
  const kv = new Map(stdout.split('\n').map((l) => l.split('=', 2) as [string, string]));
  return { listsMtime: Number(kv.get('lists') || 0), sourcesMtime: Number(kv.get('sources') || 0), now: Number(kv.get('now') || 0) };
}

/**
 * `apt-get update` after a repository change (also when an earlier run changed one and stopped before updating), and
 * before --upgrade when the lists are over an hour old. apt-get exits 0 when a repository cannot be fetched; the
 * step reads its output and fails when the Proxmox repository is among those.
 */
export function packageListsStep(p: HostPaths, repoUrl: string, state: RepoState, upgrade: boolean): Step {
  return {
    title: 'Package lists up to date with the repositories',
    tags: ['repositories', 'upgrade'],
    probe: [
      `lists=$(stat -c %Y ${STAMP} /var/lib/apt/lists/partial 2>/dev/null | sort -n | tail -n 1)`,
      `sources=$(find /etc/apt/sources.list ${shq(p.sourcesDir)} -maxdepth 1 -type f \\( -name '*.list' -o -name '*.sources' \\) -printf '%T@\\n' 2>/dev/null | cut -d. -f1 | sort -n | tail -n 1)`,
      'echo "lists=${lists:-0}"; echo "sources=${sources:-0}"; echo "now=$(date +%s)"',
    ].join('\n'),
    check(_ctx, probe) {
      const s = listsState(probe?.stdout ?? '');
      if (state.changed) return { summary: 'apt-get update (the repositories change)' };
      if (s.sourcesMtime > s.listsMtime) return { summary: 'apt-get update (a source file is newer than the package lists)' };
      if (upgrade && s.now - s.listsMtime > UPGRADE_MAX_LIST_AGE) {
        return { summary: `apt-get update (--upgrade, and the package lists are ${s.listsMtime ? `${Math.round((s.now - s.listsMtime) / 60)} minutes` : 'never updated, so infinitely'} old)` };
      }
      return null;
    },
    async apply(ctx) {
      const res = await ctx.conn.run(
        `DEBIAN_FRONTEND=noninteractive apt-get update -o Acquire::Retries=1 -o Acquire::http::Timeout=30 -o Acquire::https::Timeout=30 2>&1; echo "@@rc $?"`,
      );
      const rc = Number(/@@rc (\d+)\s*$/.exec(res.stdout)?.[1] ?? res.code);
      const output = res.stdout.replace(/@@rc \d+\s*$/, '');
      const problems = repositoryProblems(output, repoUrl);
      if (problems.length) {
        throw new Error(
          `apt-get update could not use the Proxmox repository ${repoUrl} from ${ctx.host}: ${problems.join(' | ')} — the host needs HTTP access to ${hostOf(repoUrl)}, or set proxmox_repo_url to a mirror it can reach`,
        );
      }
      if (rc !== 0) throw new Error(`apt-get update failed (exit ${rc}): ${output.trim().split('\n').slice(-6).join(' | ')}`);
      for (const line of output.split('\n').filter((l) => /^(W|E):/.test(l))) ctx.log(line);
      state.changed = false;
      assertOk(await ctx.conn.run(`mkdir -p ${shq('/var/lib/apt/periodic')} && touch ${STAMP}`), `touching ${STAMP}`);
    },
  };
}

/** "http://download.proxmox.com/debian/pve" → "download.proxmox.com/debian/pve": apt shows file:/x for file:///x. */
function urlTail(url: string): string {
  return url.replace(/^[a-z][a-z0-9+.-]*:\/*/i, '').replace(/\/+$/, '');
}

function hostOf(url: string): string {
  return urlTail(url).split('/')[0] || url;
}

/** The lines of apt-get update's output that say the repository at `url` failed (Err:, W:/E: Failed to fetch, GPG error). */
export function repositoryProblems(output: string, url: string): string[] {
  const tail = urlTail(url);
  const lines = output.split('\n');
  const problems: string[] = [];
  lines.forEach((line, i) => {
    if (!line.includes(tail)) return;
    if (/^Err:\d+/.test(line)) {
      const reason = (lines[i + 1] ?? '').startsWith(' ') ? (lines[i + 1] ?? '').trim() : '';
      problems.push(`${line.trim()}${reason ? `: ${reason}` : ''}`);
    } else if (/^(W|E): /.test(line) && !/^W: Some index files failed/.test(line)) problems.push(line.trim());
  });
  return [...new Set(problems)];
}

interface UpgradeChange extends Change {
  count: number;
}

/** apt-get dist-upgrade, as Proxmox asks for its updates; only with --upgrade. It never reboots. */
export function upgradeStep(upgrade: boolean): Step {
  return {
    title: 'Full upgrade (apt-get dist-upgrade)',
    tags: ['upgrade'],
    when: () => (upgrade ? true : 'run with --upgrade to install all pending updates'),
    // Only with --upgrade: the simulation takes seconds, and probes run whatever a step's condition says.
    probe: upgrade ? "apt-get -s -o Debug::NoLocking=true dist-upgrade 2>/dev/null | grep '^Inst ' || true" : undefined,
    check(_ctx, probe): UpgradeChange | null {
      const names = (probe?.stdout ?? '')
        .split('\n')
        .map((l) => /^Inst (\S+)/.exec(l)?.[1])
        .filter((n): n is string => Boolean(n));
      if (names.length === 0) return null;
      const shown = names.slice(0, 8).join(', ') + (names.length > 8 ? ` and ${names.length - 8} more` : '');
      return { summary: `apt-get dist-upgrade: ${names.length} package${names.length === 1 ? '' : 's'} (${shown})`, count: names.length };
    },
    async apply(ctx, change) {
      const res = await ctx.conn.run(
        'DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a apt-get -y -o DPkg::Lock::Timeout=120 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold dist-upgrade',
      );
      assertOk(res, 'apt-get dist-upgrade');
      for (const line of res.stdout.trim().split('\n').slice(-10)) ctx.log(line);
      const marker = await ctx.conn.run('if [ -e /var/run/reboot-required ]; then cat /var/run/reboot-required.pkgs 2>/dev/null; echo @@reboot-required; fi');
      if (marker.stdout.includes('@@reboot-required')) {
        const pkgs = [...new Set(marker.stdout.replace('@@reboot-required', '').split('\n').map((l) => l.trim()).filter(Boolean))];
        const note = `a reboot is needed (/var/run/reboot-required${pkgs.length ? `: ${pkgs.join(', ')}` : ''})`;
        ctx.log(note);
        change.summary += `; ${note}`;
      }
    },
  };
}
