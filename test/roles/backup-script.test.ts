/**
 * The backup role for real on this machine, as root, in a temporary directory: Debian's restic (0.14 on Debian 12) and
 * PostgreSQL, the role's own steps for the password and the repository, and the host-side script the timers run
 * (systemd is not needed: the timers only start it).
 *
 * Where the lab host differs: there the database dump is `docker exec immich_postgres pg_dump …` and the drill loads it
 * into a throwaway container. There is no Docker here, so both are settings (backup_db_dump_command,
 * backup_db_restore_command), and this test points them at Debian's pg_dump and throwaway clusters (initdb in a temp
 * directory): the same SQL goes the same way through the script.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { StepContext } from '../../lib/api/step.ts';
import { clearSecretsForTests, redact } from '../../lib/redact.ts';
import { defaults } from '../../roles/backup/defaults.ts';
import { SCRIPT } from '../../roles/backup/index.ts';
import { envPasswordStep, hostPasswordStep, type PasswordState } from '../../roles/backup/password.ts';
import { repositoryStep } from '../../roles/backup/repository.ts';
import { reportSummary, runNowStep } from '../../roles/backup/run-now.ts';
import type { Layout, V } from '../../roles/backup/settings.ts';
import { configJson, offsiteEnv } from '../../roles/backup/templates/config.ts';
import { postgresBin, startCluster, type Cluster } from '../helpers/postgres.ts';
import { context, rejects, removeTempDir, runStep, sh, shOk, tempDir } from '../helpers/steps.ts';

const t = suite('backup: the host-side script and the repository, for real (restic + PostgreSQL)');
const root = tempDir('msh-backup-');
let db: Cluster;
const PG = postgresBin();

function layoutIn(dir: string): Layout {
  mkdirSync(dir, { recursive: true });
  return {
    configDir: dir,
    passwordFile: join(dir, 'restic-password'),
    offsiteEnvFile: join(dir, 'offsite.env'),
    configFile: join(dir, 'config.json'),
    script: join(dir, 'msh-backup'),
    stateDir: join(dir, 'state'),
    cacheDir: join(dir, 'cache'),
    lockFile: join(dir, 'lock'),
    unitDir: join(dir, 'units'),
  };
}

interface World {
  dir: string;
  v: V;
  layout: Layout;
  envFile: string;
  src: { appdata: string; photos: string };
}

let n = 0;
/** Sources with a few files (one with [ ] in its name), a repository path, and a layout, all under a new directory. */
function world(over: Partial<V> = {}): World {
  const dir = join(root, `w${++n}`);
  const src = { appdata: join(dir, 'appdata'), photos: join(dir, 'photos') };
  mkdirSync(join(src.appdata, 'jellyfin', 'config'), { recursive: true });
  mkdirSync(join(src.appdata, 'jellyfin', 'cache'), { recursive: true });
  mkdirSync(src.photos, { recursive: true });
  writeFileSync(join(src.appdata, 'jellyfin', 'config', 'system.xml'), '<EnableMetrics>true</EnableMetrics>\n');
  writeFileSync(join(src.appdata, 'jellyfin', 'config', 'Film [1080p] *x?.nfo'), 'odd name\n');
  writeFileSync(join(src.appdata, 'jellyfin', 'cache', 'big.tmp'), randomBytes(1000));
  writeFileSync(join(src.photos, 'IMG_0001.jpg'), randomBytes(200_000));
  writeFileSync(join(src.photos, 'IMG_0002.jpg'), randomBytes(50_000));
  mkdirSync(join(dir, 'backups'));
  const v: V = {
    ...defaults,
    backup_repository: join(dir, 'backups', 'restic'),
    backup_appdata_paths: [src.appdata],
    backup_photos_paths: [src.photos],
    backup_media_paths: [],
    backup_exclude: [join(src.appdata, 'jellyfin', 'cache')],
    backup_check_subset: '100%',
    backup_db_dump_command: `runuser -u postgres -- pg_dump --clean --if-exists --dbname=immich ${db.conn}`,
    backup_db_dump_dir: join(src.appdata, 'backups', 'immich-db'),
    backup_db_restore_command: restoreCommand(dir),
    backup_metrics_dir: join(dir, 'metrics'),
    ...over,
  };
  mkdirSync(v.backup_metrics_dir);
  return { dir, v, layout: layoutIn(join(dir, 'host')), envFile: join(dir, '.env'), src };
}

/** Loads the SQL on stdin into a new throwaway cluster, then proves it is Immich's data: 3 assets, as dumped. */
function restoreCommand(dir: string): string {
  const script = join(dir, 'load-into-throwaway.sh');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    script,
    [
      'set -eu',
      `bin=${PG}; d=$(mktemp -d /tmp/msh-drill-pg-XXXXXX); chown postgres: "$d"; port=$((56000 + $$ % 900))`,
      `trap 'runuser -u postgres -- $bin/pg_ctl -D $d/data -m immediate -w stop >/dev/null 2>&1; rm -rf "$d"' EXIT`,
      'runuser -u postgres -- $bin/initdb -D $d/data -A trust -U postgres --no-sync >/dev/null',
      `runuser -u postgres -- $bin/pg_ctl -D $d/data -l $d/log -w -o "-k $d -p $port -c listen_addresses=''" start >/dev/null`,
      'runuser -u postgres -- $bin/createdb -h $d -p $port -U postgres immich',
      'runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -h $d -p $port -U postgres -d immich >/dev/null',
      `got=$(runuser -u postgres -- psql -X -tA -h $d -p $port -U postgres -d immich -c 'select count(*) from assets')`,
      '[ "$got" = 3 ] || { echo "expected 3 assets in the restored database, found $got"; exit 1; }',
    ].join('\n') + '\n',
  );
  return `sh ${script}`;
}

async function ctxFor(w: World): Promise<StepContext> {
  return { ...(await context()), envFile: w.envFile };
}

/** The role's steps that set up the password and the repository, then the script and its configuration. */
async function converge(w: World, state: PasswordState = {}): Promise<boolean[]> {
  const ctx = await ctxFor(w);
  const changed = [];
  for (const step of [envPasswordStep(w.v, w.layout, state), hostPasswordStep(w.v, w.layout, state), repositoryStep({ repo: { name: 'local', url: w.v.backup_repository }, password: state })]) {
    changed.push((await runStep(step, ctx)).changed);
  }
  writeFileSync(w.layout.configFile, configJson(w.v, w.layout), { mode: 0o600 });
  writeFileSync(w.layout.script, SCRIPT, { mode: 0o755 });
  return changed;
}

const run = (w: World, schedule: string) => sh(`${w.layout.script} --config ${w.layout.configFile} ${schedule}`);

async function runOk(w: World, schedule: string): Promise<string> {
  const res = await run(w, schedule);
  if (res.code !== 0) throw new Error(`msh-backup ${schedule} failed (exit ${res.code}):\n${res.stdout}\n${res.stderr}`);
  return res.stdout;
}

/** metric{labels} → value, from the schedule's textfile. */
function metrics(w: World, schedule: string): Map<string, number> {
  const text = readFileSync(join(w.v.backup_metrics_dir, `msh-backup-${schedule}.prom`), 'utf8');
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^(msh_backup_\w+)\{schedule="(\w+)",repository="(\w+)"\} (\S+)$/gm)) out.set(`${m[1]}/${m[3]}`, Number(m[4]));
  return out;
}

const restic = (w: World, args: string) => shOk(`restic --no-cache -r ${w.v.backup_repository} --password-file ${w.layout.passwordFile} ${args}`);
const snapshotCount = async (w: World, tag: string) => JSON.parse(await restic(w, `snapshots --json --tag msh-${tag}`)).length as number;

/** A digest of every file of the repository (names, sizes, contents): equal digests mean nothing was written. */
function treeDigest(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      h.update(p);
      if (e.isDirectory()) walk(p);
      else h.update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex');
}

t.before(async () => {
  clearSecretsForTests();
  db = await startCluster();
  await shOk(`runuser -u postgres -- createdb ${db.conn} immich`);
  await shOk(
    `runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 ${db.conn} -d immich -c "create table assets (id serial primary key, path text not null); insert into assets (path) values ('a.jpg'), ('b.jpg'), ('c [1].jpg');"`,
  );
});
t.after(async () => {
  await db?.stop();
  clearSecretsForTests();
  removeTempDir(root);
});

t('first converge: a password generated into .env (0600) and the host file (0600), the repository made; the second changes nothing', async () => {
  const w = world();
  assert.equal(await converge(w), [true, true, true]);
  const env = readFileSync(w.envFile, 'utf8');
  const pw = /^RESTIC_PASSWORD=([A-Za-z0-9]{40})$/m.exec(env)?.[1];
  assert.ok(pw, `a 40-character password in .env:\n${redact(env)}`);
  assert.is(statSync(w.envFile).mode & 0o777, 0o600);
  assert.is(readFileSync(w.layout.passwordFile, 'utf8'), pw);
  assert.is(statSync(w.layout.passwordFile).mode & 0o777, 0o600);
  assert.is(redact(`pw ${pw}`), 'pw ***', 'registered for redaction');
  const config = JSON.parse(await restic(w, 'cat config')).id;
  assert.equal(await converge(w), [false, false, false], 'second run: nothing changes');
  assert.is(readFileSync(w.envFile, 'utf8'), env, 'the password is kept');
  assert.is(JSON.parse(await restic(w, 'cat config')).id, config, 'the same repository');
});

t('a host that has a password file and a repository gives the password back to a .env without one; nothing is re-initialised', async () => {
  const w = world();
  await converge(w);
  const pw = readFileSync(w.layout.passwordFile, 'utf8');
  const before = treeDigest(w.v.backup_repository);
  writeFileSync(w.envFile, '# other secrets\nTRAEFIK_DASHBOARD_PASSWORD=abcdefghijklmnop\n', { mode: 0o600 });
  assert.equal(await converge(w), [true, false, false]);
  assert.match(readFileSync(w.envFile, 'utf8'), new RegExp(`^TRAEFIK_DASHBOARD_PASSWORD=abcdefghijklmnop\\n# restic[^\\n]*\\nRESTIC_PASSWORD=${pw}\\n$`, 'm'));
  assert.is(treeDigest(w.v.backup_repository), before);
});

t('a wrong password is a clear error and never a re-init: the repository and the host file stay as they are', async () => {
  const w = world();
  await converge(w);
  const before = treeDigest(w.v.backup_repository);
  const hostFile = readFileSync(w.layout.passwordFile, 'utf8');
  writeFileSync(w.envFile, 'RESTIC_PASSWORD=ThisIsNotThePasswordOfTheRepo\n', { mode: 0o600 });
  const ctx = await ctxFor(w);
  const state: PasswordState = {};
  await runStep(envPasswordStep(w.v, w.layout, state), ctx);
  await rejects(runStep(hostPasswordStep(w.v, w.layout, state), ctx), /differs from .*restic-password and does not open the repository/);
  await rejects(runStep(repositoryStep({ repo: { name: 'local', url: w.v.backup_repository }, password: state }), ctx), /does not open .* never re-initialised/);
  assert.is(readFileSync(w.layout.passwordFile, 'utf8'), hostFile);
  assert.is(treeDigest(w.v.backup_repository), before);
  // The script with a wrong password file: fails, says why, writes nothing into the repository.
  writeFileSync(w.layout.passwordFile, 'ThisIsNotThePasswordOfTheRepo');
  writeFileSync(w.layout.configFile, configJson(w.v, w.layout));
  const res = await run(w, 'photos');
  assert.is.not(res.code, 0);
  assert.match(res.stderr, /wrong password or no key found/);
  assert.is(metrics(w, 'photos').get('msh_backup_last_exit_code/local'), 1);
  assert.is(metrics(w, 'photos').get('msh_backup_last_success_timestamp_seconds/local'), 0, 'never succeeded');
  assert.is(treeDigest(w.v.backup_repository), before);
});

t('a repository nobody knows the password of, a directory that is not a repository, a missing parent: refused', async () => {
  const w = world();
  await converge(w);
  const ctx = await ctxFor(w);
  const other = world({ backup_repository: w.v.backup_repository });
  await rejects(runStep(envPasswordStep(other.v, other.layout, {}), { ...ctx, envFile: other.envFile }), /already has a restic repository .* neither .* holds its password/);
  assert.not.ok(existsSync(other.envFile), 'no password generated');

  const junk = world();
  mkdirSync(junk.v.backup_repository);
  writeFileSync(join(junk.v.backup_repository, 'notes.txt'), 'mine\n');
  await rejects(converge(junk), /is not empty and is not a restic repository/);
  const orphan = world({ backup_repository: join(root, 'not-mounted', 'restic') });
  await rejects(converge(orphan), /not-mounted does not exist: is the backups dataset mounted/);
});

t('backup, change a file, backup again, forget --prune, check, drill: all green, with the right metrics', async () => {
  const w = world({ backup_keep_daily: 1, backup_keep_weekly: 0, backup_keep_monthly: 0 });
  await converge(w);
  const t0 = Math.floor(Date.now() / 1000);
  const out = await runOk(w, 'appdata');
  assert.match(out, /database dump .*immich-\d{8}T\d{6}\.sql\.gz: \d+ bytes of SQL/);
  const dumps = readdirSync(w.v.backup_db_dump_dir);
  assert.is(dumps.length, 1);
  assert.is(statSync(join(w.v.backup_db_dump_dir, dumps[0]!)).mode & 0o777, 0o600);
  let m = metrics(w, 'appdata');
  assert.is(m.get('msh_backup_last_exit_code/local'), 0);
  assert.is(m.get('msh_backup_snapshots/local'), 1);
  assert.ok(m.get('msh_backup_added_bytes/local')! > 0);
  assert.ok(m.get('msh_backup_last_success_timestamp_seconds/local')! >= t0);
  assert.ok(m.get('msh_backup_duration_seconds/local')! > 0);
  const files = await restic(w, 'ls latest --tag msh-appdata');
  assert.match(files, /Film \[1080p\] \*x\?\.nfo/);
  assert.not.match(files, /big\.tmp/, 'backup_exclude leaves the cache out');

  writeFileSync(join(w.src.appdata, 'jellyfin', 'config', 'system.xml'), '<EnableMetrics>false</EnableMetrics>\n');
  await new Promise((r) => setTimeout(r, 1100)); // a dump with another name (one per second)
  await runOk(w, 'appdata');
  m = metrics(w, 'appdata');
  // keep-daily 1: forget --prune leaves one snapshot of today.
  assert.is(m.get('msh_backup_snapshots/local'), 1);
  assert.is(await snapshotCount(w, 'appdata'), 1);
  assert.match(await restic(w, 'dump latest --tag msh-appdata ' + join(w.src.appdata, 'jellyfin', 'config', 'system.xml')), /false/);

  await runOk(w, 'photos');
  assert.is(metrics(w, 'photos').get('msh_backup_snapshots/local'), 1);
  assert.match(await runOk(w, 'check'), /check --read-data-subset=100%: no errors/);
  assert.is(metrics(w, 'check').get('msh_backup_snapshots/local'), 2, 'check counts every snapshot');

  const drill = await runOk(w, 'drill');
  assert.match(drill, /appdata: snapshot \w+ .*, (\d+)\/\1 sampled files restored with the same sha256/);
  assert.match(drill, /photos: snapshot \w+ .*, 2 files, 2\/2 sampled files restored with the same sha256/);
  assert.match(drill, /database: immich-\d{8}T\d{6}\.sql\.gz restored from snapshot \w+, \d+ bytes of SQL, loaded into a throwaway Postgres without error/);
  assert.is(metrics(w, 'drill').get('msh_backup_last_exit_code/local'), 0);
  assert.match(readFileSync(join(w.layout.stateDir, 'drill.report'), 'utf8'), /drill: ok in/);
});

t('the metrics file is replaced atomically (a new file renamed over the old one), readable by node-exporter, no temp left', async () => {
  const w = world();
  await converge(w);
  await runOk(w, 'photos');
  const path = join(w.v.backup_metrics_dir, 'msh-backup-photos.prom');
  const first = statSync(path);
  await runOk(w, 'photos');
  const second = statSync(path);
  assert.is.not(second.ino, first.ino, 'a new inode: written beside it and renamed, never rewritten in place');
  assert.is(second.mode & 0o777, 0o644);
  assert.equal(readdirSync(w.v.backup_metrics_dir), ['msh-backup-photos.prom']);
  const text = readFileSync(path, 'utf8');
  for (const name of ['last_success_timestamp_seconds', 'last_run_timestamp_seconds', 'duration_seconds', 'added_bytes', 'snapshots', 'last_exit_code']) {
    assert.match(text, new RegExp(`^# HELP msh_backup_${name} .+\\n# TYPE msh_backup_${name} gauge\\nmsh_backup_${name}\\{schedule="photos",repository="local"\\} [0-9.]+$`, 'm'));
  }
  // keep-daily 7 keeps the newest snapshot of each day: two runs today leave one.
  assert.is(metrics(w, 'photos').get('msh_backup_snapshots/local'), 1);
});

t('a corrupted pack file: check and the drill fail loudly, exit non-zero, and the metrics say so (last success kept)', async () => {
  const w = world();
  await converge(w);
  await runOk(w, 'appdata');
  await runOk(w, 'photos');
  await runOk(w, 'check');
  const lastGood = metrics(w, 'check').get('msh_backup_last_success_timestamp_seconds/local')!;
  const data = join(w.v.backup_repository, 'data');
  for (const sub of readdirSync(data)) {
    for (const pack of readdirSync(join(data, sub))) {
      const p = join(data, sub, pack);
      chmodSync(p, 0o600);
      const bytes = readFileSync(p);
      for (let i = 100; i < bytes.length - 100; i += 97) bytes[i]! ^= 0xff;
      writeFileSync(p, bytes);
    }
  }
  const check = await run(w, 'check');
  assert.is.not(check.code, 0);
  assert.match(check.stdout + check.stderr, /restic check of local found errors/);
  const m = metrics(w, 'check');
  assert.is.not(m.get('msh_backup_last_exit_code/local'), 0);
  assert.is(m.get('msh_backup_last_success_timestamp_seconds/local'), lastGood, 'the last success stays the last good one');
  const drill = await run(w, 'drill');
  assert.is.not(drill.code, 0);
  assert.match(drill.stdout, /FAILED: restore drill found problems|FAILED: restic/);
  assert.is.not(metrics(w, 'drill').get('msh_backup_last_exit_code/local'), 0);
});

t('a backup killed mid-way (SIGKILL), then rerun: the rerun succeeds and check accepts the repository', async () => {
  const w = world();
  await converge(w);
  // A slow but real restic: 40 MB through --limit-upload 2048 KiB/s takes ~20 s, long enough to be killed mid-way.
  writeFileSync(join(w.src.photos, 'VID_big.mp4'), randomBytes(40_000_000));
  const slow = join(w.dir, 'slow-restic');
  writeFileSync(slow, '#!/bin/sh\nexec restic --limit-upload 2048 "$@"\n', { mode: 0o755 });
  const cfg = JSON.parse(configJson(w.v, w.layout));
  writeFileSync(w.layout.configFile, JSON.stringify({ ...cfg, restic: slow }));
  const started = sh(`setsid ${w.layout.script} --config ${w.layout.configFile} photos & echo $! > ${w.dir}/pid; wait`);
  const packs = () => readdirSync(join(w.v.backup_repository, 'data')).flatMap((d) => readdirSync(join(w.v.backup_repository, 'data', d))).length;
  for (let i = 0; i < 150 && packs() < 2; i++) await new Promise((r) => setTimeout(r, 200));
  assert.ok(packs() >= 2, 'restic has written packs');
  const pid = readFileSync(join(w.dir, 'pid'), 'utf8').trim();
  process.kill(-Number(pid), 'SIGKILL');
  await started;
  // As after a power cut: every process of the run is gone (restic tells a stale lock by its PID no longer running).
  for (let i = 0; i < 100 && (await sh(`pgrep -g ${pid}`)).code === 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.is((await sh(`pgrep -g ${pid}`)).code, 1, 'the killed processes are gone');
  assert.ok(readdirSync(join(w.v.backup_repository, 'locks')).length > 0, "the killed restic's lock is left behind");
  assert.is(await snapshotCount(w, 'photos'), 0, 'no snapshot from the killed run');
  writeFileSync(w.layout.configFile, configJson(w.v, w.layout));
  await runOk(w, 'photos');
  assert.is(await snapshotCount(w, 'photos'), 1);
  assert.equal(readdirSync(join(w.v.backup_repository, 'locks')), [], 'the stale lock was removed');
  assert.match(await runOk(w, 'check'), /no errors/);
});

t('an empty or missing source (a share that is not mounted) is refused before restic runs', async () => {
  const w = world();
  await converge(w);
  const emptyDir = join(w.dir, 'empty');
  mkdirSync(emptyDir);
  writeFileSync(w.layout.configFile, configJson({ ...w.v, backup_photos_paths: [emptyDir] }, w.layout));
  const res = await run(w, 'photos');
  assert.is.not(res.code, 0);
  assert.match(res.stderr, /is empty \(is it mounted\?\): refusing to back up an empty directory/);
  assert.is(await snapshotCount(w, 'photos'), 0);
});

t('a failing database dump fails the run (files still backed up) and leaves no partial dump', async () => {
  const w = world({ backup_db_dump_command: 'echo "-- half a dump"; exit 0' });
  await converge(w);
  const res = await run(w, 'appdata');
  assert.is(res.code, 1);
  assert.match(res.stderr, /the database dump is incomplete/);
  assert.is(await snapshotCount(w, 'appdata'), 1, 'the files are backed up all the same');
  assert.equal(readdirSync(w.v.backup_db_dump_dir), [], 'no partial dump left');
  assert.is(metrics(w, 'appdata').get('msh_backup_last_exit_code/local'), 1);
});

t('two repositories: the off-site one (a second local directory stands in for S3/B2: no network here) gets the same runs, with its credentials file', async () => {
  const w = world();
  await converge(w);
  const offsiteUrl = join(w.dir, 'offsite-bucket');
  // Sourced by the role's shell and read by the script: quoting must survive / + = in secret keys.
  const v2: V = { ...w.v, backup_offsite_repository: offsiteUrl, backup_offsite_env: { AWS_SECRET_ACCESS_KEY: 'wJalr/K7+MDENG=bPxR' } };
  writeFileSync(w.layout.offsiteEnvFile, offsiteEnv(v2), { mode: 0o600 });
  const ctx = await ctxFor(w);
  const state: PasswordState = {};
  await runStep(envPasswordStep(v2, w.layout, state), ctx);
  const offsite = repositoryStep({ repo: { name: 'offsite', url: offsiteUrl }, password: state, envFile: w.layout.offsiteEnvFile });
  assert.match((await runStep(offsite, ctx)).change!.summary, /initialise a new restic repository at the off-site repository/);
  assert.is((await runStep(offsite, ctx)).changed, false, 'adopted on the next run');
  writeFileSync(w.layout.configFile, configJson(v2, w.layout));
  const out = await runOk(w, 'photos');
  assert.match(out, /local: snapshot \w+ of photos/);
  assert.match(out, /offsite: snapshot \w+ of photos/);
  const m = metrics(w, 'photos');
  assert.is(m.get('msh_backup_last_exit_code/local'), 0);
  assert.is(m.get('msh_backup_last_exit_code/offsite'), 0);
  assert.is(m.get('msh_backup_snapshots/offsite'), 1);
  // The off-site copy lost: the run fails (non-zero, offsite exit code set), the local backup still happens.
  await sh(`rm -rf ${offsiteUrl}`);
  const res = await run(w, 'photos');
  assert.is(res.code, 1);
  assert.match(res.stdout, /offsite: FAILED/);
  assert.is(metrics(w, 'photos').get('msh_backup_last_exit_code/local'), 0);
  assert.is.not(metrics(w, 'photos').get('msh_backup_last_exit_code/offsite'), 0);
});

t('--now runs the schedule and reads its report (here without systemd: the script itself); a failure carries the report', async () => {
  const w = world();
  await converge(w);
  const ctx = { ...(await ctxFor(w)), facts: { ...(await context()).facts, systemd: false, hostname: 'services-test' } };
  const step = runNowStep('photos', w.layout);
  const r = await runStep(step, ctx);
  assert.is(r.change!.summary, 'start msh-backup-photos.service and wait for it to end');
  assert.equal(await step.check(ctx, undefined), null, 'once run, nothing more to do (converged)');
  const summary = reportSummary('services-test');
  assert.is(summary[0], 'Backup photos: ok');
  assert.ok(summary.some((l) => /local: snapshot \w+ of photos: 2 new/.test(l)), summary.join('\n'));

  writeFileSync(w.layout.passwordFile, 'NotThePasswordOfThisRepository');
  await rejects(runStep(runNowStep('check', w.layout), ctx), /msh-backup-check.service failed \(exit 1\):\ncheck run started[\s\S]*local: FAILED: restic unlock failed[\s\S]*wrong password/);
  assert.is(reportSummary('services-test')[0], 'Backup check: FAILED');
});

t.run();
