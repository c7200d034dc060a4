/**
 * Running a command inside a root filesystem, natively on the controller. systemd-nspawn without --boot is a chroot
 * that mounts /proc, /sys and /dev itself and takes them away when the command ends, so no mount outlives it. It
 * shares the controller's network; the controller's resolv.conf is bind-mounted over the root's, which stays as it is.
 */
import { appendFileSync } from 'node:fs';
import { LabError, tail, tryRun } from './exec.ts';

export interface ChrootOptions {
  /** Names the nspawn machine (its hostname inside), unique per root being worked on. */
  machine: string;
  logFile: string;
  timeoutMs: number;
}

export async function inChroot(root: string, argv: string[], opts: ChrootOptions): Promise<string> {
  const args = [
    '--quiet',
    `--directory=${root}`,
    `--machine=${opts.machine}`,
    // The controller's PID 1 is not systemd: see nspawn.ts.
    '--register=no',
    '--keep-unit',
    '--resolv-conf=bind-host',
    '--timezone=off',
    '--setenv=DEBIAN_FRONTEND=noninteractive',
    '--setenv=LANG=C.UTF-8',
    '--',
    ...argv,
  ];
  appendFileSync(opts.logFile, `\n$ ${argv.join(' ')}\n`);
  const res = await tryRun('systemd-nspawn', args, { timeoutMs: opts.timeoutMs });
  // nspawn's last word when the controller's PID 1 is not systemd; it means nothing for the command.
  const stderr = res.stderr.replace(/^Attempted to remove disk file system under .*\n?/m, '');
  appendFileSync(opts.logFile, res.stdout + stderr);
  if (res.code !== 0 || res.timedOut) {
    const why = res.timedOut ? `no result within ${Math.round(opts.timeoutMs / 1000)} s` : `exit ${res.code}`;
    throw new LabError(`${argv.join(' ')} in ${root} failed (${why}): ${tail(stderr || res.stdout)} — see ${opts.logFile}`);
  }
  return res.stdout;
}
