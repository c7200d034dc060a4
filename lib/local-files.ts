/** Writing files on the controller (keys, certificates, .env, the wizard's files): never readable with a wider mode, not even briefly. */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';

/** Writes `content` to a temporary file with `mode` beside `path`, then renames it over `path` (atomic replace). */
export function writeFileAtomicLocal(path: string, content: string | Buffer, mode: number): void {
  const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  try {
    // 'wx': created by us with this mode from the start (the umask may only narrow it; chmod makes it exact).
    writeFileSync(tmp, content, { mode, flag: 'wx' });
    chmodSync(tmp, mode);
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Creates a directory (and parents) readable only by its owner, or narrows an existing one to that. */
export function privateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  chmodSync(path, 0o700);
}

/** The permission bits of a path, or undefined when it does not exist. */
export function modeOf(path: string): number | undefined {
  return existsSync(path) ? statSync(path).mode & 0o777 : undefined;
}

export const octal = (mode: number) => mode.toString(8).padStart(4, '0');
