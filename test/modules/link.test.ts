import { lstatSync, mkdirSync, readlinkSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { link } from '../../lib/modules/index.ts';
import { check, rejects, removeTempDir, runStep, tempDir } from '../helpers/steps.ts';

const test = suite<{ dir: string }>('link', { dir: '' });
test.before.each((ctx) => {
  ctx.dir = tempDir();
});
test.after.each((ctx) => removeTempDir(ctx.dir));

test('creates a symlink, then reports no change', async ({ dir }) => {
  writeFileSync(join(dir, 'target.txt'), 'hi');
  const path = join(dir, 'current');
  const step = link({ path, target: 'target.txt' });
  const { change } = await runStep(step);
  assert.is(change?.summary, `create link ${path} → target.txt`);
  assert.ok(lstatSync(path).isSymbolicLink());
  assert.is(readlinkSync(path), 'target.txt');
  assert.is(readFileSync(path, 'utf8'), 'hi');
  assert.is(await check(step), null);
});

test('repoints a link, even one pointing to a directory', async ({ dir }) => {
  mkdirSync(join(dir, 'v1'));
  mkdirSync(join(dir, 'v2'));
  const path = join(dir, 'current');
  symlinkSync(join(dir, 'v1'), path);
  const { change } = await runStep(link({ path, target: join(dir, 'v2') }));
  assert.is(change?.summary, `repoint link ${path}: ${join(dir, 'v1')} → ${join(dir, 'v2')}`);
  assert.is(readlinkSync(path), join(dir, 'v2'));
  // Not created inside the old target directory.
  assert.throws(() => lstatSync(join(dir, 'v1', 'v2')));
});

test('a file or directory in the way fails clearly and is kept', async ({ dir }) => {
  const path = join(dir, 'taken');
  writeFileSync(path, 'data');
  await rejects(runStep(link({ path, target: '/etc/hostname' })), /taken exists and is a regular file, not a symlink/);
  assert.is(readFileSync(path, 'utf8'), 'data');
  mkdirSync(join(dir, 'd'));
  await rejects(runStep(link({ path: join(dir, 'd'), target: '/etc' })), /exists and is a directory, not a symlink/);
});

test('a missing parent directory fails clearly', async ({ dir }) => {
  await rejects(runStep(link({ path: join(dir, 'nope/link'), target: '/etc' })), /directory .*nope does not exist/);
});

test.run();
