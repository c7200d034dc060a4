import { statSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { apt } from '../../lib/modules/index.ts';
import { check, context, rejects, runStep, sh } from '../helpers/steps.ts';

// Real packages from the Debian mirror: `hello` is tiny and has no dependencies beyond libc.
const test = suite('apt');

const STAMP = '/var/lib/apt/periodic/update-success-stamp';

async function dpkgStatus(pkg: string): Promise<string> {
  return (await sh(`dpkg-query -W -f='\${db:Status-Abbrev}' ${pkg} 2>/dev/null`)).stdout.trim();
}

test.before(async () => {
  await sh('DEBIAN_FRONTEND=noninteractive apt-get purge -y hello >/dev/null 2>&1');
});
test.after(async () => {
  await sh('DEBIAN_FRONTEND=noninteractive apt-get purge -y hello >/dev/null 2>&1');
});

test('validates package names', () => {
  assert.throws(() => apt({ packages: [] }), /must not be empty/);
  assert.throws(() => apt({ packages: ['ok', 'bad name', '-o'] }), /not a Debian package name: bad name, -o/);
});

test('reports only the missing packages', async () => {
  const step = apt({ packages: ['coreutils', 'hello'] });
  assert.is((await check(step))?.summary, 'install hello');
  assert.is(await check(apt({ packages: ['coreutils'] })), null);
});

test('installs a package, then reports no change, and records it in the facts', async () => {
  const ctx = await context();
  const step = apt({ packages: ['hello'] });
  const { change } = await runStep(step, ctx);
  assert.is(change?.summary, 'install hello');
  assert.is(await dpkgStatus('hello'), 'ii');
  assert.ok((await sh('hello')).stdout.includes('Hello, world!'));
  assert.ok(ctx.facts.packages.get('hello'), 'facts.packages has hello');
  assert.is(await check(step, ctx), null);
});

test('removes a package', async () => {
  const ctx = await context();
  const step = apt({ packages: ['hello'], state: 'absent' });
  const { change } = await runStep(step, ctx);
  assert.is(change?.summary, 'remove hello');
  assert.ok(['un', 'rc', ''].includes(await dpkgStatus('hello')), 'hello is no longer installed');
  assert.is(ctx.facts.packages.has('hello'), false);
  assert.is(await check(step, ctx), null);
});

test('updates stale package lists first and touches the stamp', async () => {
  const before = Date.now();
  const ctx = await context();
  const { change } = await runStep(apt({ packages: ['hello'], cacheValidSeconds: 0 }), ctx);
  assert.is(change?.summary, 'install hello');
  assert.ok(statSync(STAMP).mtimeMs >= before - 1000, 'update-success-stamp was touched');
  assert.ok(ctx.logs.some((l) => l.includes('apt-get update')));
  assert.is(await dpkgStatus('hello'), 'ii');
});

test('fresh lists are not updated again', async () => {
  await sh('DEBIAN_FRONTEND=noninteractive apt-get remove -y hello >/dev/null 2>&1');
  const stampBefore = statSync(STAMP).mtimeMs;
  const ctx = await context();
  await runStep(apt({ packages: ['hello'] }), ctx);
  assert.is(statSync(STAMP).mtimeMs, stampBefore);
  assert.not.ok(ctx.logs.some((l) => l.includes('apt-get update')));
});

test('a package apt cannot find fails with apt’s message', async () => {
  const step = apt({ packages: ['msh-test-no-such-package'] });
  assert.is((await check(step))?.summary, 'install msh-test-no-such-package');
  await rejects(runStep(step), /apt-get install msh-test-no-such-package failed \(exit 100\): [\s\S]*E: Unable to locate package msh-test-no-such-package/);
});

test('check mode installs nothing', async () => {
  await sh('DEBIAN_FRONTEND=noninteractive apt-get remove -y hello >/dev/null 2>&1');
  const { changed } = await runStep(apt({ packages: ['hello'] }), await context({ checkMode: true }));
  assert.ok(changed);
  assert.not.equal(await dpkgStatus('hello'), 'ii');
});

test.run();
