import { chmodSync, chownSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { file } from '../../lib/modules/index.ts';
import { clearSecretsForTests, registerSecret } from '../../lib/redact.ts';
import { check, context, rejects, removeTempDir, runStep, tempDir } from '../helpers/steps.ts';

const test = suite<{ dir: string }>('file', { dir: '' });
test.before.each((ctx) => {
  ctx.dir = tempDir();
});
test.after.each((ctx) => {
  removeTempDir(ctx.dir);
  clearSecretsForTests();
});

const modeOf = (p: string) => (statSync(p).mode & 0o7777).toString(8).padStart(4, '0');

test('creates the file with its content and mode, then reports no change', async ({ dir }) => {
  const path = join(dir, 'app.conf');
  const step = file({ path, content: 'port = 8080\n', mode: '0640', owner: 'root', group: 'root' });
  const first = await runStep(step);
  assert.ok(first.changed);
  assert.match(first.change!.summary, `create ${path}`);
  assert.match(first.change!.diff ?? '', '+port = 8080');
  assert.is(readFileSync(path, 'utf8'), 'port = 8080\n');
  assert.is(modeOf(path), '0640');
  assert.is(await check(step), null);
  assert.equal(await runStep(step), { changed: false, change: null });
});

test('check mode reports the change without writing', async ({ dir }) => {
  const path = join(dir, 'new.conf');
  const result = await runStep(file({ path, content: 'x\n' }), await context({ checkMode: true }));
  assert.ok(result.changed);
  assert.throws(() => statSync(path));
});

test('mode and owner drift are reported and repaired', async ({ dir }) => {
  const path = join(dir, 'drift.conf');
  const step = file({ path, content: 'a\n', mode: '0644', owner: 'root', group: 'root' });
  await runStep(step);
  chmodSync(path, 0o600);
  chownSync(path, 65534, 65534); // nobody:nogroup
  const change = await check(step);
  assert.is(change?.summary, `update ${path}: mode 0600 → 0644, owner nobody → root, group nogroup → root`);
  assert.is(change?.diff, undefined);
  await runStep(step);
  assert.is(modeOf(path), '0644');
  assert.is(statSync(path).uid, 0);
  assert.is(statSync(path).gid, 0);
});

test('a content change shows a unified diff and replaces the content', async ({ dir }) => {
  const path = join(dir, 'list.txt');
  writeFileSync(path, 'one\ntwo\nthree\n');
  const { change } = await runStep(file({ path, content: 'one\n2\nthree\n' }));
  assert.is(change?.summary, `update ${path}: content`);
  assert.match(change?.diff ?? '', `--- ${path}`);
  assert.match(change?.diff ?? '', '-two\n+2\n');
  assert.is(readFileSync(path, 'utf8'), 'one\n2\nthree\n');
});

test('secret content is hidden from the diff and the file gets mode 0600', async ({ dir }) => {
  registerSecret('hunter2-very-secret');
  const path = join(dir, '.env');
  const { change } = await runStep(file({ path, content: 'TOKEN=hunter2-very-secret\n' }));
  assert.ok(change);
  assert.not.match(change.diff ?? '', 'hunter2');
  assert.not.match(change.summary, 'hunter2');
  assert.match(change.diff ?? '', 'content hidden');
  assert.is(readFileSync(path, 'utf8'), 'TOKEN=hunter2-very-secret\n');
  assert.is(modeOf(path), '0600');
  assert.throws(() => file({ path, content: 'TOKEN=hunter2-very-secret\n', mode: '0644' }), /holds a secret/);
});

test('a validate command that exits 0 itself still lets the file be written', async ({ dir }) => {
  const path = join(dir, 'exits.conf');
  await runStep(file({ path, content: 'ok\n', validate: 'grep -q ok %s; exit $?' }));
  assert.is(readFileSync(path, 'utf8'), 'ok\n');
});

test('a failing validate command keeps the old file and leaves no temp file', async ({ dir }) => {
  const path = join(dir, 'sshd_config');
  writeFileSync(path, 'valid\n');
  const step = file({ path, content: 'broken\n', validate: 'grep -q valid %s' });
  await rejects(runStep(step), /writing .*sshd_config failed \(exit 1\)/);
  assert.is(readFileSync(path, 'utf8'), 'valid\n');
  assert.equal(readdirSync(dir), ['sshd_config']);
  await runStep(file({ path, content: 'still valid\n', validate: 'grep -q valid %s' }));
  assert.is(readFileSync(path, 'utf8'), 'still valid\n');
});

test('a directory in the way fails clearly', async ({ dir }) => {
  const path = join(dir, 'taken');
  mkdirSync(path);
  await rejects(runStep(file({ path, content: 'x' })), /exists and is a directory, not a file/);
});

test.run();
