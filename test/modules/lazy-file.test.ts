/** lazyFile on real files of this machine: content known only when the step runs, secrets hidden and redacted. */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { lazyFile } from '../../lib/modules/lazy-file.ts';
import { clearSecretsForTests, redact } from '../../lib/redact.ts';
import { check, context, rejects, removeTempDir, runStep, tempDir } from '../helpers/steps.ts';

const t = suite('module lazyFile');
let dir: string;
t.before.each(() => {
  dir = tempDir('msh-lazy-');
});
t.after.each(() => {
  removeTempDir(dir);
  clearSecretsForTests();
});

t('the content is read when the step runs, not when it is built', async () => {
  const src = join(dir, 'made-later');
  const dest = join(dir, 'copy');
  const step = lazyFile({ path: dest, content: () => (existsSync(src) ? readFileSync(src) : undefined), madeFrom: 'the source file', mode: '0644' });
  writeFileSync(src, 'made by an earlier step\n');
  const r = await runStep(step);
  assert.is(r.change!.summary, `create ${dest} (24 bytes)`);
  assert.is(readFileSync(dest, 'utf8'), 'made by an earlier step\n');
  assert.is((await runStep(step)).changed, false);
  writeFileSync(src, 'renewed\n');
  assert.match((await runStep(step)).change!.summary, /^update .*copy: content$/);
  assert.is(readFileSync(dest, 'utf8'), 'renewed\n');
});

t('not made yet: --check says from what it will be written; a real run fails saying what is missing', async () => {
  const dest = join(dir, 'copy');
  const step = lazyFile({ path: dest, content: () => undefined, madeFrom: 'the certificate issued above' });
  const said = await check(step, await context({ checkMode: true }));
  assert.is(said!.summary, `write ${dest} from the certificate issued above (made by an earlier step of this run)`);
  await rejects(check(step), /cannot write .*copy: the certificate issued above does not exist/);
  assert.not.ok(existsSync(dest));
});

t('secret: mode 0600, content kept out of the probe and the diff, the content and each of its lines redacted', async () => {
  const dest = join(dir, 'server.key');
  const key = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\nsecretpartoftheke2\n-----END PRIVATE KEY-----\n';
  const step = lazyFile({ path: dest, content: () => key, madeFrom: 'the key', secret: true });
  assert.not.match(step.probe!, /base64/, 'the probe does not read the content back');
  const r = await runStep(step);
  assert.is(r.change!.diff, `--- /dev/null\n+++ ${dest}\n(content hidden: holds secrets)\n`);
  assert.is(statSync(dest).mode & 0o777, 0o600);
  assert.is(readFileSync(dest, 'utf8'), key);
  assert.is(redact(`x ${key} y`), 'x *** y');
  assert.is(redact('MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg'), '***');
  assert.throws(() => lazyFile({ path: dest, content: () => key, madeFrom: 'x', secret: true, mode: '0644' }), /holds a secret but its mode 0644/);
});

t.run();
