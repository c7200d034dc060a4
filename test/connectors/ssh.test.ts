import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { CommandTimeoutError, UnreachableError } from '../../lib/connectors/connector.ts';
import { spawnCollect } from '../../lib/connectors/process.ts';
import { BecomeError, SshConnector, type SshConnectorOptions } from '../../lib/connectors/ssh.ts';
import { freePort, makeKey, sshdUnavailableReason, startSshd, type SshdFixture } from '../helpers/sshd.ts';

const SUDO_USER = 'msh-test-ssh';
const PASSWORD_SUDO_USER = 'msh-test-ssh-pw';

interface Ctx {
  sshd?: SshdFixture;
  controlDirs: string[];
  connectors: SshConnector[];
}

const Ssh = suite<Ctx>('SshConnector (real sshd on 127.0.0.1)', { controlDirs: [], connectors: [] });
const skip = sshdUnavailableReason();

function fixture(ctx: Ctx): SshdFixture {
  if (!ctx.sshd) throw new Error('sshd fixture not started');
  return ctx.sshd;
}

/** A connector to the fixture with its own short control directory, closed after the suite. */
function make(ctx: Ctx, opts: Partial<SshConnectorOptions> = {}): SshConnector {
  const sshd = fixture(ctx);
  const controlDir = mkdtempSync('/tmp/msh-t-');
  ctx.controlDirs.push(controlDir);
  const conn = new SshConnector({
    host: sshd.host,
    port: sshd.port,
    keyFile: sshd.keyFile,
    knownHostsFile: sshd.knownHostsFile,
    controlDir,
    connectTimeoutSec: 5,
    ...opts,
  });
  ctx.connectors.push(conn);
  return conn;
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

/** ssh processes whose command line mentions the directory (zombies have no command line and do not count). */
async function sshProcessesUsing(dir: string): Promise<string> {
  const res = await spawnCollect('pgrep', ['-a', '-f', `ControlPath=${dir}/`]);
  return res.stdout.trim();
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

if (skip) {
  Ssh('skipped', () => {
    console.warn(`  ssh connector tests skipped: ${skip}`);
  });
} else {
  Ssh.before(async (ctx) => {
    ctx.sshd = await startSshd();
    await ctx.sshd.addUser(SUDO_USER, 'nopasswd');
    await ctx.sshd.addUser(PASSWORD_SUDO_USER, 'password');
  });

  Ssh.after(async (ctx) => {
    for (const c of ctx.connectors) await c.close().catch(() => undefined);
    await ctx.sshd?.stop();
    for (const d of ctx.controlDirs) rmSync(d, { recursive: true, force: true });
  });

  Ssh('connect + run: exit codes, stdout and stderr, quoting', async (ctx) => {
    const c = make(ctx);
    await c.connect();
    assert.is(c.kind, 'ssh');
    assert.is(c.target, `root@127.0.0.1:${fixture(ctx).port}`);

    const r = await c.run('echo out; echo err >&2; exit 7');
    assert.equal(r, { code: 7, stdout: 'out\n', stderr: 'err\n' });

    const q = await c.run(`x="it's"; printf '%s|%s|%s\\n' "$x" 'a\\b$HOME' "$(id -un)"`);
    assert.is(q.code, 0);
    assert.is(q.stdout, `it's|a\\b$HOME|root\n`);

    // A script may exit 255 itself: that is a result, not a lost connection.
    const own = await c.run('echo "failed: no such thing" >&2; exit 255');
    assert.is(own.code, 255);
    assert.is(own.stderr, 'failed: no such thing\n');

    // /bin/sh runs the script, whatever the login shell.
    const sh = await c.run('readlink /proc/$$/exe');
    assert.match(sh.stdout, /(dash|sh|bash)\n$/);
    assert.is(c.stats.commands, 4);
  });

  Ssh('stdin: binary input reaches the script unchanged', async (ctx) => {
    const c = make(ctx);
    const data = Buffer.concat([randomBytes(1024 * 1024), Buffer.from([0, 255, 10, 13, 0])]);
    const r = await c.run("sha256sum | cut -d' ' -f1", { input: data });
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout.trim(), sha256(data));

    const s = await c.run('tee /dev/stderr | wc -c', { input: 'héllo\n' });
    assert.is(s.stdout.trim(), '7');
    assert.is(s.stderr, 'héllo\n');

    // Without input the script sees an empty stdin (does not hang).
    const e = await c.run('cat | wc -c', { timeoutMs: 10_000 });
    assert.is(e.stdout.trim(), '0');
  });

  Ssh('a 300 KB script runs (with and without input), leaving no temp file', async (ctx) => {
    const c = make(ctx);
    const lines: string[] = ['n=0'];
    for (let i = 0; Buffer.byteLength(lines.join('\n')) < 300 * 1024; i++) lines.push(`n=$((n + 1)) # filler line ${i} 'quoted' "dq" \\ $HOME`);
    const count = lines.length - 1;
    const script = `${lines.join('\n')}\necho "lines=$n"\n`;
    assert.ok(Buffer.byteLength(script) > 300 * 1024);

    const r = await c.run(script);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, `lines=${count}\n`);

    const input = randomBytes(200 * 1024);
    const withInput = await c.run(`${script}sha256sum | cut -d' ' -f1\nexit 3\n`, { input });
    assert.is(withInput.code, 3);
    assert.is(withInput.stdout, `lines=${count}\n${sha256(input)}\n`);
    assert.is(c.stats.commands, 2);
    // Each script went up first (a round trip of its own), then ran; plus the connection test at connect.
    assert.is(c.stats.roundTrips, 1 + 2 * 2);

    const left = await c.run('ls /tmp | grep -c "^msh-script\\." || true');
    assert.is(left.stdout.trim(), '0');
  });

  Ssh('become: a NOPASSWD user runs as root through sudo -n', async (ctx) => {
    const c = make(ctx, { user: SUDO_USER, become: true });
    await c.connect();
    assert.is((await c.run('id -u')).stdout.trim(), '0');
    const plain = await c.run('id -un', { become: false });
    assert.is(plain.stdout.trim(), SUDO_USER);

    const data = randomBytes(64 * 1024);
    const r = await c.run("sha256sum | cut -d' ' -f1; id -un; exit 5", { input: data });
    assert.is(r.code, 5);
    assert.is(r.stdout, `${sha256(data)}\nroot\n`);

    // Large scripts are uploaded by the login user and run by root.
    const big = `${'# padding line for a large script\n'.repeat(4000)}id -u\n`;
    const b = await c.run(big);
    assert.is(b.stdout, '0\n', b.stderr);
  });

  Ssh('become: sudo asking for a password fails with a clear message', async (ctx) => {
    const c = make(ctx, { user: PASSWORD_SUDO_USER, become: true });
    await c.connect();
    const err = await rejection(c.run('id -u'));
    assert.instance(err, BecomeError);
    assert.match(err.message, `sudo needs a password for ${PASSWORD_SUDO_USER}`);
    assert.match(err.message, 'allow NOPASSWD or connect as root');
    assert.not.match(err.message, '\n');
    // Without become the user still works.
    assert.is((await c.run('id -un', { become: false })).stdout.trim(), PASSWORD_SUDO_USER);
  });

  Ssh('unreachable: a closed port fails fast with UnreachableError', async (ctx) => {
    const port = await freePort();
    const c = make(ctx, { port, connectTimeoutSec: 5 });
    const t0 = Date.now();
    const err = await rejection(c.connect());
    const elapsed = Date.now() - t0;
    assert.instance(err, UnreachableError);
    assert.ok(elapsed < 5000, `took ${elapsed} ms`);
    assert.match(err.message, 'Connection refused');
    assert.match(err.message, `is sshd running and listening on port ${port}`);
    assert.not.match(err.message, '\n');
    assert.is(c.stats.connections, 0);
    // run() connects on demand and fails the same way.
    assert.instance(await rejection(c.run('true')), UnreachableError);
  });

  Ssh('unreachable: a server that never answers times out after connectTimeoutSec', async (ctx) => {
    const sockets: import('node:net').Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const addr = silent.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    try {
      const c = make(ctx, { port, connectTimeoutSec: 2 });
      const t0 = Date.now();
      const err = await rejection(c.connect());
      const elapsed = Date.now() - t0;
      assert.instance(err, UnreachableError);
      assert.ok(elapsed >= 1500 && elapsed < 6000, `took ${elapsed} ms`);
      assert.match(err.message, /no answer within 2s/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  Ssh('unreachable: a key the host does not accept is an authentication failure', async (ctx) => {
    const wrongKey = await makeKey(fixture(ctx).dir, 'wrong_ed25519');
    const c = make(ctx, { keyFile: wrongKey });
    const err = await rejection(c.connect());
    assert.instance(err, UnreachableError);
    assert.match(err.message, 'authentication failed as user root');
    assert.match(err.message, wrongKey);
    assert.match(err.message, 'Permission denied (publickey)');
    assert.not.match(err.message, '\n');
  });

  Ssh('unreachable: a changed host key names the known_hosts file and the ssh-keygen -R fix', async (ctx) => {
    const sshd = fixture(ctx);
    const other = await makeKey(sshd.dir, 'other_host_ed25519');
    const knownHostsFile = `${sshd.dir}/known_hosts_changed`;
    const fake = (await spawnCollect('cat', [`${other}.pub`])).stdout.trim().split(' ').slice(0, 2).join(' ');
    writeFileSync(knownHostsFile, `[127.0.0.1]:${sshd.port} ${fake}\n`);
    const c = make(ctx, { knownHostsFile });
    const err = await rejection(c.connect());
    assert.instance(err, UnreachableError);
    assert.match(err.message, 'host key has changed');
    assert.match(err.message, `ssh-keygen -f ${knownHostsFile} -R '[127.0.0.1]:${sshd.port}'`);
    assert.not.match(err.message, '\n');
  });

  Ssh('first connection records the host key in the known_hosts file', async (ctx) => {
    const sshd = fixture(ctx);
    const knownHostsFile = `${sshd.dir}/state/kh/known_hosts`;
    const c = make(ctx, { knownHostsFile });
    await c.connect();
    assert.ok(existsSync(knownHostsFile));
    assert.is(statSync(`${sshd.dir}/state/kh`).mode & 0o777, 0o700);
    const found = await spawnCollect('ssh-keygen', ['-F', `[127.0.0.1]:${sshd.port}`, '-f', knownHostsFile]);
    assert.is(found.code, 0);
    assert.match(found.stdout, sshd.hostPublicKey.split(' ')[1] ?? 'missing');
  });

  Ssh('timeout: the command is killed and CommandTimeoutError names host and seconds', async (ctx) => {
    const c = make(ctx);
    await c.connect();
    const t0 = Date.now();
    const err = await rejection(c.run('sleep 31.7', { timeoutMs: 1000 }));
    const elapsed = Date.now() - t0;
    assert.instance(err, CommandTimeoutError);
    assert.ok(elapsed < 4000, `took ${elapsed} ms`);
    assert.match(err.message, `after 1s on ${c.target}`);
    // The remote side is cleaned up as well (coreutils timeout on the host), a few seconds later.
    let left = 'still running';
    for (let i = 0; i < 100 && left; i++) {
      left = (await spawnCollect('pgrep', ['-x', '-f', 'sleep 31.7'])).stdout.trim();
      if (left) await new Promise((r) => setTimeout(r, 100));
    }
    assert.is(left, '', 'remote sleep still running');
    // The connection is still usable.
    assert.is((await c.run('echo alive')).stdout, 'alive\n');
  });

  Ssh('ControlMaster: 10 runs share one connection; close() ends the master', async (ctx) => {
    const c = make(ctx);
    await c.connect();
    for (let i = 0; i < 10; i++) assert.is((await c.run(`echo ${i}`)).stdout, `${i}\n`);
    await Promise.all(Array.from({ length: 5 }, (_, i) => c.run(`echo p${i}`)));
    assert.is(c.stats.connections, 1);
    assert.is(c.stats.commands, 15);
    assert.is(c.stats.roundTrips, 16, 'the 15 commands and the connection test');

    const socket = await c.controlPath();
    assert.ok(socket.startsWith(`${c.controlDir}/`));
    assert.ok(socket.length < 104);
    assert.ok(statSync(socket).isSocket(), 'control socket exists');
    assert.is(statSync(c.controlDir).mode & 0o777, 0o700);
    assert.is.not(await sshProcessesUsing(c.controlDir), '', 'master runs while connected');

    await c.close();
    assert.is(await sshProcessesUsing(c.controlDir), '', 'no ssh process left after close()');
    assert.not.ok(existsSync(socket), 'control socket removed');
    assert.equal(readdirSync(c.controlDir), []);
    await c.close(); // idempotent
  });

  Ssh('counters: N commands over one connection; sudo check and new-connection checks counted', async (ctx) => {
    const N = 7;
    const logins = () => (fixture(ctx).logs().match(new RegExp(`Accepted publickey for ${SUDO_USER} `, 'g')) ?? []).length;
    const loginsBefore = logins();
    const c = make(ctx, { user: SUDO_USER, become: true });
    assert.equal(c.stats, { connections: 0, commands: 0, roundTrips: 0 });
    for (let i = 0; i < N; i++) assert.is((await c.run(`echo ${i}`)).code, 0);
    // One master connection; the connection test at connect and the one-time `sudo -n true` are round trips too.
    assert.equal(c.stats, { connections: 1, commands: N, roundTrips: N + 2 });

    // Counted from the host's side as well: sshd logged exactly one login for the user.
    assert.is(logins() - loginsBefore, 1, fixture(ctx).logs());

    // verifyNewConnection is not multiplexed: a connection (and a round trip) of its own.
    await c.verifyNewConnection();
    assert.equal(c.stats, { connections: 2, commands: N, roundTrips: N + 3 });

    // A master closed in between (as after ControlPersist) is reopened on the next command, and counted.
    await c.close();
    assert.is((await c.run('echo again')).stdout, 'again\n');
    assert.equal(c.stats, { connections: 3, commands: N + 1, roundTrips: N + 3 + 3 });
  });

  Ssh('a lost connection surfaces as UnreachableError on the next run', async (ctx) => {
    const other = await startSshd();
    try {
      const c = make(ctx, { port: other.port, knownHostsFile: other.knownHostsFile, keyFile: other.keyFile });
      await c.connect();
      assert.is((await c.run('echo up')).stdout, 'up\n');
      await other.stop();
      const err = await rejection(c.run('echo again'));
      assert.instance(err, UnreachableError);
      assert.not.match(err.message, '\n');
      await c.close();
      assert.is(await sshProcessesUsing(c.controlDir), '');
    } finally {
      await other.stop();
    }
  });

  Ssh('rejects a control directory too long for unix sockets', () => {
    assert.throws(() => new SshConnector({ host: '127.0.0.1', controlDir: `/tmp/${'x'.repeat(80)}` }), /too long/);
  });
}

Ssh.run();
