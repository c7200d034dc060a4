import { chmodSync, chownSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { lineInFile } from '../../lib/modules/index.ts';
import { check, context, rejects, removeTempDir, runStep, tempDir } from '../helpers/steps.ts';

const test = suite<{ dir: string }>('lineInFile', { dir: '' });
test.before.each((ctx) => {
  ctx.dir = tempDir();
});
test.after.each((ctx) => removeTempDir(ctx.dir));

const modeOf = (p: string) => (statSync(p).mode & 0o7777).toString(8).padStart(4, '0');

test('appends a missing line, keeping the rest, owner, group and mode', async ({ dir }) => {
  const path = join(dir, 'hosts');
  writeFileSync(path, '127.0.0.1 localhost\n');
  chmodSync(path, 0o640);
  chownSync(path, 0, 65534);
  const step = lineInFile({ path, line: '10.0.0.5 nas' });
  const { change } = await runStep(step);
  assert.is(change?.summary, `add line "10.0.0.5 nas" in ${path}`);
  assert.match(change?.diff ?? '', '+10.0.0.5 nas');
  assert.is(readFileSync(path, 'utf8'), '127.0.0.1 localhost\n10.0.0.5 nas\n');
  assert.is(modeOf(path), '0640');
  assert.is(statSync(path).gid, 65534);
  assert.is(await check(step), null);
  assert.equal(readdirSync(dir), ['hosts']);
});

test('adds a newline before appending to a file without a final one', async ({ dir }) => {
  const path = join(dir, 'f');
  writeFileSync(path, 'a');
  await runStep(lineInFile({ path, line: 'b' }));
  assert.is(readFileSync(path, 'utf8'), 'a\nb\n');
});

test('replaces the last line matching regexp, idempotently', async ({ dir }) => {
  const path = join(dir, 'sshd_config');
  writeFileSync(path, '#PermitRootLogin yes\nPort 22\nPermitRootLogin yes\nX11Forwarding no\n');
  const step = lineInFile({ path, regexp: /^PermitRootLogin\s/, line: 'PermitRootLogin prohibit-password' });
  const { change } = await runStep(step);
  assert.is(change?.summary, `replace line 3 with "PermitRootLogin prohibit-password" in ${path}`);
  assert.is(readFileSync(path, 'utf8'), '#PermitRootLogin yes\nPort 22\nPermitRootLogin prohibit-password\nX11Forwarding no\n');
  assert.is(await check(step), null);
});

test('appends when the regexp matches nothing', async ({ dir }) => {
  const path = join(dir, 'conf');
  writeFileSync(path, 'a=1\n');
  await runStep(lineInFile({ path, regexp: '^b=', line: 'b=2' }));
  assert.is(readFileSync(path, 'utf8'), 'a=1\nb=2\n');
});

test('state absent removes matching lines, and is a no-op on a missing file', async ({ dir }) => {
  const path = join(dir, 'conf');
  writeFileSync(path, 'keep\ndrop 1\nkeep too\ndrop 2\n');
  const { change } = await runStep(lineInFile({ path, regexp: /^drop/, line: '', state: 'absent' }));
  assert.is(change?.summary, `remove 2 lines matching /^drop/ in ${path}`);
  assert.is(readFileSync(path, 'utf8'), 'keep\nkeep too\n');
  await runStep(lineInFile({ path, line: 'keep too', state: 'absent' }));
  assert.is(readFileSync(path, 'utf8'), 'keep\n');
  assert.equal(await runStep(lineInFile({ path: join(dir, 'missing'), line: 'x', state: 'absent' })), { changed: false, change: null });
});

test('a missing file is created only with create: true', async ({ dir }) => {
  const path = join(dir, 'new.conf');
  await rejects(runStep(lineInFile({ path, line: 'x=1' })), /new\.conf does not exist: create it first, or set create: true/);
  const { change } = await runStep(lineInFile({ path, line: 'x=1', create: true }));
  assert.is(change?.summary, `create ${path}: add line "x=1"`);
  assert.is(readFileSync(path, 'utf8'), 'x=1\n');
  assert.is(modeOf(path), '0644');
});

test('check mode does not write', async ({ dir }) => {
  const path = join(dir, 'conf');
  writeFileSync(path, 'a\n');
  const { changed } = await runStep(lineInFile({ path, line: 'b' }), await context({ checkMode: true }));
  assert.ok(changed);
  assert.is(readFileSync(path, 'utf8'), 'a\n');
});

test('edits files larger than the probe diff limit', async ({ dir }) => {
  const path = join(dir, 'big');
  const big = 'x'.repeat(100) + '\n';
  writeFileSync(path, big.repeat(3000));
  await runStep(lineInFile({ path, line: 'last' }));
  const text = readFileSync(path, 'utf8');
  assert.is(text.length, big.length * 3000 + 5);
  assert.ok(text.endsWith('\nlast\n'));
});

test('a symlink is refused, naming its target', async ({ dir }) => {
  writeFileSync(join(dir, 'real'), 'a\n');
  symlinkSync(join(dir, 'real'), join(dir, 'link'));
  await rejects(runStep(lineInFile({ path: join(dir, 'link'), line: 'b' })), /is a symlink to .*real: edit that file instead/);
  assert.throws(() => lineInFile({ path: join(dir, 'x'), line: 'a\nb' }), /single line/);
});

test.run();
