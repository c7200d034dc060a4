import { existsSync, lstatSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { restartService, service } from '../../lib/modules/index.ts';
import { check, context, rejects, removeTempDir, runStep, sh, shOk, tempDir } from '../helpers/steps.ts';

const UNIT = '[Unit]\nDescription=msh test\n\n[Service]\nExecStart=/bin/sleep 1000\n\n[Install]\nWantedBy=multi-user.target\n';

// --- enabled/disabled in an offline root (systemctl --root) ---

const offline = suite<{ root: string }>('service: offline root', { root: '' });
offline.before.each((ctx) => {
  ctx.root = tempDir();
  mkdirSync(join(ctx.root, 'etc/systemd/system'), { recursive: true });
  writeFileSync(join(ctx.root, 'etc/systemd/system/msh-test.service'), UNIT);
});
offline.after.each((ctx) => removeTempDir(ctx.root));

offline('enables and disables a unit by its [Install] section', async ({ root }) => {
  const wants = join(root, 'etc/systemd/system/multi-user.target.wants/msh-test.service');
  const enable = service({ name: 'msh-test', enabled: true, root });
  const { change } = await runStep(enable);
  assert.is(change?.summary, 'enable msh-test.service');
  assert.ok(lstatSync(wants).isSymbolicLink());
  assert.is(await check(enable), null);

  const disable = service({ name: 'msh-test.service', enabled: false, root });
  assert.is((await runStep(disable)).change?.summary, 'disable msh-test.service');
  assert.not.ok(existsSync(wants));
  assert.is(await check(disable), null);
});

offline('a missing or masked unit fails clearly', async ({ root }) => {
  await rejects(runStep(service({ name: 'msh-nope', enabled: true, root })), /unit msh-nope.service not found under/);
  symlinkSync('/dev/null', join(root, 'etc/systemd/system/msh-masked.service'));
  await rejects(runStep(service({ name: 'msh-masked', enabled: true, root })), /msh-masked.service is masked: unmask it first/);
});

offline('options are validated', ({ root }) => {
  assert.throws(() => service({ name: 'x' }), /set enabled, state, or both/);
  assert.throws(() => service({ name: 'x', state: 'started', root }), /state cannot be managed in an offline root/);
});

offline.run();

// --- the real ssh service of this host, which does not run systemd ---

const real = suite('service: ssh on this host');

const sshRunning = async () => (await sh('service ssh status >/dev/null 2>&1')).code === 0;
/** Whether sshd still listens on port 22, allowing a loaded machine a few seconds to let the stopped daemon go. */
const port22Open = async () => {
  for (let i = 0; i < 20; i++) {
    if ((await sh(`ss -Hltn 'sport = :22' | grep -q .`)).code !== 0) return false;
    await new Promise((r) => setTimeout(r, 500));
  }
  return true;
};
const stopSsh = () => sh('service ssh stop >/dev/null 2>&1; true');

let wasEnabled = '';
let wasRunning = false;
real.before(async () => {
  wasEnabled = (await sh('systemctl is-enabled ssh.service')).stdout.trim();
  wasRunning = await sshRunning();
});
real.after(async () => {
  await sh(`systemctl ${wasEnabled === 'enabled' ? 'enable' : 'disable'} ssh.service >/dev/null 2>&1`);
  if (!wasRunning) await stopSsh();
  assert.is((await sh('systemctl is-enabled ssh.service')).stdout.trim(), wasEnabled);
  assert.is(await sshRunning(), wasRunning);
});

real('enabled is managed offline with systemctl, without a running systemd', async () => {
  const ctx = await context();
  assert.is(ctx.facts.systemd, false);
  await shOk('systemctl enable ssh.service >/dev/null 2>&1');
  const disable = service({ name: 'ssh', enabled: false });
  assert.is((await runStep(disable, ctx)).change?.summary, 'disable ssh.service');
  assert.is((await sh('systemctl is-enabled ssh.service')).stdout.trim(), 'disabled');
  assert.not.ok(existsSync('/etc/systemd/system/multi-user.target.wants/ssh.service'));
  assert.is(await check(disable, ctx), null);

  const enable = service({ name: 'ssh', enabled: true });
  assert.is((await runStep(enable, ctx)).change?.summary, 'enable ssh.service');
  assert.is((await sh('systemctl is-enabled ssh.service')).stdout.trim(), 'enabled');
  assert.ok(lstatSync('/etc/systemd/system/multi-user.target.wants/ssh.service').isSymbolicLink());
});

real('state falls back to the init script: start, no change, stop', async () => {
  const ctx = await context();
  await stopSsh();
  try {
    const start = service({ name: 'ssh', state: 'started' });
    const { change } = await runStep(start, ctx);
    assert.is(change?.summary, 'start ssh (init script)');
    assert.ok(await sshRunning(), 'service ssh status says running');
    assert.ok(await port22Open(), 'sshd listens on port 22');
    assert.is(await check(start, ctx), null);

    const stop = service({ name: 'ssh', state: 'stopped' });
    assert.is((await runStep(stop, ctx)).change?.summary, 'stop ssh (init script)');
    assert.not.ok(await sshRunning());
    assert.is(await check(stop, ctx), null);
  } finally {
    await stopSsh();
  }
  assert.not.ok(await port22Open(), 'nothing left listening on port 22');
});

real('without systemd and without an init script, state fails clearly', async () => {
  await rejects(runStep(service({ name: 'msh-test-nonexistent', state: 'started' })), /^host does not run systemd and msh-test-nonexistent has no init script$/);
});

real('restartService runs the init script where systemd is not running', async () => {
  const ctx = await context();
  await stopSsh();
  try {
    const handler = restartService('ssh');
    assert.is(handler.name, 'restart ssh');
    await handler.run(ctx);
    assert.ok(await sshRunning(), 'ssh runs after restart');
    const pid = (await shOk('cat /run/sshd.pid')).trim();
    await handler.run(ctx);
    assert.ok(await sshRunning());
    assert.is.not((await shOk('cat /run/sshd.pid')).trim(), pid, 'a new sshd process');
  } finally {
    await stopSsh();
  }
  assert.not.ok(await port22Open());
  await rejects(restartService('msh-test-nonexistent', 'restart it').run(ctx), /host does not run systemd and msh-test-nonexistent has no init script/);
});

real.run();
