import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCli } from '../../lib/cli/args.ts';
import { InputError } from '../../lib/errors.ts';
import { runPlaybookCli } from '../helpers/run-playbook.ts';

const flags = suite('command-line flags');

flags('defaults', () => {
  const o = parseCli([]);
  assert.is(o.inventory, 'inventory/hosts.yml');
  assert.is(o.envFile, '.env');
  assert.is(o.check, false);
  assert.is(o.forks, 5);
  assert.is(o.verbosity, 0);
});

flags('every flag, long and short', () => {
  const o = parseCli(['-i', 'x.yml', '-C', '-D', '-t', 'a,b', '--tags', 'c', '--skip-tags', 'd', '-l', 'pve,services', '--start-at', 'base:Set time zone', '-vv', '--json', '-y', '-f', '3', '--log-dir', '/tmp/l']);
  assert.equal(
    { ...o, extra: undefined },
    { help: false, inventory: 'x.yml', envFile: '.env', check: true, diff: true, tags: ['a', 'b', 'c'], skipTags: ['d'], limit: ['pve', 'services'], startAt: 'base:Set time zone', verbosity: 2, json: true, yes: true, forks: 3, logDir: '/tmp/l', extra: undefined },
  );
});

flags('an unknown flag is bad input with a suggestion', () => {
  try {
    parseCli(['--chek']);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, InputError);
    assert.match((e as InputError).format(), "bad command line: Unknown option '--chek'");
    assert.match((e as InputError).format(), 'fix: did you mean --check?');
  }
});

flags('role flags: booleans, and strings given more than once', () => {
  const declared = [
    { name: 'upgrade', type: 'boolean' as const, description: 'u' },
    { name: 'wipe', type: 'string' as const, multiple: true, description: 'w' },
  ];
  assert.equal(parseCli(['--upgrade', '--wipe', 'a', '--wipe', 'b'], declared).extra, { upgrade: true, wipe: ['a', 'b'] });
  assert.equal(parseCli([], declared).extra, {});
});

flags('site.ts offers the flags of its roles in --help', async () => {
  const r = await runPlaybookCli('site', ['--help']);
  assert.match(r.stdout, '--wipe');
  assert.match(r.stdout, '--upgrade');
});

flags('--forks must be a positive whole number', () => {
  assert.throws(() => parseCli(['--forks', '0']), /--forks 0: not a whole number/);
});

flags.run();

const cli = suite('playbook command line (real child processes)');
const dir = mkdtempSync(join(tmpdir(), 'msh-cli-'));

cli('--help lists the roles, flags and exit codes', async () => {
  const r = await runPlaybookCli('site', ['--help']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, 'Usage: npx zx playbooks/site.ts [flags]');
  assert.match(r.stdout, '--check');
  assert.match(r.stdout, 'base ');
  assert.match(r.stdout, 'Exit codes: 0 ok · 1 bad input (nothing ran) · 2 a step failed · 4 a host was unreachable');
});

cli('bad input exits 1 with the file, line and fix, and runs nothing', async () => {
  const inv = join(dir, 'bad.yml');
  writeFileSync(inv, 'all:\n  hosts:\n    h1:\n      ansible_connection: local\n      timezon: Europe/Paris\n');
  const r = await runPlaybookCli('site', ['-i', inv, '--log-dir', join(dir, 'logs')]);
  assert.is(r.code, 1);
  assert.is(r.stdout, '');
  assert.is(r.stderr.trim(), `error: ${inv}:5:7: unknown variable "timezon"\n  fix: did you mean "timezone"? (every variable is listed in inventory/example.yml)`);
});

cli('an unknown flag exits 1', async () => {
  const r = await runPlaybookCli('base', ['--limt', 'pve']);
  assert.is(r.code, 1);
  assert.match(r.stderr, 'did you mean --limit?');
});

cli('--limit naming nothing exits 1 and lists what exists', async () => {
  const inv = join(dir, 'ok.yml');
  writeFileSync(inv, 'all:\n  children:\n    pve:\n      hosts:\n        pve1:\n          ansible_connection: local\n');
  const r = await runPlaybookCli('site', ['-i', inv, '--limit', 'nas']);
  assert.is(r.code, 1);
  assert.match(r.stderr, `--limit nas: no host or group of that name in ${inv}`);
  assert.match(r.stderr, 'fix: use one of: pve1, pve');
});

cli('--secrets names a file that does not exist yet without Node.js stopping first (as it does for --env-file)', async () => {
  const inv = join(dir, 'ok-secrets.yml');
  writeFileSync(inv, 'all:\n  children:\n    pve:\n      hosts:\n        pve1:\n          ansible_connection: local\n');
  const missing = join(dir, 'not-yet.env');
  const r = await runPlaybookCli('site', ['-i', inv, '--secrets', missing, '--limit', 'nas']);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, '--limit nas: no host or group');
  assert.equal(parseCli(['-e', missing]).envFile, missing);
  assert.equal(parseCli(['--env-file', missing]).envFile, missing);
});

cli('a bad role variable value points at its line', async () => {
  const inv = join(dir, 'tz.yml');
  writeFileSync(inv, 'all:\n  hosts:\n    h1:\n      ansible_connection: local\n      timezone: "Paris, France"\n');
  const r = await runPlaybookCli('base', ['-i', inv]);
  assert.is(r.code, 1);
  assert.match(r.stderr, `${inv}:5:17: timezone: "Paris, France" is not a tz database name (host h1, role base)`);
});

cli.run();
