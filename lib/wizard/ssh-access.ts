/**
 * Can this machine reach a host over SSH, and if not, what would fix it: the project's SSH connector runs a trivial
 * command; a refused key can be installed with ssh-copy-id (a password login, so it runs with the terminal), and a
 * missing key made with ssh-keygen.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SshConnector, type SshConnectorOptions } from '../connectors/ssh.ts';

export type SshCheck =
  | { ok: true; conn: SshConnector }
  | {
      ok: false;
      /** auth: the host answers but refuses the key; the others: the host does not answer as it should. */
      problem: 'auth' | 'unreachable';
      /** The connector's explanation, with what to fix. */
      message: string;
    };

/** Connects and runs `echo`; the connection is kept open for what follows (close it). */
export async function checkSsh(opts: SshConnectorOptions): Promise<SshCheck> {
  let conn: SshConnector;
  try {
    conn = new SshConnector(opts);
  } catch (e) {
    return { ok: false, problem: 'unreachable', message: (e as Error).message };
  }
  try {
    await conn.connect();
    const res = await conn.run('echo msh-wizard-ok', { become: false });
    if (res.code !== 0 || !res.stdout.includes('msh-wizard-ok')) throw new Error(`a test command on ${conn.target} failed: ${res.stderr.trim() || `exit ${res.code}`}`);
    return { ok: true, conn };
  } catch (e) {
    await conn.close().catch(() => undefined);
    const message = (e as Error).message;
    return { ok: false, problem: /authentication failed/.test(message) ? 'auth' : 'unreachable', message };
  }
}

/** The key pairs ssh tries by default, most preferred first. */
export const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/** The first default key pair of this user that has both halves: its private key path. */
export function findKeyPair(sshDir = join(homedir(), '.ssh')): string | undefined {
  return DEFAULT_KEYS.map((k) => join(sshDir, k)).find((k) => existsSync(k) && existsSync(`${k}.pub`));
}

/** ssh-copy-id for a host on a non-default port, with the project's known_hosts. */
export function copyIdCommand(opts: { host: string; port: number; user: string; keyFile: string; knownHostsFile?: string }): string[] {
  return [
    'ssh-copy-id',
    '-i', `${opts.keyFile}.pub`,
    '-p', String(opts.port),
    ...(opts.knownHostsFile ? ['-o', `UserKnownHostsFile=${opts.knownHostsFile}`, '-o', 'StrictHostKeyChecking=accept-new'] : []),
    `${opts.user}@${opts.host}`,
  ];
}

export function keygenCommand(keyFile = join(homedir(), '.ssh', 'id_ed25519')): string[] {
  return ['ssh-keygen', '-t', 'ed25519', '-f', keyFile];
}

/** Runs a command with this terminal (it may ask for a password or passphrase); resolves with its exit code. */
export function runWithTerminal(argv: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit' });
    child.on('error', () => resolve(127));
    child.on('close', (code) => resolve(code ?? 1));
  });
}
