/**
 * The lock-out guard against a real sshd on 127.0.0.1: the "host" is this machine, reached over SSH, and the guarded
 * file is that sshd's own configuration, reloaded with SIGHUP as a service manager would.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SshConnector } from '../../lib/connectors/ssh.ts';
import { gatherFacts } from '../../lib/facts/gather.ts';
import { guardedChange } from '../../lib/modules/guarded-change.ts';
import type { StepContext } from '../../lib/api/step.ts';
import { startSshd, type SshdFixture } from '../helpers/sshd.ts';
import { tempDir } from '../helpers/steps.ts';

const g = suite('lock-out guard (real sshd)');
let sshd: SshdFixture;
let conn: SshConnector;
let ctx: StepContext;
let state: string;
let config: string;
let original: string;

g.before(async () => {
  sshd = await startSshd();
  conn = new SshConnector({ host: '127.0.0.1', port: sshd.port, keyFile: sshd.keyFile, knownHostsFile: sshd.knownHostsFile, connectTimeoutSec: 5 });
  await conn.connect();
  ctx = { host: 'box', facts: await gatherFacts(conn), conn, checkMode: false, log: () => undefined, confirm: () => undefined };
  state = tempDir('msh-guard-');
  config = join(sshd.dir, 'sshd_config');
  original = readFileSync(config, 'utf8');
});

g.after(async () => {
  await conn.close();
  await sshd.stop();
});

const step = (content: string, rollbackAfterSec = 3) =>
  guardedChange({
    what: 'the test sshd configuration',
    files: [{ path: config, content, mode: '0644', validate: `/usr/sbin/sshd -t -f %s` }],
    activate: `kill -HUP "$(cat ${join(sshd.dir, 'sshd.pid')})"`,
    rollbackAfterSec,
    stateDir: state,
  });

g('a change that keeps access applies, and the guard is disarmed', async () => {
  const s = step(`${original}MaxAuthTries 4\n`);
  const change = await s.check(ctx, await conn.run(s.probe!));
  assert.ok(change);
  assert.match(change!.diff!, '+MaxAuthTries 4');
  await s.apply(ctx, change!);
  assert.match(readFileSync(config, 'utf8'), 'MaxAuthTries 4');
  assert.equal(readdirSync(state), [], 'backup and timer removed after the new connection succeeded');
  await conn.verifyNewConnection();
  assert.is(await s.check(ctx, await conn.run(s.probe!)), null);
});

g('a config that fails validation is never installed', async () => {
  const before = readFileSync(config, 'utf8');
  const s = step(`${before}NoSuchOption yes\n`);
  const change = await s.check(ctx, await conn.run(s.probe!));
  try {
    await s.apply(ctx, change!);
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /NoSuchOption/, (e as Error).message);
  }
  assert.is(readFileSync(config, 'utf8'), before);
});

g('a change that locks the user out is rolled back by the host itself, and the step says so', async () => {
  const before = readFileSync(config, 'utf8');
  const s = step(`${before}AllowUsers nobody-at-all\n`);
  const change = await s.check(ctx, await conn.run(s.probe!));
  const t0 = Date.now();
  try {
    await s.apply(ctx, change!);
    assert.unreachable('the lock-out was not detected');
  } catch (e) {
    const msg = (e as Error).message;
    assert.match(msg, 'lock-out guard: after changing the test sshd configuration, a new SSH connection failed');
    assert.match(msg, 'authentication failed');
    assert.match(msg, 'the host restored the previous configuration and new connections work again');
  }
  assert.ok(Date.now() - t0 >= 3000, 'it waited for the host-side rollback');
  assert.is(readFileSync(config, 'utf8'), before);
  await conn.verifyNewConnection();
  assert.equal(readdirSync(state), [], 'the guard cleaned up after the rollback');
});

g.run();
