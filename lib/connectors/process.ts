import { spawn } from 'node:child_process';
import type { RunResult } from './connector.ts';

export interface SpawnOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface SpawnResult extends RunResult {
  timedOut: boolean;
}

/** Runs a program without a shell on the controller, feeding stdin and collecting output; never rejects on exit codes. */
export function spawnCollect(file: string, args: string[], opts: SpawnOptions = {}): Promise<SpawnResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
          // A background child of the program (e.g. a curl started by sh) may hold the pipes open for as long as it
          // runs: stop waiting for them, or the run hangs past its timeout.
          child.stdout.destroy();
          child.stderr.destroy();
        }, opts.timeoutMs)
      : undefined;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({
        code: code ?? (signal ? 128 + 9 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
      });
    });
    child.stdin.on('error', () => {
      /* the program may exit without reading its input */
    });
    child.stdin.end(opts.input ?? '');
  });
}
