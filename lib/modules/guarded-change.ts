import { randomBytes } from 'node:crypto';
import type { Change, Step, StepContext } from '../api/step.ts';
import { assertOk } from '../connectors/connector.ts';
import type { Facts } from '../facts/facts.ts';
import { shq } from '../connectors/shell.ts';
import { fileChange, sha256Hex, writeFileAtomic } from './file.ts';
import { fileStateProbe, parseFileState, type Ownership } from './file-state.ts';
import { stepMeta, type StepOptions } from './step-options.ts';

export interface GuardedFile extends Ownership {
  path: string;
  content: string;
  /** Run on the temp copy before it replaces the file (%s is its path); a failure keeps the old file. */
  validate?: string;
}

export interface GuardedChangeOptions extends StepOptions {
  /** What is changed, for messages: "the sshd configuration". */
  what: string;
  files: GuardedFile[];
  /** Makes the files take effect (reload sshd, enable the firewall…); run again after a rollback. */
  activate: string;
  /** Run before `activate` when rolling back (e.g. disable a firewall that was off before). */
  rollback?: string;
  /** Why the change must not start on this host (e.g. "the new rules would not let your SSH client in"), or undefined. */
  refuse?: (facts: Facts) => string | undefined;
  /** Seconds after which the host restores the previous files by itself unless the change was confirmed. */
  rollbackAfterSec?: number;
  stateDir?: string;
}

const SEPARATOR = '@@msh-guarded-file';

/**
 * Files whose change could lock the user out (sshd, firewall). Before the change a timer is armed ON THE HOST that puts
 * the previous files back and re-activates them; after the change a NEW connection must succeed, and only then is the
 * timer disarmed. If the new connection fails, the host restores itself and the step fails saying so.
 */
export function guardedChange(opts: GuardedChangeOptions): Step {
  const rollbackAfter = opts.rollbackAfterSec ?? 45;
  const stateDir = opts.stateDir ?? '/var/lib/media-server-home/guard';
  return {
    ...stepMeta(opts, `change ${opts.what} (lock-out guarded)`),
    probe: opts.files.map((f) => `echo ${SEPARATOR}\n${fileStateProbe(f.path, true)}`).join('\n'),
    check(_ctx, probe) {
      const parts = (probe?.stdout ?? '').split(`${SEPARATOR}\n`).slice(1);
      const changes = opts.files
        .map((f, i) => fileChange(f.path, parseFileState(parts[i] ?? ''), Buffer.from(f.content), sha256Hex(Buffer.from(f.content)), f, false))
        .filter((c): c is Change => c !== null);
      if (changes.length === 0) return null;
      return {
        summary: `${changes.map((c) => c.summary).join('; ')} (lock-out guarded: undone by the host after ${rollbackAfter}s unless a new connection succeeds)`,
        diff: changes.map((c) => c.diff ?? '').join(''),
      };
    },
    async apply(ctx) {
      const refusal = opts.refuse?.(ctx.facts);
      if (refusal) throw new Error(`refusing to change ${opts.what}: ${refusal}`);
      const guard = { what: opts.what, files: opts.files.map((f) => f.path), restore: opts.rollback ?? opts.activate, rollbackAfterSec: rollbackAfter, stateDir };
      await withLockoutGuard(ctx, guard, async () => {
        // No default mode: a file system like Proxmox's /etc/pve fixes owners and modes itself and refuses chown.
        for (const f of opts.files) await writeFileAtomic(ctx.conn, f.path, Buffer.from(f.content), f, f.validate);
        assertOk(await ctx.conn.run(opts.activate), `activating ${opts.what}`);
      });
    },
  };
}

export interface LockoutGuard {
  /** What is changed, for messages. */
  what: string;
  /** Files saved before the change and put back on rollback. */
  files: string[];
  /** Shell run after the files are put back (reload a service, disable a firewall). */
  restore: string;
  rollbackAfterSec: number;
  stateDir: string;
}

/**
 * Runs `change` with a rollback armed ON THE HOST; then a NEW connection must succeed, and only then is it disarmed.
 * A failing `change` is rolled back at once; a lock-out is rolled back by the host's timer and reported.
 */
export async function withLockoutGuard(ctx: StepContext, guard: LockoutGuard, change: () => Promise<void>): Promise<void> {
  const dir = `${guard.stateDir}/msh-guard-${randomBytes(4).toString('hex')}`;
  const unit = dir.slice(dir.lastIndexOf('/') + 1);
  await arm(ctx, guard, dir, unit);
  try {
    await change();
  } catch (err) {
    // Nothing was proven to lock anyone out yet: restore at once rather than waiting for the timer.
    await ctx.conn.run(`sh ${shq(`${dir}/restore.sh`)}`);
    await disarm(ctx, dir, unit);
    throw err;
  }
  try {
    await ctx.conn.verifyNewConnection();
  } catch (err) {
    const reason = (err as Error).message;
    ctx.log(`new connection failed after changing ${guard.what}: ${reason}; waiting for the host to roll back`);
    const back = await waitForNewConnection(ctx, (guard.rollbackAfterSec + 30) * 1000);
    // Clean up only once the rollback has been seen to work; otherwise the timer may still have its job to do.
    if (back.restored) await disarm(ctx, dir, unit).catch(() => undefined);
    throw new Error(`lock-out guard: after changing ${guard.what}, a new SSH connection failed (${reason}); ${back.text}`);
  }
  await disarm(ctx, dir, unit);
}

/** Saves the current files and schedules their restore: systemd-run timer where systemd runs, a detached sleeper elsewhere. */
async function arm(ctx: StepContext, guard: LockoutGuard, dir: string, unit: string): Promise<void> {
  const d = shq(dir);
  const seconds = guard.rollbackAfterSec;
  const save = guard.files.map((f, i) => `if [ -e ${shq(f)} ]; then cp -p ${shq(f)} ${d}/${i}; else : > ${d}/${i}.absent; fi`);
  const restore = [
    '#!/bin/sh',
    `# Written by media-server-home: restores ${guard.what} as it was before a change that was not confirmed.`,
    ...guard.files.map((f, i) => `if [ -e ${d}/${i}.absent ]; then rm -f ${shq(f)}; else cp -p ${d}/${i} ${shq(f)}; fi`),
    guard.restore,
  ].join('\n');
  const script = [
    `mkdir -p ${d} && chmod 700 ${d}`,
    ...save,
    `cat > ${d}/restore.sh`,
    `if [ -d /run/systemd/system ] && command -v systemd-run >/dev/null 2>&1; then`,
    // AccuracySec: a timer may otherwise fire up to a minute late.
    `  systemd-run --quiet --unit=${unit} --on-active=${seconds}s --timer-property=AccuracySec=1s /bin/sh ${d}/restore.sh`,
    `else`,
    `  setsid sh -c 'sleep ${seconds}; sh ${d}/restore.sh' </dev/null >/dev/null 2>&1 & echo $! > ${d}/sleeper.pid`,
    `fi`,
  ].join('\n');
  assertOk(await ctx.conn.run(script, { input: restore }), `arming the lock-out guard for ${guard.what}`);
}

async function disarm(ctx: StepContext, dir: string, unit: string): Promise<void> {
  const d = shq(dir);
  const script = [
    `if [ -f ${d}/sleeper.pid ]; then kill "$(cat ${d}/sleeper.pid)" 2>/dev/null; fi`,
    `if [ -d /run/systemd/system ]; then systemctl stop ${unit}.timer 2>/dev/null; systemctl reset-failed ${unit}.service 2>/dev/null; fi`,
    `rm -rf ${d}`,
    'true',
  ].join('\n');
  assertOk(await ctx.conn.run(script), 'disarming the lock-out guard');
}

/** Polls with new connections until one works: "restored" text for the error, or why it still fails. */
async function waitForNewConnection(ctx: StepContext, withinMs: number): Promise<{ restored: boolean; text: string }> {
  const until = Date.now() + withinMs;
  let last = '';
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 2000));
    try {
      await ctx.conn.verifyNewConnection();
      return { restored: true, text: 'the host restored the previous configuration and new connections work again' };
    } catch (e) {
      last = (e as Error).message;
    }
  }
  return { restored: false, text: `and the host is STILL unreachable for new connections after the rollback: ${last}` };
}
