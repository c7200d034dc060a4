/** compose.yml and .env: files whose content depends on the host (its iGPU, the password already in the .env). */
import type { Change, Step } from '../../lib/api/step.ts';
import { shq } from '../../lib/connectors/shell.ts';
import { fileStateProbe, parseFileState, type FileState, type Ownership } from '../../lib/modules/file-state.ts';
import { fileChange, sha256Hex, writeFileAtomic } from '../../lib/modules/file.ts';
import { GPU_PROBE, parseGpu } from './host.ts';
import { composePath, envPath, renderEnv, renderStack } from './model.ts';
import { generatePassword, passwordFromEnv, passwordProblem } from './secret.ts';
import type { V } from './settings.ts';

const MARK = '@@msh-host';

/** The file's state (with content) then, after a marker line, what `extra` prints. */
function probeWith(path: string, extra: string): string {
  return `${fileStateProbe(path, true)}\necho ${MARK}\n${extra}`;
}

function splitProbe(stdout: string): { state: FileState; extra: string } {
  const at = stdout.indexOf(`${MARK}\n`);
  const head = at >= 0 ? stdout.slice(0, at) : stdout;
  return { state: parseFileState(head), extra: at >= 0 ? stdout.slice(at + MARK.length + 1) : '' };
}

/**
 * The project files a check found out of date, so that in --check the deploy step (which probes the files as they are
 * now) can say that `up` will run after they change. Made per host by the role's steps().
 */
export type PendingFiles = Set<string>;

function track(pending: PendingFiles | undefined, path: string, change: Change | null): Change | null {
  if (change) pending?.add(path);
  else pending?.delete(path);
  return change;
}

const ROOT_FILE: Ownership = { owner: 'root', group: 'root', mode: '0644' };
const SECRET_FILE: Ownership = { owner: 'root', group: 'root', mode: '0600' };

/** compose.yml, validated by `docker compose config` on a temporary copy before it replaces the old one. */
export function composeFileStep(v: V, pending?: PendingFiles): Step {
  const path = composePath(v);
  let content = Buffer.alloc(0);
  return {
    title: `Compose project ${path}`,
    tags: ['compose'],
    probe: probeWith(path, GPU_PROBE),
    check(ctx, probe): Change | null {
      const { state, extra } = splitProbe(probe?.stdout ?? '');
      content = Buffer.from(renderStack(v, parseGpu(extra), ctx.host));
      return track(pending, path, fileChange(path, state, content, sha256Hex(content), ROOT_FILE, false));
    },
    async apply(ctx) {
      await writeFileAtomic(ctx.conn, path, content, ROOT_FILE, `docker compose --project-directory ${shq(v.compose_dir)} -f %s config -q`);
    },
  };
}

/**
 * The .env: generated once, with a database password made on the host; every later run reads that password back
 * from the file, so it never changes. The password is registered for redaction as soon as it is read, and the file
 * is never shown as a diff.
 */
export function envFileStep(v: V, pending?: PendingFiles): Step {
  const path = envPath(v);
  const pgVersion = `${v.immich_db_dir}/PG_VERSION`;
  let known: string | undefined;
  return {
    title: `Compose .env with the database password (${path}, 0600)`,
    tags: ['compose', 'secrets'],
    probe: probeWith(path, `if [ -e ${shq(pgVersion)} ]; then echo db-initialised; fi`),
    check(_ctx, probe): Change | null {
      const { state, extra } = splitProbe(probe?.stdout ?? '');
      if (state.kind === 'file' && state.content === undefined) throw new Error(`${path} is too large to be a .env file: move it away`);
      known = state.kind === 'file' ? passwordFromEnv(state.content!.toString('utf8')) : undefined;
      if (known !== undefined) {
        const problem = passwordProblem(known);
        if (problem) throw new Error(`DB_PASSWORD in ${path} cannot be used: ${problem} — put back the password the database was created with`);
        const content = Buffer.from(renderEnv(v, known));
        const change = fileChange(path, state, content, sha256Hex(content), SECRET_FILE, true);
        return track(pending, path, change && { ...change, summary: `${change.summary} (database password kept)` });
      }
      if (extra.includes('db-initialised')) {
        throw new Error(
          `${path} has no DB_PASSWORD, but the Immich database in ${v.immich_db_dir} already exists and keeps the password it was created with: restore DB_PASSWORD into ${path} from your backup (or, to start Immich's database from scratch, move ${v.immich_db_dir} away)`,
        );
      }
      const verb = state.kind === 'file' ? `update ${path}: add` : `create ${path} with`;
      return track(pending, path, { summary: `${verb} a new database password generated on the host (mode 0600)`, diff: `--- ${path}\n+++ ${path}\n(content hidden: holds secrets)\n` });
    },
    async apply(ctx) {
      const password = known ?? (await generatePassword(ctx.conn));
      await writeFileAtomic(ctx.conn, path, Buffer.from(renderEnv(v, password)), SECRET_FILE);
    },
  };
}
