/**
 * Full upgrade (--upgrade), whether the host needs a reboot, and the reboot itself (--reboot). Without --reboot the
 * role never reboots: it says why a reboot is needed on the "Reboot" step's line, which is then skipped.
 */
import type { Change, Step, StepContext } from '../../lib/api/step.ts';
import { assertOk, CommandTimeoutError, UnreachableError } from '../../lib/connectors/connector.ts';
import { runningCmdlineReasons } from './boot-loader.ts';
import { sections } from '../../lib/modules/probe-sections.ts';
import type { IgpuMode } from './defaults.ts';

const PROBE = [
  'echo @@proc; cat /proc/cmdline',
  'echo @@reboot-required; if [ -e /var/run/reboot-required ]; then echo yes; cat /var/run/reboot-required.pkgs 2>/dev/null; fi',
  'echo "@@running $(uname -r)"',
  // The newest kernel image installed, by version; a pinned kernel (proxmox-boot-tool kernel pin) wins.
  'echo "@@newest $(ls /boot/vmlinuz-* 2>/dev/null | sed "s|^/boot/vmlinuz-||" | sort -V | tail -n 1)"',
  'echo "@@pin $(head -n 1 /etc/kernel/proxmox-boot-pin 2>/dev/null)"',
].join('\n');

/** Why the host should be rebooted, from PROBE's output; empty when it should not. */
export function rebootReasons(stdout: string, mode: IgpuMode): string[] {
  const s = sections(stdout);
  const reasons = runningCmdlineReasons(s.get('proc')?.body.trim() ?? '', mode);
  const required = (s.get('reboot-required')?.body ?? '').trim().split('\n');
  if (required[0] === 'yes') {
    const pkgs = [...new Set(required.slice(1).map((l) => l.trim()).filter(Boolean))];
    reasons.push(`/var/run/reboot-required is present${pkgs.length ? ` (${pkgs.join(', ')})` : ''}`);
  }
  const running = s.get('running')?.value.trim() ?? '';
  const expected = s.get('pin')?.value.trim() || s.get('newest')?.value.trim() || '';
  if (expected && running && expected !== running) reasons.push(`kernel ${expected} is installed${s.get('pin')?.value.trim() ? ' (pinned)' : ''} but ${running} is running`);
  return reasons;
}

/** Shared by the steps of one host's run: what the "Pending reboot" step found, for the "Reboot" step's condition. */
export interface RebootState {
  reasons?: string[];
}

/** Reads whether a reboot is needed; changes nothing (its findings show on the Reboot step's line). */
export function pendingRebootStep(mode: IgpuMode, state: RebootState): Step {
  return {
    title: 'Is a reboot needed?',
    tags: ['boot', 'upgrade', 'reboot'],
    probe: PROBE,
    check(ctx, probe) {
      state.reasons = rebootReasons(probe?.stdout ?? '', mode);
      for (const r of state.reasons) ctx.log(`reboot needed: ${r}`);
      return null;
    },
    apply: async () => undefined,
  };
}

interface RebootChange extends Change {
  reasons: string[];
}

/**
 * Reboots the host and waits until it answers SSH with a new boot id. Only with --reboot; without it the step is
 * skipped, its line saying why a reboot is needed.
 */
export function rebootStep(mode: IgpuMode, state: RebootState, opts: { reboot: boolean; timeoutSec: number }): Step {
  return {
    title: 'Reboot',
    tags: ['boot', 'upgrade', 'reboot'],
    when: () => {
      const reasons = state.reasons ?? [];
      if (reasons.length === 0 || opts.reboot) return true;
      return `REBOOT NEEDED: ${reasons.join('; ')} — reboot the host when convenient, or run again with --reboot`;
    },
    probe: PROBE,
    check(_ctx, probe): RebootChange | null {
      const reasons = rebootReasons(probe?.stdout ?? '', mode);
      if (!opts.reboot || reasons.length === 0) return null;
      return { summary: `reboot (${reasons.join('; ')}) and wait up to ${opts.timeoutSec}s for SSH to answer again`, reasons };
    },
    async apply(ctx) {
      await rebootAndWait(ctx, opts.timeoutSec);
    },
  };
}

const BOOT_ID = 'cat /proc/sys/kernel/random/boot_id';

/** How long to wait before the first try and between tries (shorter in tests). */
export interface RebootTiming {
  firstTryMs: number;
  retryMs: number;
}

export async function rebootAndWait(ctx: StepContext, timeoutSec: number, timing: RebootTiming = { firstTryMs: 10_000, retryMs: 5_000 }): Promise<void> {
  if (ctx.conn.kind === 'local') throw new Error('this run executes on the host itself, so it cannot wait for its own reboot: reboot the host by hand');
  const before = assertOk(await ctx.conn.run(BOOT_ID), 'reading the boot id').stdout.trim();
  // Scheduled a few seconds ahead, so this command returns before sshd goes away.
  const schedule = ctx.facts.systemd
    ? 'systemd-run --quiet --on-active=3 --timer-property=AccuracySec=1s /bin/systemctl reboot'
    : 'nohup sh -c "sleep 3; reboot" >/dev/null 2>&1 &';
  assertOk(await ctx.conn.run(schedule), 'scheduling the reboot');
  ctx.log(`rebooting ${ctx.host} (boot id ${before})`);
  // The shared connection dies with the host; the next command opens a new one.
  await ctx.conn.close();
  const deadline = Date.now() + timeoutSec * 1000;
  let last = 'no answer yet';
  await sleep(timing.firstTryMs);
  while (Date.now() < deadline) {
    try {
      const res = await ctx.conn.run(BOOT_ID, { timeoutMs: 20_000 });
      const now = res.stdout.trim();
      if (res.code === 0 && now && now !== before) {
        ctx.log(`${ctx.host} is back (boot id ${now})`);
        return;
      }
      last = res.code === 0 ? 'still the old boot' : `exit ${res.code}`;
    } catch (err) {
      if (!(err instanceof UnreachableError || err instanceof CommandTimeoutError)) throw err;
      last = err.message;
      await ctx.conn.close().catch(() => undefined);
    }
    await sleep(timing.retryMs);
  }
  throw new Error(`rebooted ${ctx.host}, but it did not answer SSH within ${timeoutSec}s (last: ${last}) — check its console`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
