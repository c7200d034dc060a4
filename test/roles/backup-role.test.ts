/** The backup role as data: validation, the units and the script's configuration it renders, its steps and flags. */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { defineRole } from '../../lib/api/role.ts';
import { InputError } from '../../lib/errors.ts';
import { parseInventory } from '../../lib/inventory/load.ts';
import { buildSchema } from '../../lib/inventory/schema.ts';
import { planRun } from '../../lib/runner/plan.ts';
import { runPlay } from '../../lib/runner/run-play.ts';
import { addEnvValue, loadEnvFile } from '../../lib/inventory/env-file.ts';
import { clearSecretsForTests, redact, registerSecret } from '../../lib/redact.ts';
import { defaults, DOCKER_DB_DUMP, DOCKER_DB_RESTORE } from '../../roles/backup/defaults.ts';
import { sh } from '../helpers/steps.ts';
import { shq } from '../../lib/connectors/shell.ts';
import { backup, backupSteps, scheduleMounts } from '../../roles/backup/index.ts';
import { resticVersion } from '../../roles/backup/host-checks.ts';
import { classifyOpen } from '../../roles/backup/repository.ts';
import { parseNowFlag } from '../../roles/backup/run-now.ts';
import { HOST_LAYOUT, validateBackup, type V } from '../../roles/backup/settings.ts';
import { backupSummary } from '../../roles/backup/summary.ts';
import { configJson, offsiteEnv, scriptConfig } from '../../roles/backup/templates/config.ts';
import { backupService, backupTimer } from '../../roles/backup/templates/units.ts';
import { rejects, removeTempDir, tempDir } from '../helpers/steps.ts';

const t = suite('backup: the role as data');
const v = (over: Partial<V> = {}): V => ({ ...defaults, ...over });
const problem = (over: Partial<V>) => validateBackup(v(over));
const root = tempDir('msh-backup-role-');

t.before.each(() => clearSecretsForTests());
t.after(() => removeTempDir(root));

t('the defaults are valid and follow the design: Immich dump command, 7/4/6, repository on the pool', () => {
  assert.is(validateBackup(v()), undefined);
  assert.is(DOCKER_DB_DUMP, 'docker exec immich_postgres pg_dump --clean --if-exists --dbname=immich --username=postgres');
  assert.equal([defaults.backup_keep_daily, defaults.backup_keep_weekly, defaults.backup_keep_monthly], [7, 4, 6]);
  assert.is(defaults.backup_repository, '/mnt/tank/backups/restic');
  assert.not.match(JSON.stringify(defaults), /\$\{/, 'no default refers to .env: the inventory would require it');
  assert.equal(Object.keys(backup.docs).sort(), Object.keys(defaults).sort(), 'every variable is documented');
});

t('the Docker drill command is valid shell (it cannot run here: no Docker; the lab runs it)', async () => {
  const res = await sh(`sh -n -c ${shq(DOCKER_DB_RESTORE)}`);
  assert.is(res.code, 0, res.stderr);
  assert.match(DOCKER_DB_RESTORE, /docker inspect --format '\{\{\.Config\.Image\}\}' immich_postgres/, 'the same image as the live database');
  assert.match(DOCKER_DB_RESTORE, /ON_ERROR_STOP=1/);
});

t('validation names the variable and the fix', () => {
  assert.is(problem({ backup_repository: 'backups/restic' })?.key, 'backup_repository');
  assert.is(problem({ backup_photos_paths: ['/mnt/tank/my photos'] })?.key, 'backup_photos_paths');
  assert.match(problem({ backup_appdata_paths: [], backup_photos_paths: [], backup_media_paths: [] })!.message, /nothing would be backed up/);
  assert.match(problem({ backup_offsite_repository: 'https://example.com/x' })!.fix, /s3:.*b2:/);
  assert.match(problem({ backup_offsite_repository: 's3:s3.amazonaws.com/b/restic', backup_offsite_env: { AWS_ACCESS_KEY_ID: 'AKIAPLAINTEXT' } })!.message, /not taken from \.env/);
  registerSecret('AKIAFROMDOTENV');
  assert.is(problem({ backup_offsite_repository: 's3:s3.amazonaws.com/b/restic', backup_offsite_env: { AWS_ACCESS_KEY_ID: 'AKIAFROMDOTENV' } }), undefined);
  assert.match(problem({ backup_offsite_env: { AWS_ACCESS_KEY_ID: 'AKIAFROMDOTENV' } })!.message, /no off-site repository/);
  registerSecret("it's-a-secret");
  assert.match(problem({ backup_offsite_repository: 's3:h/b', backup_offsite_env: { AWS_SECRET_ACCESS_KEY: "it's-a-secret" } })!.message, /single quote/);
  assert.match(problem({ backup_on_calendar: { hourly: '*-*-* *:00' } })!.message, /unknown schedule "hourly"/);
  assert.is(problem({ backup_keep_daily: 0, backup_keep_weekly: 0, backup_keep_monthly: 0 })?.key, 'backup_keep_daily');
  for (const ok of ['5%', '2.5%', '1/10', '2G']) assert.is(problem({ backup_check_subset: ok }), undefined, ok);
  assert.is(problem({ backup_check_subset: 'all' })?.key, 'backup_check_subset');
  assert.is(problem({ backup_db_restore_command: '' })?.key, 'backup_db_restore_command');
  assert.is(problem({ backup_db_restore_command: '', backup_db_dump_command: '' }), undefined, 'no dump, nothing to load');
});

t('units: a oneshot service running the script, needing its mounts; a persistent timer on the schedule', () => {
  const svc = backupService('appdata', HOST_LAYOUT, scheduleMounts(v(), 'appdata'));
  assert.match(svc, /^Type=oneshot$/m);
  assert.match(svc, /^ExecStart=\/usr\/local\/sbin\/msh-backup appdata$/m);
  assert.match(svc, /^RequiresMountsFor=\/mnt\/tank\/backups\/restic \/mnt\/tank\/appdata$/m, 'the dump directory is inside appdata: not listed twice');
  assert.match(svc, /^After=network-online.target docker.service$/m);
  assert.equal(scheduleMounts(v(), 'check'), ['/mnt/tank/backups/restic']);
  assert.equal(scheduleMounts(v(), 'drill'), ['/mnt/tank/backups/restic', '/mnt/tank/appdata', '/mnt/tank/photos', '/mnt/tank/media']);
  const timer = backupTimer(v({ backup_on_calendar: { photos: 'Sat *-*-* 02:00:00' } }), 'photos');
  assert.match(timer, /^OnCalendar=Sat \*-\*-\* 02:00:00$/m);
  assert.match(timer, /^Persistent=true$/m);
  assert.match(timer, /^Unit=msh-backup-photos.service$/m);
  assert.match(backupTimer(v({ backup_on_calendar: { photos: 'Sat *-*-* 02:00:00' } }), 'appdata'), /^OnCalendar=\*-\*-\* 03:00:00$/m, 'others keep their default');
  assert.match(backupTimer(v(), 'drill'), /^OnCalendar=\*-\*-01 06:00:00$/m, 'the drill: monthly');
  assert.match(backupTimer(v(), 'check'), /^OnCalendar=Sat /m, 'the check: weekly');
});

t("the script's configuration: repositories, sets, retention, the dump; off-site credentials in their own file", () => {
  registerSecret('s3:s3.amazonaws.com/bucket/restic');
  registerSecret('AKIAFROMDOTENV');
  const vars = v({ backup_offsite_repository: 's3:s3.amazonaws.com/bucket/restic', backup_offsite_env: { AWS_ACCESS_KEY_ID: 'AKIAFROMDOTENV' }, backup_media_paths: [] });
  const cfg = scriptConfig(vars, HOST_LAYOUT);
  assert.equal(cfg.repositories, [
    { name: 'local', url: '/mnt/tank/backups/restic' },
    { name: 'offsite', url: 's3:s3.amazonaws.com/bucket/restic', env_file: HOST_LAYOUT.offsiteEnvFile },
  ]);
  assert.equal(cfg.sets.media.paths, []);
  assert.equal(cfg.keep, { daily: 7, weekly: 4, monthly: 6 });
  assert.is(cfg.db_dump?.command, DOCKER_DB_DUMP);
  assert.is(cfg.password_file, '/etc/media-server-home/backup/restic-password');
  assert.not.match(configJson(vars, HOST_LAYOUT), /AKIA/, 'credentials are not in the configuration');
  assert.is(offsiteEnv(vars).split('\n')[1], "AWS_ACCESS_KEY_ID='AKIAFROMDOTENV'");
  assert.is(scriptConfig(v({ backup_db_dump_command: ' ' }), HOST_LAYOUT).db_dump, null);
});

t('steps: in order, the off-site ones only with an off-site repository, --now last; a wrong --now is an input error', () => {
  const titles = backupSteps(v(), {}).map((s) => s.title);
  const at = (re: RegExp) => titles.findIndex((x) => re.test(x));
  assert.ok(at(/^restic, Python/) < at(/RESTIC_PASSWORD in \.env/));
  assert.ok(at(/RESTIC_PASSWORD in \.env/) < at(/^restic password file/));
  assert.ok(at(/^restic password file/) < at(/^restic repository \/mnt\/tank\/backups\/restic$/));
  assert.is(at(/off-site/), -1);
  assert.is(titles.filter((x) => /\.timer enabled and started$/.test(x)).length, 5);
  const noMedia = backupSteps(v({ backup_media_paths: [] }), {}).map((s) => s.title);
  assert.ok(noMedia.includes('msh-backup-media.timer off (no paths)'));
  registerSecret('b2:bucket:restic');
  const withOffsite = backupSteps(v({ backup_offsite_repository: 'b2:bucket:restic' }), { now: 'appdata' }).map((s) => s.title);
  assert.ok(withOffsite.includes('off-site restic repository'));
  assert.is(withOffsite.at(-1), 'Run appdata now (msh-backup-appdata.service)');
  assert.is(parseNowFlag(undefined), undefined);
  assert.is(parseNowFlag('drill'), 'drill');
  assert.throws(() => backupSteps(v(), { now: 'everything' }), (e: unknown) => e instanceof InputError && /--now everything: no such schedule/.test((e as Error).message));
  assert.equal(backup.flags?.map((f) => f.name), ['now']);
});

t('restic answers: versions, and a missing repository told apart from a wrong password (0.14 words, 0.17 codes)', () => {
  assert.equal(resticVersion('restic 0.14.0 compiled with go1.19.8 on linux/amd64'), [0, 14, 0]);
  assert.equal(resticVersion('restic 0.18.1 compiled with go1.24 on linux/amd64'), [0, 18, 1]);
  assert.is(classifyOpen(1, 'Fatal: unable to open config file: stat /r/config: no such file or directory\nIs there a repository at the following location?\n/r'), 'absent');
  assert.is(classifyOpen(1, 'Fatal: wrong password or no key found'), 'wrong-password');
  assert.is(classifyOpen(10, ''), 'absent');
  assert.is(classifyOpen(12, ''), 'wrong-password');
  assert.is(classifyOpen(1, 'Fatal: unable to open repository: connection refused'), undefined, 'anything else is an error, never "absent"');
});

t('addEnvValue: appends to .env atomically, keeps 0600, refuses a name already set, a loose file and a value needing quotes', async () => {
  const file = join(root, '.env');
  addEnvValue(file, 'RESTIC_PASSWORD', 'abcDEF0123456789xyz', 'the comment');
  assert.is(readFileSync(file, 'utf8'), '# the comment\nRESTIC_PASSWORD=abcDEF0123456789xyz\n');
  assert.is(statSync(file).mode & 0o777, 0o600);
  assert.is(redact('abcDEF0123456789xyz'), '***');
  writeFileSync(file, 'A=1', { mode: 0o600 });
  addEnvValue(file, 'B', 'two', 'c');
  assert.equal(loadEnvFile(file).values, { A: '1', B: 'two' });
  await rejects(() => addEnvValue(file, 'B', 'three', 'c'), /already sets B/);
  await rejects(() => addEnvValue(file, 'C', 'has space', 'c'), /would need quoting/);
  const loose = join(root, 'loose.env');
  writeFileSync(loose, 'A=1\n', { mode: 0o644 });
  await rejects(() => addEnvValue(loose, 'B', 'x', 'c'), /mode is 0644/);
});

t("the runner hands the run's .env path to steps (StepContext.envFile), where the password step keeps RESTIC_PASSWORD", async () => {
  const seen: (string | undefined)[] = [];
  const role = defineRole({
    name: 'probe-env', description: '', hosts: 'all', defaults: {}, docs: {},
    steps: () => [{ title: 'look', check: (ctx) => (seen.push(ctx.envFile), null), apply: async () => undefined }],
  });
  const inv = parseInventory(`all:\n  vars:\n    ansible_connection: local\n  hosts:\n    h1:\n      msh_state_dir: ${root}/state\n`, 'test.yml', buildSchema([role]));
  const opts = { inventory: 'test.yml', envFile: 'secrets/my.env', check: true, diff: false, tags: [], skipTags: [], limit: [], verbosity: 0 as const, json: false, yes: false, forks: 1, logDir: join(root, 'logs'), extra: {} };
  const plans = planRun(inv, [role], { file: opts.envFile, exists: false, values: {} }, opts);
  const { exitCode } = await runPlay(plans, { playbook: 't', checkMode: true, diff: false, yes: false, forks: 1, envFile: opts.envFile }, () => undefined);
  assert.is(exitCode, 0);
  assert.equal(seen, ['secrets/my.env']);
});

t('the summary: schedules, how to run one now, keep the password, and the warning without an off-site copy', () => {
  const lines = backupSummary(v({ backup_media_paths: [] }));
  assert.match(lines.join('\n'), /appdata +\*-\*-\* 03:00:00 +\(msh-backup-appdata.timer\)/);
  assert.match(lines.join('\n'), /media +off \(no paths\)/);
  assert.match(lines.join('\n'), /Keep a copy of RESTIC_PASSWORD/);
  assert.match(lines.join('\n'), /does not survive losing the pool/);
  registerSecret('b2:bucket:restic');
  assert.not.match(backupSummary(v({ backup_offsite_repository: 'b2:bucket:restic' })).join('\n'), /does not survive/);
});

t.run();
