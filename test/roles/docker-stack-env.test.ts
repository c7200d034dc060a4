/**
 * The docker-stack role's .env and its database password, run for real on this machine (as root, in a temporary
 * directory): generated once on the host from /dev/urandom, written 0600 root, read back and kept on every later run,
 * registered with the redactor before anything can show it, never shown as a diff.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDotenv, renderDotenv } from '../../lib/compose/dotenv.ts';
import { clearSecretsForTests, containsSecret, redact } from '../../lib/redact.ts';
import { defaults } from '../../roles/docker-stack/defaults.ts';
import { envFileStep } from '../../roles/docker-stack/files.ts';
import { renderEnv } from '../../roles/docker-stack/model.ts';
import { GENERATE_PASSWORD, passwordProblem } from '../../roles/docker-stack/secret.ts';
import type { V } from '../../roles/docker-stack/settings.ts';
import { check, context, removeTempDir, runStep, sh, tempDir } from '../helpers/steps.ts';

const t = suite('docker-stack: .env and the database password');
const root = tempDir('msh-stack-env-');
let n = 0;

/** Variables pointing the project and the database at fresh directories under the temp dir. */
function vars(over: Partial<V> = {}): V {
  n++;
  const compose = join(root, `compose-${n}`);
  mkdirSync(compose);
  return { ...defaults, compose_dir: compose, immich_db_dir: join(root, `db-${n}`), ...over };
}
const envOf = (v: V) => join(v.compose_dir, '.env');
const passwordOf = (v: V) => parseDotenv(readFileSync(envOf(v), 'utf8'))['DB_PASSWORD']!;

t.before.each(() => clearSecretsForTests());
t.after(() => {
  clearSecretsForTests();
  removeTempDir(root);
});

t('the .env: Immich variable names, COMPOSE_PROFILES, the password last', () => {
  assert.is(
    renderEnv({ ...defaults, stack_profiles: ['photos', 'media'] }, 'Abc123'),
    [
      '# Written by media-server-home (role docker-stack); set parts and images in the inventory, not here.',
      '# Holds the Immich database password: keep it 0600 and back it up; never change DB_PASSWORD (the database keeps',
      '# the password it was created with). IMMICH_VERSION records the version of images.immich_server.',
      'COMPOSE_PROFILES=media,photos',
      'IMMICH_VERSION=v3.2.4',
      'UPLOAD_LOCATION=/mnt/tank/photos',
      'DB_DATA_LOCATION=/var/lib/immich-postgres',
      'DB_USERNAME=postgres',
      'DB_DATABASE_NAME=immich',
      'DB_PASSWORD=Abc123',
      '',
    ].join('\n'),
    'profiles in the fixed order media, photos, proxy',
  );
  assert.is(renderDotenv([], [['A', 'two words'], ['B', '/plain/path']]), "A='two words'\nB=/plain/path\n");
  assert.throws(() => renderDotenv([], [['A', "it's"]]), /contains a newline or a quote/);
  assert.equal(parseDotenv(renderDotenv(['c'], [['A', 'two words']])), { A: 'two words' });
});

t('first run: a 32-character A-Za-z0-9 password made on the host, file 0600 root, nothing secret in the report', async () => {
  const v = vars();
  const step = envFileStep(v);
  const first = await runStep(step);
  assert.ok(first.changed);
  assert.is(first.change!.summary, `create ${envOf(v)} with a new database password generated on the host (mode 0600)`);
  assert.is(first.change!.diff, `--- ${envOf(v)}\n+++ ${envOf(v)}\n(content hidden: holds secrets)\n`);
  const pw = passwordOf(v);
  assert.match(pw, /^[A-Za-z0-9]{32}$/);
  const st = statSync(envOf(v));
  assert.is(st.mode & 0o777, 0o600);
  assert.is(st.uid, 0);
  assert.ok(containsSecret(pw), 'registered for redaction when it was generated');
  assert.is(redact(`password is ${pw}`), 'password is ***');
});

t('later runs read the password back: no change, the same password; a changed setting keeps it', async () => {
  const v = vars();
  await runStep(envFileStep(v));
  const pw = passwordOf(v);
  clearSecretsForTests();
  assert.is((await runStep(envFileStep(v))).changed, false, 'second run: nothing to do');
  assert.ok(containsSecret(pw), 'reading it back registers it (a new run starts with no secrets known)');
  assert.is(passwordOf(v), pw);

  const media = { ...v, stack_profiles: ['media', 'proxy'] };
  const update = await runStep(envFileStep(media));
  assert.ok(update.changed);
  assert.is(update.change!.summary, `update ${envOf(v)}: content (database password kept)`);
  assert.is(update.change!.diff, `--- ${envOf(v)}\n+++ ${envOf(v)}\n(content hidden: holds secrets)\n`, 'never a diff, even of the lines that are not secret');
  assert.is(passwordOf(v), pw);
  assert.match(readFileSync(envOf(v), 'utf8'), /^COMPOSE_PROFILES=media,proxy$/m);
  assert.is((await runStep(envFileStep(media))).changed, false);
});

t('a looser mode is set back to 0600; the password stays', async () => {
  const v = vars();
  await runStep(envFileStep(v));
  const pw = passwordOf(v);
  chmodSync(envOf(v), 0o644);
  const fix = await runStep(envFileStep(v));
  assert.is(fix.change!.summary, `update ${envOf(v)}: mode 0644 → 0600 (database password kept)`);
  assert.is(statSync(envOf(v)).mode & 0o777, 0o600);
  assert.is(passwordOf(v), pw);
});

t('check mode says what it would do and writes nothing', async () => {
  const v = vars();
  const res = await runStep(envFileStep(v), await context({ checkMode: true }));
  assert.ok(res.changed);
  assert.is((await sh(`test -e ${envOf(v)}`)).code, 1, 'no .env written');
});

t('an existing database without its password in .env is an error, not a new password', async () => {
  const v = vars();
  mkdirSync(v.immich_db_dir);
  writeFileSync(join(v.immich_db_dir, 'PG_VERSION'), '14\n');
  const err = await check(envFileStep(v)).then(
    () => '',
    (e: Error) => e.message,
  );
  assert.match(err, /has no DB_PASSWORD, but the Immich database in .* already exists and keeps the password it was created with: restore DB_PASSWORD/);
  assert.is((await sh(`test -e ${envOf(v)}`)).code, 1);
});

t('a password Immich cannot use is refused, and not shown', async () => {
  const v = vars();
  const bad = 'p@ss:w0rd-with-symbols';
  writeFileSync(envOf(v), `DB_PASSWORD=${bad}\n`, { mode: 0o600 });
  const err = await check(envFileStep(v)).then(
    () => '',
    (e: Error) => e.message,
  );
  assert.match(err, /DB_PASSWORD in .* cannot be used: it contains characters other than A-Za-z0-9/);
  assert.not.ok(err.includes(bad));
  assert.ok(containsSecret(bad), 'registered before the check looked at it');
  assert.is(passwordProblem('short1'), 'it is only 6 characters long');
  assert.is(passwordProblem('A'.repeat(32)), undefined);
});

t("the generator script really gives 32 characters from the host's random source, different each time", async () => {
  const a = (await sh(GENERATE_PASSWORD)).stdout;
  const b = (await sh(GENERATE_PASSWORD)).stdout;
  assert.match(a, /^[A-Za-z0-9]{32}$/);
  assert.match(b, /^[A-Za-z0-9]{32}$/);
  assert.is.not(a, b);
});

t.run();
