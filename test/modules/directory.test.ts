import { chmodSync, mkdirSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { directory } from '../../lib/modules/index.ts';
import { check, rejects, removeTempDir, runStep, tempDir } from '../helpers/steps.ts';

const test = suite<{ dir: string }>('directory', { dir: '' });
test.before.each((ctx) => {
  ctx.dir = tempDir();
});
test.after.each((ctx) => removeTempDir(ctx.dir));

const modeOf = (p: string) => (statSync(p).mode & 0o7777).toString(8).padStart(4, '0');

test('creates missing parents and the directory with owner, group and mode', async ({ dir }) => {
  const path = join(dir, 'a/b/c');
  const step = directory({ path, owner: 'nobody', group: 'nogroup', mode: '0750' });
  const { change } = await runStep(step);
  assert.is(change?.summary, `create directory ${path} (owner nobody, group nogroup, mode 0750)`);
  const st = statSync(path);
  assert.ok(st.isDirectory());
  assert.is(st.uid, 65534);
  assert.is(st.gid, 65534);
  assert.is(modeOf(path), '0750');
  assert.is(await check(step), null);
});

test('repairs mode drift, including a setgid bit chmod would keep', async ({ dir }) => {
  const path = join(dir, 'data');
  mkdirSync(path);
  chmodSync(path, 0o2775);
  const step = directory({ path, mode: '0755' });
  const { change } = await runStep(step);
  assert.is(change?.summary, `update ${path}: mode 2775 → 0755`);
  assert.is(modeOf(path), '0755');
});

test('an existing directory without managed attributes is left alone', async ({ dir }) => {
  assert.equal(await runStep(directory({ path: dir })), { changed: false, change: null });
});

test('a symlink to a directory counts as the directory', async ({ dir }) => {
  mkdirSync(join(dir, 'real'), { mode: 0o755 });
  symlinkSync(join(dir, 'real'), join(dir, 'alias'));
  const { changed } = await runStep(directory({ path: join(dir, 'alias'), mode: '0700' }));
  assert.ok(changed);
  assert.is(readlinkSync(join(dir, 'alias')), join(dir, 'real'));
  assert.is(modeOf(join(dir, 'real')), '0700');
});

test('a file in the way fails clearly', async ({ dir }) => {
  const path = join(dir, 'taken');
  writeFileSync(path, 'x');
  await rejects(runStep(directory({ path })), /taken exists and is a regular file: move it away first/);
  symlinkSync(path, join(dir, 'link'));
  await rejects(runStep(directory({ path: join(dir, 'link') })), /is a symlink to .*taken, which is not a directory/);
  await rejects(runStep(directory({ path: join(path, 'sub') })), /Not a directory/);
});

test.run();
