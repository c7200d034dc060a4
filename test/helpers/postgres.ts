/**
 * Throwaway PostgreSQL clusters from Debian's packages (apt-get install postgresql; the packaged service may stay
 * stopped): initdb in a temporary directory as the postgres user, listening only on a Unix socket in that directory.
 */
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { shOk } from './steps.ts';

/** Debian's newest installed server binaries, or undefined without the postgresql package. */
export function postgresBin(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).filter((d) => existsSync(join(base, d, 'bin', 'initdb'))).sort((a, b) => Number(a) - Number(b));
  return versions.length ? join(base, versions.at(-1)!, 'bin') : undefined;
}

export interface Cluster {
  dir: string;
  port: number;
  /** Arguments that reach this cluster: -h <socket dir> -p <port> -U postgres. */
  conn: string;
  stop(): Promise<void>;
}

const POSTGRES_UID = () => Number(execFileSync('id', ['-u', 'postgres']).toString().trim());

let nextPort = 55432 + (process.pid % 500);

export async function startCluster(): Promise<Cluster> {
  const bin = postgresBin();
  if (!bin) throw new Error('no PostgreSQL server here: apt-get install -y postgresql');
  const dir = mkdtempSync(join(tmpdir(), 'msh-pg-'));
  const uid = POSTGRES_UID();
  chownSync(dir, uid, uid);
  const port = nextPort++;
  const as = (cmd: string) => `runuser -u postgres -- ${cmd}`;
  await shOk(as(`${bin}/initdb -D ${dir}/data -A trust -U postgres --no-sync >/dev/null`));
  await shOk(as(`${bin}/pg_ctl -D ${dir}/data -l ${dir}/log -w -o "-k ${dir} -p ${port} -c listen_addresses=''" start >/dev/null`));
  return {
    dir,
    port,
    conn: `-h ${dir} -p ${port} -U postgres`,
    async stop() {
      await shOk(as(`${bin}/pg_ctl -D ${dir}/data -m immediate -w stop >/dev/null 2>&1 || true`));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
