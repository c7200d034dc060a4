/**
 * The docker-stack role as a whole: its variables as an inventory gives them (and shares them with other roles), the
 * checks that reject bad values, its steps in order, the directories run for real on this machine (as root, under a
 * temporary directory; numeric owners that have no name here), and its verify checks.
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Vars } from '../../lib/api/role.ts';
import { parseInventory } from '../../lib/inventory/load.ts';
import { resolveRoleVars } from '../../lib/inventory/resolve.ts';
import { buildSchema } from '../../lib/inventory/schema.ts';
import { defaults } from '../../roles/docker-stack/defaults.ts';
import { directorySteps, numericDirectory } from '../../roles/docker-stack/directories.ts';
import { dockerStack } from '../../roles/docker-stack/index.ts';
import { composeFileStep } from '../../roles/docker-stack/files.ts';
import { stackImages, type V } from '../../roles/docker-stack/settings.ts';
import { hardening } from '../../roles/hardening/index.ts';
import { check, context, removeTempDir, runStep, tempDir } from '../helpers/steps.ts';

const t = suite('docker-stack role');
const root = tempDir('msh-stack-role-');
t.after(() => removeTempDir(root));

const bad = (over: Vars) => dockerStack.validate?.({ ...dockerStack.defaults, ...over });

t('the defaults pass; bad values are refused with the variable and the fix', () => {
  assert.is(bad({}), undefined);
  assert.equal(bad({ images: { traefik: 'traefik:latest' } }), { key: 'images', message: 'images.traefik "traefik:latest" is not pinned: the tag "latest" moves with every release', fix: 'give a version tag (e.g. :v3.2.4) or a digest (@sha256:…)' });
  assert.match(bad({ images: { jellyfin: 'jellyfin/jellyfin' } })!.message, /images\.jellyfin "jellyfin\/jellyfin" is not pinned: it has neither a tag nor a digest/);
  assert.equal(bad({ images: { plex: 'plex:1' } })!.message, 'unknown image "plex"');
  assert.match(bad({ images: { immich_ml: 'ghcr.io/immich-app/immich-machine-learning:v3.1.0' } })!.message, /immich_server is v3\.2\.4 but immich_ml is v3\.1\.0/);
  assert.is(bad({ images: { immich_ml: 'ghcr.io/immich-app/immich-machine-learning:v3.2.4-openvino' } }), undefined, 'a hardware variant of the same version');
  assert.is(bad({ images: { immich_server: 'msh-lab/immich-server:standin', immich_ml: 'msh-lab/immich-ml:standin' } }), undefined, "the lab's stand-ins");
  assert.equal(bad({ stack_profiles: ['media', 'music'] })!.key, 'stack_profiles');
  assert.match(bad({ stack_profiles: [] })!.message, /no part of the stack is enabled/);
  assert.equal(bad({ jellyfin_quicksync: 'yes' })!.fix, 'use auto, true or false');
  assert.equal(bad({ domain: 'Home Arpa' })!.key, 'domain');
  assert.equal(bad({ compose_dir: 'compose' })!.key, 'compose_dir');
  assert.equal(bad({ immich_db_dir: '/var/lib/immich db' })!.key, 'immich_db_dir');
  assert.equal(bad({ stack_health_timeout_seconds: 2 })!.key, 'stack_health_timeout_seconds');
  assert.equal(bad({ traefik_log_level: 'LOUD' })!.key, 'traefik_log_level');
  assert.equal(bad({ jellyfin_uid: -1 })!.key, 'jellyfin_uid');
});

t('inventory: the shared variables merge with the other roles that read them; images override entry by entry', () => {
  const schema = buildSchema([hardening, dockerStack]);
  assert.equal(schema.get('traefik_access_log')!.roles, ['hardening', 'docker-stack']);
  assert.is(schema.get('images')!.type, 'map');
  const inv = parseInventory(
    [
      'all:',
      '  children:',
      '    services:',
      '      hosts:',
      '        vm:',
      '      vars:',
      '        stack_pull: false',
      '        images:',
      '          jellyfin: msh-lab/jellyfin:standin',
      '          traefik: msh-lab/traefik:standin',
    ].join('\n'),
    'lab.yml',
    schema,
  );
  const v = resolveRoleVars(inv.hosts.get('vm')!, dockerStack, { file: '.env', exists: false, values: {} }) as unknown as V;
  assert.is(v.stack_pull, false);
  const img = stackImages(v);
  assert.is(img.jellyfin, 'msh-lab/jellyfin:standin');
  assert.is(img.traefik, 'msh-lab/traefik:standin');
  assert.is(img.immich_server, defaults.images['immich_server'], 'entries left out keep their pinned default');
  for (const key of Object.keys(defaults) as (keyof typeof defaults)[]) assert.ok(dockerStack.docs[key]?.description, `${key} is documented`);
});

t('steps in order: engine, directories, .env before compose.yml, validation, pull, deploy', () => {
  const titles = dockerStack.steps(dockerStack.defaults, {}).map((s) => s.title);
  assert.equal(titles, [
    'Docker Engine and Compose v2 are there',
    'Compose project directory /mnt/tank/appdata/compose',
    'Jellyfin config directory',
    'Jellyfin cache directory',
    'Media directory /mnt/tank/media',
    'Immich upload location /mnt/tank/photos',
    'Immich database directory /var/lib/immich-postgres (postgres, 0700)',
    "Traefik's dynamic configuration directory",
    "Traefik's certificate directory",
    "Traefik's access log directory",
    'Compose .env with the database password (/mnt/tank/appdata/compose/.env, 0600)',
    'Compose project /mnt/tank/appdata/compose/compose.yml',
    'docker compose config validates the project',
    'Pull missing images',
    'Stack up and healthy',
  ]);
});

t('directories for real: numeric owners (uid 999 has no name here), modes, then nothing to do', async () => {
  const v: V = {
    ...defaults,
    appdata_dir: join(root, 'appdata'),
    compose_dir: join(root, 'appdata/compose'),
    traefik_dir: join(root, 'appdata/traefik'),
    traefik_access_log: join(root, 'appdata/traefik/logs/access.log'),
    media_dir: join(root, 'media'),
    photos_dir: join(root, 'photos'),
    immich_db_dir: join(root, 'immich-postgres'),
    jellyfin_uid: 1234,
    jellyfin_gid: 1235,
  };
  const ctx = await context();
  for (const step of directorySteps(v)) assert.ok((await runStep(step, ctx)).changed, step.title);
  for (const step of directorySteps(v)) assert.is((await runStep(step, ctx)).changed, false, `${step.title}: second run`);
  const st = (p: string) => statSync(p);
  assert.equal([st(join(root, 'immich-postgres')).uid, st(join(root, 'immich-postgres')).gid, st(join(root, 'immich-postgres')).mode & 0o7777], [999, 999, 0o700]);
  assert.equal([st(join(root, 'appdata/jellyfin/config')).uid, st(join(root, 'appdata/jellyfin/config')).gid, st(join(root, 'appdata/jellyfin/config')).mode & 0o777], [1234, 1235, 0o750]);
  assert.is(st(join(root, 'appdata/compose')).mode & 0o777, 0o750);
  for (const d of ['appdata/traefik/dynamic', 'appdata/traefik/certs', 'appdata/traefik/logs', 'media', 'photos']) assert.ok(st(join(root, d)).isDirectory(), d);

  const media = { ...v, stack_profiles: ['media'] };
  const skipped = directorySteps(media).filter((s) => s.when?.(ctx.facts) !== undefined && s.when(ctx.facts) !== true).map((s) => s.when!(ctx.facts));
  assert.equal(skipped, ['part photos is not in stack_profiles', 'part photos is not in stack_profiles', 'part proxy is not in stack_profiles', 'part proxy is not in stack_profiles', 'part proxy is not in stack_profiles']);
});

t('a numeric-owner directory that drifted is set back; a file in its place is refused', async () => {
  const path = join(root, 'drift');
  await runStep(numericDirectory({ title: 'd', path, uid: 999, gid: 999, mode: '0700' }));
  assert.is((await runStep(numericDirectory({ title: 'd', path, uid: 0, gid: 0, mode: '0755' }))).change!.summary, `update ${path}: 999:999 mode 0700 → 0:0 mode 0755`);
  assert.equal([statSync(path).uid, statSync(path).mode & 0o777], [0, 0o755]);
  const file = join(root, 'afile');
  writeFileSync(file, '');
  const err = await check(numericDirectory({ title: 'f', path: file, uid: 0, gid: 0, mode: '0755' })).then(
    () => '',
    (e: Error) => e.message,
  );
  assert.is(err, `${file} exists and is not a directory: move it away first`);
});

t('compose.yml step on this machine: the real probe (no iGPU here) and the change it reports, with a diff', async () => {
  const v: V = { ...defaults, compose_dir: join(root, 'c') };
  const change = await check(composeFileStep(v));
  assert.match(change!.summary, new RegExp(`^create ${join(root, 'c')}/compose.yml \\(\\d+ bytes\\)$`));
  assert.match(change!.diff!, /\+name: media-server/);
  assert.not.match(change!.diff!, /renderD128/, 'this machine has no render node, so Jellyfin gets none');
});

t('compose.yml is written only after `docker compose config` accepted it: here (no Compose) the write is refused', async () => {
  const dir = join(root, 'guarded');
  const v: V = { ...defaults, compose_dir: dir };
  mkdirSync(dir);
  const step = composeFileStep(v);
  const err = await runStep(step).then(
    () => '',
    (e: Error) => e.message,
  );
  assert.match(err, new RegExp(`^writing ${dir}/compose.yml failed \\(exit \\d+\\)`));
  assert.equal(readdirSync(dir), [], 'neither the file nor its temporary copy is left');
});

t('check mode on a fresh host: the files would be created, so the deploy says it will run up after them', async () => {
  const v: V = { ...defaults, compose_dir: join(root, 'fresh/compose'), immich_db_dir: join(root, 'fresh/db') };
  const steps = dockerStack.steps(v, {});
  const ctx = await context({ checkMode: true });
  const byTitle = (prefix: string) => steps.find((s) => s.title.startsWith(prefix))!;
  assert.match((await check(byTitle('Compose .env'), ctx))!.summary, /^create .*\/fresh\/compose\/\.env with a new database password/);
  assert.match((await check(byTitle('Compose project /'), ctx))!.summary, /^create .*\/fresh\/compose\/compose\.yml/);
  assert.is(
    (await check(byTitle('Stack up'), ctx))!.summary,
    `cd ${v.compose_dir} && docker compose up -d --remove-orphans traefik jellyfin immich-postgres immich-valkey immich-machine-learning immich-server (after ${v.compose_dir}/.env and ${v.compose_dir}/compose.yml change: Compose recreates the services whose configuration changes); then wait up to 300s until every container is healthy`,
  );
});

t('verify: the checks the lab runs, the password one only with Immich', () => {
  const titles = dockerStack.verify!(dockerStack.defaults).map((c) => c.title);
  assert.equal(titles, [
    'docker compose config validates the project',
    'every service of media, photos, proxy is running and healthy',
    'only Traefik publishes ports, and only 0.0.0.0:80 and :443',
    '/mnt/tank/appdata/compose/.env is mode 0600, owned by root',
    '/mnt/tank/appdata/compose/.env selects the parts media,photos,proxy,monitoring',
    'the database password is stable: two reads of .env and the running database container agree (hashes only)',
  ]);
  assert.is(dockerStack.verify!({ ...dockerStack.defaults, stack_profiles: ['media', 'proxy'] }).length, 5);
  const pw = dockerStack.verify!(dockerStack.defaults)[5]!;
  assert.match(pw.script, /sha256sum/);
  assert.is(pw.expect({ code: 0, stdout: 'two-reads-agree\ndatabase-container-agrees\nformat-ok\n', stderr: '' }), undefined);
  assert.ok(pw.expect({ code: 0, stdout: 'two-reads-agree\nformat-ok\n', stderr: '' }), 'the running database got another password');
});

t.run();
