import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { defineRole, type Role } from '../../lib/api/role.ts';
import type { Handler, Step } from '../../lib/api/step.ts';
import { assertOk } from '../../lib/connectors/connector.ts';
import { shq } from '../../lib/connectors/shell.ts';
import { parseInventory } from '../../lib/inventory/load.ts';
import { buildSchema } from '../../lib/inventory/schema.ts';
import type { RunEvent } from '../../lib/runner/events.ts';
import type { RunOptions } from '../../lib/runner/options.ts';
import { planRun } from '../../lib/runner/plan.ts';
import { runPlay } from '../../lib/runner/run-play.ts';
import { plainRenderer } from '../../lib/output/plain.ts';

/** A step that makes `path` hold `content`: probe with cat, apply with printf. Real files, real shell. */
function fileStep(title: string, path: string, content: string, extra: Partial<Step> = {}): Step {
  return {
    title,
    probe: `cat ${shq(path)} 2>/dev/null`,
    check: (_ctx, probe) => (probe?.stdout === content ? null : { summary: `write ${path}` }),
    apply: async (ctx) => {
      assertOk(await ctx.conn.run(`printf %s ${shq(content)} > ${shq(path)}`), `writing ${path}`);
    },
    ...extra,
  };
}

/** A handler that appends a line to a log file, so tests can count how often it ran. */
function appendHandler(name: string, log: string): Handler {
  return { name, run: async (ctx) => void assertOk(await ctx.conn.run(`echo ${shq(name)} >> ${shq(log)}`), name) };
}

interface Harness {
  dir: string;
  run(role: Role, opts?: Partial<RunOptions>, hosts?: string[]): Promise<{ exitCode: number; events: RunEvent[] }>;
}

function harness(): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'msh-steps-'));
  return {
    dir,
    async run(role, opts = {}, hosts = ['h1']) {
      const inventoryText = `all:\n  vars:\n    ansible_connection: local\n  hosts:\n${hosts.map((h) => `    ${h}:\n      msh_state_dir: ${dir}/state-${h}\n`).join('')}`;
      const inventory = parseInventory(inventoryText, 'test.yml', buildSchema([role]));
      const options: RunOptions = {
        inventory: 'test.yml', envFile: '.env', check: false, diff: false, tags: [], skipTags: [], limit: [], verbosity: 0,
        json: false, yes: false, forks: 5, logDir: join(dir, 'logs'), extra: {}, ...opts,
      };
      const plans = planRun(inventory, [role], { file: '.env', exists: false, values: {} }, options);
      const events: RunEvent[] = [];
      const { exitCode } = await runPlay(plans, { playbook: 'test', checkMode: options.check, diff: options.diff, yes: options.yes, forks: options.forks }, (e) => events.push(e));
      return { exitCode, events };
    },
  };
}

const stepEvents = (events: RunEvent[]) => events.filter((e): e is Extract<RunEvent, { type: 'step' }> => e.type === 'step');
const recapOf = (events: RunEvent[]) => (events.find((e) => e.type === 'run-end') as Extract<RunEvent, { type: 'run-end' }>).recap;

const s = suite('step semantics');

s('check mode changes nothing and says what would change; apply converges; second run 0 changed', async () => {
  const h = harness();
  const target = join(h.dir, 'motd');
  const role = defineRole({ name: 'demo', description: '', hosts: 'all', defaults: {}, docs: {}, steps: () => [fileStep('write motd', target, 'hello\n')] });

  const check = await h.run(role, { check: true });
  assert.is(check.exitCode, 0);
  assert.is(existsSync(target), false, 'check mode must not create the file');
  assert.equal(stepEvents(check.events).map((e) => [e.status, e.message]), [['changed', `write ${target}`]]);

  const first = await h.run(role);
  assert.is(readFileSync(target, 'utf8'), 'hello\n');
  assert.is(recapOf(first.events)[0]!.changed, 1);

  const second = await h.run(role);
  assert.is(second.exitCode, 0);
  assert.is(recapOf(second.events)[0]!.changed, 0);
  assert.is(recapOf(second.events)[0]!.ok, 1);
});

s('a role\'s summary is reported once the role succeeded (also in check mode), printed after the recap; not after a failure', async () => {
  const h = harness();
  const target = join(h.dir, 'motd');
  const role = (fail: boolean) =>
    defineRole({
      name: 'web', description: '', hosts: 'all', defaults: { domain: 'home.arpa' }, docs: { domain: { description: 'd' } },
      steps: () => [fail ? { title: 'breaks', check: () => { throw new Error('broken'); }, apply: async () => undefined } : fileStep('write motd', target, 'hi\n')],
      summary: (v, facts) => [`open https://web.${v.domain}`, `from ${facts.hostname}`],
    });
  for (const check of [true, false]) {
    const r = await h.run(role(false), { check }, ['h1', 'h2']);
    const summaries = r.events.filter((e): e is Extract<RunEvent, { type: 'summary' }> => e.type === 'summary');
    assert.equal(summaries.map((e) => e.host).sort(), ['h1', 'h2']);
    assert.is(summaries[0]!.lines[0], 'open https://web.home.arpa');
    const printed: string[] = [];
    const render = plainRenderer((l) => printed.push(l), 0);
    for (const e of r.events) render(e);
    const text = printed.join('\n');
    assert.ok(text.indexOf('open https://web.home.arpa') > text.indexOf('RECAP'), 'after the recap');
    assert.is(text.split('open https://web.home.arpa').length, 2, 'a line both hosts share is printed once');
    assert.match(text, 'web (h1, h2)');
  }
  const failed = await h.run(role(true));
  assert.is(failed.events.filter((e) => e.type === 'summary').length, 0);
});

s('roles run one after another across hosts: a role on one host sees what an earlier role did on another', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'msh-plays-'));
  const made = join(dir, 'vm-created');
  const slowMaker: Step = {
    title: 'create the VM (slowly)',
    probe: `test -e ${shq(made)} && echo yes`,
    check: (_ctx, probe) => (probe?.stdout.includes('yes') ? null : { summary: 'create' }),
    apply: async (ctx) => void assertOk(await ctx.conn.run(`sleep 0.5; touch ${shq(made)}`), 'create'),
  };
  const needsIt: Step = {
    title: 'the VM exists',
    probe: `test -e ${shq(made)} && echo yes`,
    check: (_ctx, probe) => {
      if (!probe?.stdout.includes('yes')) throw new Error('the VM is not there yet');
      return null;
    },
    apply: async () => undefined,
  };
  const create = defineRole({ name: 'create', description: '', hosts: 'hypervisor', defaults: {}, docs: {}, steps: () => [slowMaker] });
  const configure = defineRole({ name: 'configure', description: '', hosts: 'vm', defaults: {}, docs: {}, steps: () => [needsIt] });
  const inv = parseInventory(
    `all:\n  vars:\n    ansible_connection: local\n  children:\n    hypervisor:\n      hosts:\n        pve1:\n          msh_state_dir: ${dir}/s1\n    vm:\n      hosts:\n        vm1:\n          msh_state_dir: ${dir}/s2\n`,
    'test.yml',
    buildSchema([create, configure]),
  );
  const options: RunOptions = { inventory: 'test.yml', envFile: '.env', check: false, diff: false, tags: [], skipTags: [], limit: [], verbosity: 0, json: false, yes: false, forks: 5, logDir: join(dir, 'logs'), extra: {} };
  const events: RunEvent[] = [];
  const { exitCode } = await runPlay(planRun(inv, [create, configure], { file: '.env', exists: false, values: {} }, options), { playbook: 't', checkMode: false, diff: false, yes: false, forks: 5 }, (e) => events.push(e));
  assert.is(exitCode, 0, JSON.stringify(stepEvents(events)));
  const order = events.flatMap((e) => (e.type === 'role-start' ? [`${e.host}:${e.role}`] : []));
  assert.equal(order, ['pve1:create', 'vm1:configure']);
});

s('a step that still reports a change after apply fails as "did not converge"', async () => {
  const h = harness();
  const role = defineRole({
    name: 'demo', description: '', hosts: 'all', defaults: {}, docs: {},
    steps: () => [
      { title: 'never converges', check: () => ({ summary: 'always different' }), apply: async () => undefined },
      fileStep('after', join(h.dir, 'after'), 'x'),
    ],
  });
  const r = await h.run(role);
  assert.is(r.exitCode, 2);
  const [first, second] = stepEvents(r.events);
  assert.is(first!.status, 'failed');
  assert.is(first!.message, 'did not converge: after applying, it still reports "always different"');
  assert.is(second, undefined, 'a failed host stops its own steps');
  assert.is(existsSync(join(h.dir, 'after')), false);
});

s('check mode: a step that needs what an earlier step would make is reported as undecidable, not failed', async () => {
  const h = harness();
  const dir = join(h.dir, 'made-by-step-1');
  const role = defineRole({
    name: 'demo', description: '', hosts: 'all', defaults: {}, docs: {},
    steps: () => [
      { title: 'make dir', probe: `test -d ${shq(dir)}`, check: (_c, p) => (p?.code === 0 ? null : { summary: `mkdir ${dir}` }), apply: async (ctx) => void assertOk(await ctx.conn.run(`mkdir ${shq(dir)}`), 'mkdir') },
      { title: 'needs dir', probe: `test -d ${shq(dir)}`, check: (_c, p) => { if (p?.code !== 0) throw new Error(`${dir} does not exist`); return null; }, apply: async () => undefined },
    ],
  });
  const r = await h.run(role, { check: true });
  assert.is(r.exitCode, 0);
  assert.equal(stepEvents(r.events).map((e) => [e.status, e.message]), [
    ['changed', `mkdir ${dir}`],
    ['skipped', `cannot tell before the changes above are made (${dir} does not exist)`],
  ]);
  const real = await h.run(role);
  assert.is(real.exitCode, 0);
});

s('check mode never calls apply', async () => {
  const h = harness();
  let applied = 0;
  const role = defineRole({
    name: 'demo', description: '', hosts: 'all', defaults: {}, docs: {},
    steps: () => [{ title: 'x', check: () => ({ summary: 'would do' }), apply: async () => void applied++ }],
  });
  await h.run(role, { check: true });
  assert.is(applied, 0);
});

s('a handler notified by several steps runs once, at the end of its role', async () => {
  const h = harness();
  const log = join(h.dir, 'handler.log');
  const role = defineRole({
    name: 'demo', description: '', hosts: 'all', defaults: {}, docs: {},
    steps: () => [
      fileStep('a', join(h.dir, 'a'), '1', { notify: ['restart demo'] }),
      fileStep('b', join(h.dir, 'b'), '2', { notify: ['restart demo'] }),
    ],
    handlers: () => [appendHandler('restart demo', log)],
  });
  const r = await h.run(role);
  assert.is(readFileSync(log, 'utf8'), 'restart demo\n');
  const order = r.events.filter((e) => e.type === 'step' || e.type === 'handler').map((e) => e.type);
  assert.equal(order, ['step', 'step', 'handler']);
  await h.run(role);
  assert.is(readFileSync(log, 'utf8'), 'restart demo\n', 'no change on the rerun: the handler does not run again');
});

s('a handler pending when a run fails is remembered on the host and runs on the next run', async () => {
  const h = harness();
  const log = join(h.dir, 'handler.log');
  const gate = join(h.dir, 'gate');
  const role = defineRole({
    name: 'demo', description: '', hosts: 'all', defaults: {}, docs: {},
    steps: () => [
      fileStep('config', join(h.dir, 'config'), 'v2', { notify: ['restart demo'] }),
      {
        title: 'needs the gate',
        probe: `test -e ${shq(gate)}`,
        check: (_c, p) => (p?.code === 0 ? null : { summary: 'gate missing' }),
        apply: async () => {
          throw new Error('gate is closed');
        },
      },
    ],
    handlers: () => [appendHandler('restart demo', log)],
  });
  const failed = await h.run(role);
  assert.is(failed.exitCode, 2);
  assert.is(existsSync(log), false, 'the handler did not run in the failed run');
  assert.equal(JSON.parse(readFileSync(join(h.dir, 'state-h1', 'pending-handlers.json'), 'utf8')), [{ role: 'demo', name: 'restart demo' }]);

  writeFileSync(gate, '');
  const next = await h.run(role);
  assert.is(next.exitCode, 0);
  assert.is(recapOf(next.events)[0]!.changed, 0, 'config is already right: nothing changes');
  assert.is(readFileSync(log, 'utf8'), 'restart demo\n', 'but the remembered handler ran');
  assert.is(existsSync(join(h.dir, 'state-h1', 'pending-handlers.json')), false);
});

s('check mode reports notified handlers as "would run" and records nothing', async () => {
  const h = harness();
  const log = join(h.dir, 'handler.log');
  const role = defineRole({
    name: 'demo', description: '', hosts: 'all', defaults: {}, docs: {},
    steps: () => [fileStep('a', join(h.dir, 'a'), '1', { notify: ['restart demo'] })],
    handlers: () => [appendHandler('restart demo', log)],
  });
  const r = await h.run(role, { check: true });
  const handler = r.events.find((e) => e.type === 'handler') as Extract<RunEvent, { type: 'handler' }>;
  assert.is(handler.status, 'skipped');
  assert.is(handler.message, 'would run (check mode)');
  assert.is(existsSync(log), false);
  assert.is(existsSync(join(h.dir, 'state-h1')), false);
});

s('a no-change run probes all steps of a role in one command', async () => {
  const h = harness();
  const steps = Array.from({ length: 8 }, (_, i) => fileStep(`s${i}`, join(h.dir, `f${i}`), `c${i}`));
  const role = defineRole({ name: 'demo', description: '', hosts: 'all', defaults: {}, docs: {}, steps: () => steps });
  await h.run(role);
  const r = await h.run(role);
  const recap = recapOf(r.events)[0]!;
  assert.is(recap.changed, 0);
  assert.is(recap.ok, 8);
  assert.is(recap.commands, 2, 'facts + one batched probe');
});

s('a first converge probes each step once before and once after its change (not again after every earlier change)', async () => {
  const h = harness();
  const probed = (i: number) => join(h.dir, `probed-${i}`);
  const steps = Array.from({ length: 6 }, (_, i) => fileStep(`s${i}`, join(h.dir, `f${i}`), `c${i}`, { probe: `echo . >> ${shq(probed(i))}; cat ${shq(join(h.dir, `f${i}`))} 2>/dev/null` }));
  const role = defineRole({ name: 'demo', description: '', hosts: 'all', defaults: {}, docs: {}, steps: () => steps });
  const first = await h.run(role);
  assert.is(recapOf(first.events)[0]!.changed, 6);
  // Every step: in the first batch, then alone once the step before it has changed, then its re-check (step 0 has no
  // step before it). Re-batching all the rest after each change would give [2, 3, 4, 5, 6, 7].
  const counts = steps.map((_, i) => readFileSync(probed(i), 'utf8').length / 2);
  assert.equal(counts, [2, 3, 3, 3, 3, 3]);
  const again = await h.run(role);
  assert.is(recapOf(again.events)[0]!.commands, 2, 'the rerun still costs facts + one batched probe');
});

s('a failed host stops its own steps while the other hosts go on', async () => {
  const h = harness();
  const role = defineRole({
    name: 'demo', description: '', hosts: 'all', defaults: {}, docs: {},
    steps: () => [
      {
        title: 'fails on h1 only',
        when: () => true,
        check: (ctx) => (ctx.host === 'h1' ? { summary: 'break' } : null),
        apply: async () => {
          throw new Error('boom on h1');
        },
      },
      fileStep('then write', join(h.dir, 'written-by-someone'), 'ok'),
    ],
  });
  const r = await h.run(role, {}, ['h1', 'h2']);
  assert.is(r.exitCode, 2);
  const recap = recapOf(r.events);
  assert.is(recap.find((x) => x.host === 'h1')!.failed, 1);
  assert.is(recap.find((x) => x.host === 'h2')!.failed, 0);
  assert.is(recap.find((x) => x.host === 'h2')!.changed, 1);
  const h1Steps = stepEvents(r.events).filter((e) => e.host === 'h1');
  assert.equal(h1Steps.map((e) => e.status), ['failed']);
  assert.is(h1Steps[0]!.message, 'boom on h1');
});

s('when: a false condition or a reason skips the step', async () => {
  const h = harness();
  const role = defineRole({
    name: 'demo', description: '', hosts: 'all', defaults: {}, docs: {},
    steps: () => [
      fileStep('only with systemd', join(h.dir, 'x'), 'x', { when: (f) => f.osId === 'no-such-os' || 'needs no-such-os' }),
      fileStep('never', join(h.dir, 'y'), 'y', { when: () => false }),
    ],
  });
  const r = await h.run(role);
  assert.equal(stepEvents(r.events).map((e) => [e.status, e.message]), [['skipped', 'needs no-such-os'], ['skipped', 'condition not met on this host']]);
  assert.is(existsSync(join(h.dir, 'x')), false);
});

s('a destructive action runs only with --yes, and the refusal names the target', async () => {
  const h = harness();
  const victim = join(h.dir, 'victim');
  writeFileSync(victim, 'data');
  const role = defineRole({
    name: 'demo', description: '', hosts: 'all', defaults: {}, docs: {},
    steps: () => [
      {
        title: 'wipe victim',
        probe: `test -s ${shq(victim)}`,
        check: (_c, p) => (p?.code === 0 ? { summary: `wipe ${victim}` } : null),
        apply: async (ctx) => {
          ctx.confirm(`wipe ${victim}`);
          assertOk(await ctx.conn.run(`: > ${shq(victim)}`), 'wipe');
        },
      },
    ],
  });
  const refused = await h.run(role);
  assert.is(refused.exitCode, 2);
  assert.is(stepEvents(refused.events)[0]!.message, `refusing to wipe ${victim} without confirmation: rerun with --yes to confirm`);
  assert.is(readFileSync(victim, 'utf8'), 'data');
  const confirmed = await h.run(role, { yes: true });
  assert.is(confirmed.exitCode, 0);
  assert.is(readFileSync(victim, 'utf8'), '');
});

s.run();
