import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { command, type CommandOptions } from '../../lib/modules/index.ts';
import { check, context, rejects, removeTempDir, runStep, tempDir } from '../helpers/steps.ts';

const test = suite<{ dir: string }>('command', { dir: '' });
test.before.each((ctx) => {
  ctx.dir = tempDir();
});
test.after.each((ctx) => removeTempDir(ctx.dir));

test('creates: runs once, then the created path stops it', async ({ dir }) => {
  const marker = join(dir, 'initialised');
  const log = join(dir, 'runs');
  const step = command({ title: 'initialise', run: `echo run >> ${log}; touch ${marker}`, creates: marker });
  const { change } = await runStep(step);
  assert.is(change?.summary, `run "echo run >> ${log}; touch ${marker}" (${marker} is missing)`);
  assert.is(await check(step), null);
  await runStep(step);
  assert.is(readFileSync(log, 'utf8'), 'run\n');
});

test('unless: a succeeding test command means nothing to do', async ({ dir }) => {
  const conf = join(dir, 'conf');
  writeFileSync(conf, 'a\n');
  const step = command({ title: 'add b', run: `echo b >> ${conf}`, unless: `grep -qx b ${conf}` });
  const ctx = await context();
  const { change } = await runStep(step, ctx);
  assert.is(change?.summary, `run "echo b >> ${conf}" ("grep -qx b ${conf}" failed)`);
  assert.is(readFileSync(conf, 'utf8'), 'a\nb\n');
  assert.is(await check(step, ctx), null);
});

test('an unless test that exits or reads stdin cannot disturb the probe', async ({ dir }) => {
  const step = command({ title: 't', run: 'true', unless: 'cat >/dev/null; exit 0' });
  assert.is(await check(step), null);
  const step2 = command({ title: 't', run: 'true', unless: 'exit 1', creates: join(dir, 'x') });
  assert.ok(await check(step2));
});

test('a failing command fails the step with its stderr', async ({ dir }) => {
  const step = command({ title: 'fail', run: 'echo progress; echo "no space left" >&2; exit 7', creates: join(dir, 'never') });
  await rejects(runStep(step), /command "echo progress; .*" failed \(exit 7\): no space left/);
});

test('a command that does not satisfy its own guard does not converge', async ({ dir }) => {
  await rejects(runStep(command({ title: 'bad guard', run: 'true', creates: join(dir, 'never-made') })), /did not converge/);
});

test('check mode does not run the command', async ({ dir }) => {
  const marker = join(dir, 'm');
  const { changed } = await runStep(command({ title: 'x', run: `touch ${marker}`, creates: marker }), await context({ checkMode: true }));
  assert.ok(changed);
  assert.not.ok(existsSync(marker));
});

test('a command without a guard is refused', () => {
  // @ts-expect-error: the type requires creates or unless.
  const unguarded: CommandOptions = { title: 'x', run: 'true' };
  assert.throws(() => command(unguarded), /set creates or unless/);
});

test.run();
