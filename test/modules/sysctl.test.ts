import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { sysctl } from '../../lib/modules/index.ts';
import { check, context, rejects, removeTempDir, runStep, sh, shOk, tempDir } from '../helpers/steps.ts';

// net.core.somaxconn is writable on this host; its value is restored after the suite.
const KEY = 'net.core.somaxconn';
const test = suite<{ dir: string }>('sysctl', { dir: '' });
let original = '';

const live = async () => (await shOk(`sysctl -n ${KEY}`)).trim();

test.before(async () => {
  original = await live();
});
test.after(async () => {
  await shOk(`sysctl -w ${KEY}=${original}`);
  assert.is(await live(), original);
});
test.before.each((ctx) => {
  ctx.dir = tempDir();
});
test.after.each((ctx) => removeTempDir(ctx.dir));

test('writes the file line and sets the live value, then reports no change', async ({ dir }) => {
  const file = join(dir, '99-test.conf');
  const want = Number(original) - 1;
  const step = sysctl({ name: KEY, value: want, file });
  const { change } = await runStep(step);
  assert.is(change?.summary, `${KEY} = ${want}: write ${file}, live value ${original} → ${want}`);
  assert.match(change?.diff ?? '', `+${KEY} = ${want}`);
  assert.is(readFileSync(file, 'utf8'), `${KEY} = ${want}\n`);
  assert.is(statSync(file).mode & 0o777, 0o644);
  assert.is(await live(), String(want));
  assert.is(await check(step), null);
});

test('replaces an existing setting in the file, keeping the rest and the mode', async ({ dir }) => {
  const file = join(dir, 'tuning.conf');
  writeFileSync(file, `# tuning\nvm.swappiness = 10\n${KEY}=128\n`);
  chmodSync(file, 0o600);
  await runStep(sysctl({ name: KEY, value: original, file }));
  assert.is(readFileSync(file, 'utf8'), `# tuning\nvm.swappiness = 10\n${KEY} = ${original}\n`);
  assert.is(statSync(file).mode & 0o777, 0o600);
  assert.is(await live(), original);
});

test('only the live value drifted', async ({ dir }) => {
  const file = join(dir, 'f.conf');
  writeFileSync(file, `${KEY} = ${original}\n`);
  await shOk(`sysctl -w ${KEY}=1000`);
  const { change } = await runStep(sysctl({ name: KEY, value: original, file }));
  assert.is(change?.summary, `${KEY} = ${original}: live value 1000 → ${original}`);
  assert.is(change?.diff, undefined);
  assert.is(await live(), original);
});

test('live: false only manages the file', async ({ dir }) => {
  const file = join(dir, 'f.conf');
  const { change } = await runStep(sysctl({ name: KEY, value: 1234, file, live: false }));
  assert.is(change?.summary, `${KEY} = 1234: write ${file}`);
  assert.is(readFileSync(file, 'utf8'), `${KEY} = 1234\n`);
  assert.is(await live(), original);
});

test('multi-value parameters compare with normalised whitespace', async ({ dir }) => {
  const printk = (await shOk('sysctl -n kernel.printk')).trim();
  const spaced = printk.split(/\s+/).join('   ');
  const file = join(dir, 'f.conf');
  writeFileSync(file, `kernel.printk = ${printk.split(/\s+/).join(' ')}\n`);
  assert.is(await check(sysctl({ name: 'kernel.printk', value: spaced, file })), null);
});

test('an unknown parameter fails clearly; check mode changes nothing', async ({ dir }) => {
  const file = join(dir, 'f.conf');
  await rejects(runStep(sysctl({ name: 'net.msh_test.nope', value: 1, file })), /kernel parameter net.msh_test.nope does not exist on this host/);
  const { changed } = await runStep(sysctl({ name: KEY, value: 1000, file }), await context({ checkMode: true }));
  assert.ok(changed);
  assert.is(await live(), original);
  assert.is((await sh(`test -e ${file}`)).code, 1);
});

test.run();
