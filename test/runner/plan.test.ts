import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { defineRole } from '../../lib/api/role.ts';
import type { Step } from '../../lib/api/step.ts';
import { InputError } from '../../lib/errors.ts';
import { parseInventory } from '../../lib/inventory/load.ts';
import { buildSchema } from '../../lib/inventory/schema.ts';
import type { RunOptions } from '../../lib/runner/options.ts';
import { planRun } from '../../lib/runner/plan.ts';

const step = (title: string, tags: string[] = []): Step => ({ title, tags, check: () => null, apply: async () => undefined });
const web = defineRole({ name: 'web', description: '', hosts: 'services', defaults: { port: 80 }, docs: { port: { description: 'port' } }, steps: () => [step('install', ['packages']), step('configure', ['config']), step('start')] });
const hv = defineRole({ name: 'hv', description: '', hosts: 'pve', defaults: {}, docs: {}, steps: () => [step('repos', ['packages']), step('kernel')] });
const inventory = parseInventory(
  `all:\n  children:\n    pve:\n      hosts:\n        pve1:\n    services:\n      hosts:\n        svc1:\n          port: 8080\n        svc2:\n`,
  'inv.yml',
  buildSchema([web, hv]),
);
const env = { file: '.env', exists: false, values: {} };
const opts = (o: Partial<RunOptions> = {}): RunOptions => ({
  inventory: 'inv.yml', envFile: '.env', check: false, diff: false, tags: [], skipTags: [], limit: [], verbosity: 0, json: false, yes: false, forks: 5, logDir: 'logs', extra: {}, ...o,
});
const selected = (plans: ReturnType<typeof planRun>) =>
  Object.fromEntries(plans.map((p) => [p.host.name, p.roles.flatMap((r) => r.steps.filter((s) => !s.deselected).map((s) => `${r.role.name}:${s.step.title}`))]));

const plan = suite('planning a run');

plan('each role runs on its group; vars resolved per host', () => {
  const plans = planRun(inventory, [hv, web], env, opts());
  assert.equal(selected(plans), { pve1: ['hv:repos', 'hv:kernel'], svc1: ['web:install', 'web:configure', 'web:start'], svc2: ['web:install', 'web:configure', 'web:start'] });
  assert.is(plans.find((p) => p.host.name === 'svc1')!.roles[0]!.vars.port, 8080);
  assert.is(plans.find((p) => p.host.name === 'svc2')!.roles[0]!.vars.port, 80);
});

plan('--limit by host and by group', () => {
  assert.equal(Object.keys(selected(planRun(inventory, [hv, web], env, opts({ limit: ['svc2'] })))), ['svc2']);
  assert.equal(Object.keys(selected(planRun(inventory, [hv, web], env, opts({ limit: ['pve', 'svc1'] })))), ['pve1', 'svc1']);
});

plan('--tags and --skip-tags (a role name is a tag)', () => {
  assert.equal(selected(planRun(inventory, [hv, web], env, opts({ tags: ['packages'] }))), { pve1: ['hv:repos'], svc1: ['web:install'], svc2: ['web:install'] });
  // Hosts with nothing selected are not even connected to.
  assert.equal(selected(planRun(inventory, [hv, web], env, opts({ tags: ['hv'] }))), { pve1: ['hv:repos', 'hv:kernel'] });
  assert.throws(() => planRun(inventory, [hv, web], env, opts({ tags: ['nothing-has-this'] })), /--tags nothing-has-this selects no step/);
  assert.equal(selected(planRun(inventory, [hv, web], env, opts({ skipTags: ['packages', 'config'] }))), { pve1: ['hv:kernel'], svc1: ['web:start'], svc2: ['web:start'] });
  const deselected = planRun(inventory, [web], env, opts({ tags: ['config'] }))[0]!.roles[0]!.steps[0]!.deselected;
  assert.is(deselected, 'not tagged config');
});

plan('a role the tags leave out is not planned, so its .env secrets are not needed', () => {
  const secretive = defineRole({ name: 'vpn', description: '', hosts: 'services', defaults: { vpn_key: '${VPN_KEY}' }, docs: { vpn_key: { description: 'key' } }, steps: () => [step('join')] });
  const inv = parseInventory('all:\n  children:\n    services:\n      hosts:\n        svc1:\n', 'inv.yml', buildSchema([web, secretive]));
  assert.throws(() => planRun(inv, [web, secretive], env, opts()), /VPN_KEY is not set/);
  assert.equal(selected(planRun(inv, [web, secretive], env, opts({ skipTags: ['vpn'] }))), { svc1: ['web:install', 'web:configure', 'web:start'] });
  assert.equal(selected(planRun(inv, [web, secretive], env, opts({ tags: ['config'] }))), { svc1: ['web:configure'] });
});

plan('--tags with a role whose steps need a variable the defaults leave empty: the host\'s value decides', () => {
  const disks = defineRole({
    name: 'disks', description: '', hosts: 'pve', defaults: { disks: [] as string[] }, docs: { disks: { description: 'disks' } },
    steps: (v) => {
      if (v.disks.length === 0) throw new Error('no disks');
      return [step('pool', ['pool']), step('tune')];
    },
  });
  const inv = parseInventory('all:\n  children:\n    pve:\n      hosts:\n        pve1:\n          disks: [a]\n', 'inv.yml', buildSchema([disks]));
  assert.equal(selected(planRun(inv, [disks], env, opts({ tags: ['pool'] }))), { pve1: ['disks:pool'] });
});

plan('--start-at skips what comes before, by title or role:title', () => {
  assert.equal(selected(planRun(inventory, [web], env, opts({ startAt: 'Configure' }))).svc1, ['web:configure', 'web:start']);
  assert.equal(selected(planRun(inventory, [web], env, opts({ startAt: 'web:start' }))).svc2, ['web:start']);
});

plan('--start-at with no such step is bad input', () => {
  try {
    planRun(inventory, [web], env, opts({ startAt: 'deploy' }));
    assert.unreachable();
  } catch (e) {
    assert.instance(e, InputError);
    assert.is((e as InputError).format(), '--start-at "deploy": no step has that title\n  fix: use a step title as listed by --check, e.g. "web:install"');
  }
});

plan('no host in the role\'s group is bad input naming the group', () => {
  try {
    planRun(inventory, [web], env, opts({ limit: ['pve'] }));
    assert.unreachable();
  } catch (e) {
    assert.match((e as InputError).format(), 'inv.yml: no selected host is in a group these roles run on (services)');
  }
});

plan.run();
