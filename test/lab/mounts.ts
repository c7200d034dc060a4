/** Mount points under the lab's directories, and removing those directories safely. */
import { existsSync, readFileSync } from 'node:fs';
import { run, tryRun } from './exec.ts';

export interface MountPoint {
  target: string;
  fstype: string;
}

/** Mounts at or below `dir` in our mount namespace, deepest first. */
export function mountsUnder(dir: string): MountPoint[] {
  const base = dir.replace(/\/+$/, '');
  const found: MountPoint[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    // "36 35 98:0 /mnt1 /mnt/target rw,noatime master:1 - ext3 /dev/root rw"
    const [left, right] = line.split(' - ');
    const target = left?.split(' ')[4];
    const fstype = right?.split(' ')[0];
    if (!target || !fstype) continue;
    const path = target.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (path === base || path.startsWith(`${base}/`)) found.push({ target: path, fstype });
  }
  return found.sort((a, b) => b.target.length - a.target.length);
}

/** Unmounts everything at or below `dir` (lazily when a mount is busy). */
export async function unmountTree(dir: string): Promise<void> {
  for (const m of mountsUnder(dir)) {
    const res = await tryRun('umount', [m.target]);
    if (res.code !== 0) await run('umount', ['-l', m.target]);
  }
}

/**
 * Removes a directory tree after unmounting what is mounted in it. `--one-file-system` keeps rm out of anything
 * still mounted there (a debootstrap killed midway leaves /proc mounted inside its target).
 */
export async function removeTree(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  await unmountTree(dir);
  await run('rm', ['-rf', '--one-file-system', '--', dir]);
}
