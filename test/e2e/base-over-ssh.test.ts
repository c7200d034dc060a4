/**
 * The demonstration role through the real CLI (`npx zx playbooks/base.ts`) against a real sshd on 127.0.0.1:
 * check first, converge, rerun with 0 changed, --check after a change shows the diff and changes nothing,
 * and an unreachable host is reported while the other host goes on.
 * It changes this machine (/etc/localtime, /etc/timezone, /etc/default/cron, installs cron) and restores the files.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { RunEvent } from '../../lib/runner/events.ts';
import { spawnCollect } from '../../lib/connectors/process.ts';
import { runPlaybookCli } from '../helpers/run-playbook.ts';
import { freePort, sshdUnavailableReason, startSshd, type SshdFixture } from '../helpers/sshd.ts';

const e2e = suite('base role over ssh (real sshd, real CLI)');
const dir = mkdtempSync(join(tmpdir(), 'msh-e2e-'));
const saved = new Map<string, { link?: string; content?: Buffer }>();
let sshd: SshdFixture | undefined;

function save(path: string) {
  if (!existsSync(path)) return saved.set(path, {});
  try {
    saved.set(path, { link: readlinkSync(path) });
  } catch {
    saved.set(path, { content: readFileSync(path) });
  }
}

function inventory(cronLevel: number, extraHost = '') {
  const file = join(dir, `inv-${cronLevel}${extraHost ? '-x' : ''}.yml`);
  writeFileSync(
    file,
    `all:
  vars:
    ansible_host: 127.0.0.1
    ansible_user: root
    ansible_port: ${sshd!.port}
    ansible_ssh_private_key_file: ${sshd!.keyFile}
    msh_known_hosts_file: ${sshd!.knownHostsFile}
    msh_state_dir: ${dir}/state
    msh_connect_timeout: 5
    timezone: Etc/UTC
    base_packages: [cron, ca-certificates]
    cron_log_level: ${cronLevel}
  hosts:
    box:
${extraHost}`,
  );
  return file;
}

const recapRow = (stdout: string, host: string) => {
  const line = stdout.split('\n').find((l) => l.startsWith(`${host} `));
  const [, ok, changed, failed, skipped, unreachable] = (line ?? '').trim().split(/\s+/).map((x) => x);
  return { ok: Number(ok), changed: Number(changed), failed: Number(failed), skipped: Number(skipped), unreachable: Number(unreachable) };
};

e2e.before(async () => {
  const why = sshdUnavailableReason();
  if (why) throw new Error(`cannot run: ${why}`);
  for (const p of ['/etc/localtime', '/etc/timezone', '/etc/default/cron']) save(p);
  sshd = await startSshd();
});

e2e.after(async () => {
  await sshd?.stop();
  for (const [path, s] of saved) {
    rmSync(path, { force: true });
    if (s.link) symlinkSync(s.link, path);
    else if (s.content) writeFileSync(path, s.content);
  }
  rmSync(dir, { recursive: true, force: true });
});

e2e('--check on a fresh host changes nothing and lists what would change', async () => {
  writeFileSync('/etc/default/cron', 'EXTRA_OPTS=""\n');
  const r = await runPlaybookCli('base', ['-i', inventory(1), '--check', '--log-dir', join(dir, 'logs')]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, 'PLAY base (check mode: nothing will be changed) on box');
  assert.match(r.stdout, 'Configure cron logging … changed: update /etc/default/cron: content');
  assert.match(r.stdout, '+EXTRA_OPTS="-L 1"');
  assert.match(r.stdout, 'handler restart cron … skipped: would run (check mode)');
  assert.is(readFileSync('/etc/default/cron', 'utf8'), 'EXTRA_OPTS=""\n');
});

e2e('converges, runs the handler, and a second run reports 0 changed', async () => {
  const first = await runPlaybookCli('base', ['-i', inventory(1), '--log-dir', join(dir, 'logs')]);
  assert.is(first.code, 0, first.stdout + first.stderr);
  assert.ok(recapRow(first.stdout, 'box').changed >= 1, first.stdout);
  assert.match(first.stdout, 'handler restart cron … ran');
  assert.match(readFileSync('/etc/default/cron', 'utf8'), 'EXTRA_OPTS="-L 1"');
  assert.is(readlinkSync('/etc/localtime'), '/usr/share/zoneinfo/Etc/UTC');

  const second = await runPlaybookCli('base', ['-i', inventory(1), '--log-dir', join(dir, 'logs')]);
  assert.is(second.code, 0, second.stdout + second.stderr);
  const row = recapRow(second.stdout, 'box');
  assert.is(row.changed, 0, second.stdout);
  assert.is(row.failed, 0);
  assert.not.match(second.stdout, 'handler restart cron');
});

e2e('--check after a template input changed shows the diff and changes nothing', async () => {
  const before = readFileSync('/etc/default/cron', 'utf8');
  const r = await runPlaybookCli('base', ['-i', inventory(3), '--check', '--log-dir', join(dir, 'logs')]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, '-EXTRA_OPTS="-L 1"');
  assert.match(r.stdout, '+EXTRA_OPTS="-L 3"');
  assert.is(recapRow(r.stdout, 'box').changed, 1);
  assert.is(readFileSync('/etc/default/cron', 'utf8'), before);
});

e2e('--json prints one event per line, and the log under --log-dir has the same events', async () => {
  const logs = join(dir, 'json-logs');
  const r = await runPlaybookCli('base', ['-i', inventory(1), '--json', '--log-dir', logs]);
  assert.is(r.code, 0, r.stderr);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as RunEvent);
  assert.is(events[0]!.type, 'run-start');
  const end = events.at(-1) as Extract<RunEvent, { type: 'run-end' }>;
  assert.is(end.type, 'run-end');
  assert.is(end.recap[0]!.changed, 0);
  assert.is(end.recap[0]!.connections, 1, 'one SSH connection for the whole run');
});

e2e('a no-change rerun costs one round trip for the role, after connecting and gathering facts once (connector counters)', async () => {
  const logs = join(dir, 'cost-logs');
  const r = await runPlaybookCli('base', ['-i', inventory(1), '--json', '--log-dir', logs]);
  assert.is(r.code, 0, r.stderr);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as RunEvent);
  const recap = (events.at(-1) as Extract<RunEvent, { type: 'run-end' }>).recap[0]!;
  assert.is(recap.changed, 0, r.stdout);
  // Once per host and run: the connection test at connect and the facts (root: no sudo check). One master connection.
  assert.equal(recap.setup, { connections: 1, commands: 1, roundTrips: 2 });
  // The role: its six steps' probes in one batched command; nothing else.
  const [role] = recap.roles;
  assert.is(recap.roles.length, 1);
  assert.is(role!.role, 'base');
  assert.equal({ connections: role!.connections, commands: role!.commands, roundTrips: role!.roundTrips }, { connections: 0, commands: 1, roundTrips: 1 });
  assert.ok(role!.roundTrips <= 2, 'issue 10: at most 2 round trips per role per host');
  // The totals are the sum of the parts, and the role-end event carries the same cost as the recap.
  assert.is(recap.roundTrips, recap.setup.roundTrips + role!.roundTrips);
  assert.is(recap.commands, recap.setup.commands + role!.commands);
  const roleEnd = events.find((e): e is Extract<RunEvent, { type: 'role-end' }> => e.type === 'role-end');
  assert.equal(roleEnd?.cost, role);
  // The run log has them too (a bench reads either).
  const [logFile] = readdirSync(logs);
  const logged = readFileSync(join(logs, logFile!), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RunEvent);
  assert.equal((logged.at(-1) as Extract<RunEvent, { type: 'run-end' }>).recap[0]!.roles, recap.roles);
});

e2e('on a terminal, progress is a listr2 tree: host, role, steps with their outcome', async () => {
  // `script` gives the CLI a real pseudo-terminal, as when a person runs it.
  const inv = inventory(1);
  const r = await spawnCollect('script', ['-qec', `stty cols 160 rows 60; npx zx playbooks/base.ts -i ${inv} --log-dir ${join(dir, 'logs')}`, '/dev/null'], {
    env: { ...process.env, CI: '', TERM: 'xterm' },
    timeoutMs: 300_000,
  });
  const screen = r.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
  assert.is(r.code, 0, screen);
  assert.match(screen, '✔ box');
  assert.match(screen, '  ✔ base');
  assert.match(screen, '    ✔ Configure cron logging');
  assert.match(screen, existsSync('/run/systemd/system') ? '    ✔ Cap the journal size' : '    ↓ Cap the journal size (host does not run systemd)');
  assert.match(screen, /box +\d+ +0 +0 +\d+ +0/);
});

e2e('an unreachable host is reported (exit 4) while the other host converges', async () => {
  const closed = await freePort();
  const inv = inventory(1, `    ghost:\n      ansible_port: ${closed}\n`);
  const r = await runPlaybookCli('base', ['-i', inv, '--log-dir', join(dir, 'logs')]);
  assert.is(r.code, 4, r.stdout + r.stderr);
  assert.match(r.stdout, '[ghost] UNREACHABLE:');
  assert.is(recapRow(r.stdout, 'ghost').unreachable, 1);
  assert.is(recapRow(r.stdout, 'box').failed, 0);
  assert.ok(recapRow(r.stdout, 'box').ok >= 4);
});

e2e.run();
