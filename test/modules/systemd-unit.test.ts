import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { systemdUnit } from '../../lib/modules/index.ts';
import { check, context, rejects, removeTempDir, runStep, tempDir } from '../helpers/steps.ts';

const test = suite<{ dir: string }>('systemdUnit', { dir: '' });
test.before.each((ctx) => {
  ctx.dir = tempDir();
});
test.after.each((ctx) => removeTempDir(ctx.dir));

const UNIT = '[Unit]\nDescription=backup\n\n[Service]\nType=oneshot\nExecStart=/bin/true\n';

test('writes the unit file with mode 0644, then reports no change', async ({ dir }) => {
  const ctx = await context();
  assert.is(ctx.facts.systemd, false, 'this test host does not run systemd');
  const step = systemdUnit({ name: 'msh-backup.service', content: UNIT, dir });
  const { change } = await runStep(step, ctx);
  const path = join(dir, 'msh-backup.service');
  assert.match(change?.summary ?? '', `create ${path}`);
  assert.is(readFileSync(path, 'utf8'), UNIT);
  assert.is(statSync(path).mode & 0o777, 0o644);
  assert.is(await check(step, ctx), null);
  assert.is(step.title, 'systemd unit msh-backup.service');
});

test('a content change shows a diff', async ({ dir }) => {
  writeFileSync(join(dir, 'msh-backup.service'), UNIT);
  const { change } = await runStep(systemdUnit({ name: 'msh-backup.service', content: UNIT.replace('/bin/true', '/bin/false'), dir }));
  assert.match(change?.diff ?? '', '-ExecStart=/bin/true\n+ExecStart=/bin/false');
  assert.match(readFileSync(join(dir, 'msh-backup.service'), 'utf8'), 'ExecStart=/bin/false');
});

test('runs daemon-reload only when the host runs systemd', async ({ dir }) => {
  // Facts claiming systemd: the reload is attempted, and fails on this host whose PID 1 is not systemd.
  const ctx = await context({ facts: { systemd: true } });
  await rejects(runStep(systemdUnit({ name: 'msh-backup.timer', content: '[Timer]\nOnCalendar=daily\n', dir }), ctx), /systemctl daemon-reload failed/);
  assert.is(readFileSync(join(dir, 'msh-backup.timer'), 'utf8'), '[Timer]\nOnCalendar=daily\n');
});

test('rejects names that are not unit files', () => {
  assert.throws(() => systemdUnit({ name: 'backup', content: '' }), /not a unit file name/);
  assert.throws(() => systemdUnit({ name: '../evil.service', content: '' }), /not a unit file name/);
});

test.run();
