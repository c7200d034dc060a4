import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { blockInFile } from '../../lib/modules/index.ts';
import { check, rejects, removeTempDir, runStep, tempDir } from '../helpers/steps.ts';

const test = suite<{ dir: string }>('blockInFile', { dir: '' });
test.before.each((ctx) => {
  ctx.dir = tempDir();
});
test.after.each((ctx) => removeTempDir(ctx.dir));

const BEGIN = '# BEGIN media-server-home nfs';
const END = '# END media-server-home nfs';

test('appends a block between markers, then reports no change', async ({ dir }) => {
  const path = join(dir, 'exports');
  writeFileSync(path, '# exports\n');
  chmodSync(path, 0o600);
  const step = blockInFile({ path, marker: 'nfs', block: '/tank 10.0.0.0/24(rw)\n/media 10.0.0.0/24(ro)\n' });
  const { change } = await runStep(step);
  assert.is(change?.summary, `add block nfs in ${path}`);
  assert.match(change?.diff ?? '', `+${BEGIN}`);
  assert.is(readFileSync(path, 'utf8'), `# exports\n${BEGIN}\n/tank 10.0.0.0/24(rw)\n/media 10.0.0.0/24(ro)\n${END}\n`);
  assert.is(statSync(path).mode & 0o777, 0o600);
  assert.is(await check(step), null);
});

test('replaces the block content in place, keeping what surrounds it', async ({ dir }) => {
  const path = join(dir, 'exports');
  writeFileSync(path, `before\n${BEGIN}\nold 1\nold 2\n${END}\nafter\n`);
  const { change } = await runStep(blockInFile({ path, marker: 'nfs', block: 'new' }));
  assert.is(change?.summary, `update block nfs in ${path}`);
  assert.match(change?.diff ?? '', '-old 1\n-old 2\n+new\n');
  assert.is(readFileSync(path, 'utf8'), `before\n${BEGIN}\nnew\n${END}\nafter\n`);
});

test('two markers live side by side', async ({ dir }) => {
  const path = join(dir, 'f');
  writeFileSync(path, '');
  await runStep(blockInFile({ path, marker: 'one', block: '1' }));
  await runStep(blockInFile({ path, marker: 'two', block: '2' }));
  await runStep(blockInFile({ path, marker: 'one', block: '1b' }));
  assert.is(
    readFileSync(path, 'utf8'),
    '# BEGIN media-server-home one\n1b\n# END media-server-home one\n# BEGIN media-server-home two\n2\n# END media-server-home two\n',
  );
});

test('state absent removes the block and its markers', async ({ dir }) => {
  const path = join(dir, 'f');
  writeFileSync(path, `a\n${BEGIN}\nx\n${END}\nb\n`);
  const step = blockInFile({ path, marker: 'nfs', block: '', state: 'absent' });
  const { change } = await runStep(step);
  assert.is(change?.summary, `remove block nfs in ${path}`);
  assert.is(readFileSync(path, 'utf8'), 'a\nb\n');
  assert.is(await check(step), null);
});

test('creates the file with create: true, refuses otherwise', async ({ dir }) => {
  const path = join(dir, 'new');
  await rejects(runStep(blockInFile({ path, marker: 'nfs', block: 'x' })), /does not exist/);
  await runStep(blockInFile({ path, marker: 'nfs', block: 'x', create: true }));
  assert.is(readFileSync(path, 'utf8'), `${BEGIN}\nx\n${END}\n`);
});

test('a begin marker without its end fails and leaves the file alone', async ({ dir }) => {
  const path = join(dir, 'f');
  writeFileSync(path, `${BEGIN}\nx\n`);
  await rejects(runStep(blockInFile({ path, marker: 'nfs', block: 'y' })), /without "# END media-server-home nfs" after it/);
  assert.is(readFileSync(path, 'utf8'), `${BEGIN}\nx\n`);
});

test.run();
