/**
 * ufw on this machine: rules are added and read back with the real ufw, but the firewall is never enabled here
 * (it would cut this machine off); enabling under the lock-out guard is exercised on the lab's hosts.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { rulesAdmit, ufw, ufwRuleWords, type UfwRule } from '../../lib/modules/ufw.ts';
import { conn, context, probe } from '../helpers/steps.ts';

const RULES: UfwRule[] = [
  { from: '10.200.0.0/16', port: '22', proto: 'tcp' },
  { from: '10.200.0.0/16', port: '80,443', proto: 'tcp' },
  { on: 'tailscale0' },
  { port: '41641', proto: 'udp' },
];

const u = suite('ufw');

u.before(async () => {
  const res = await conn.run('command -v ufw || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ufw >/dev/null; ufw status | head -n1');
  if (!/inactive/.test(res.stdout)) throw new Error(`this test needs ufw installed and inactive, got: ${res.stdout}`);
  await conn.run('ufw --force reset >/dev/null; rm -f /etc/ufw/*.rules.20*');
});

u.after(async () => {
  await conn.run('ufw --force reset >/dev/null; rm -f /etc/ufw/*.rules.20*');
});

u('rules are written in the words ufw itself prints', () => {
  assert.equal(RULES.map(ufwRuleWords), [
    'allow from 10.200.0.0/16 to any port 22 proto tcp',
    'allow from 10.200.0.0/16 to any port 80,443 proto tcp',
    'allow in on tailscale0',
    'allow 41641/udp',
  ]);
});

u('the lock-out check: does any rule let this client reach SSH?', () => {
  assert.ok(rulesAdmit(RULES, '10.200.2.1', 22));
  assert.not.ok(rulesAdmit(RULES, '192.168.1.50', 22), 'a client outside the LAN range');
  assert.not.ok(rulesAdmit([{ on: 'tailscale0' }], '10.200.2.1', 22), 'an interface rule does not prove the client comes that way');
  assert.ok(rulesAdmit([{ port: '22' }], '203.0.113.9', 22));
});

u('check compares with what the real ufw reports: missing, extra, policy, enable', async () => {
  await conn.run('ufw allow from 10.200.0.0/16 to any port 22 proto tcp >/dev/null; ufw allow 8080/tcp >/dev/null; ufw default allow incoming >/dev/null');
  const step = ufw({ rules: RULES });
  const change = await step.check(await context(), await probe(step));
  assert.is(
    change!.summary,
    'ufw: default deny incoming, delete "allow 8080/tcp", add "allow from 10.200.0.0/16 to any port 80,443 proto tcp", add "allow in on tailscale0", add "allow 41641/udp", enable',
  );
});

u('the commands a change would run bring ufw to exactly the rules (applied here without enabling)', async () => {
  const step = ufw({ rules: RULES });
  const change = (await step.check(await context(), await probe(step))) as unknown as { commands: string[] };
  for (const cmd of change.commands) assert.is((await conn.run(cmd)).code, 0, cmd);
  const again = await step.check(await context(), await probe(step));
  assert.is(again!.summary, 'ufw: enable', 'only enabling is left, which this machine must not do');
});

u('refuses to enable when the SSH client would be locked out, before touching anything', async () => {
  const step = ufw({ rules: [{ from: '192.168.1.0/24', port: '22', proto: 'tcp' }] });
  const ctx = await context({ facts: { sshClient: '10.200.2.1' } });
  const change = await step.check(ctx, await probe(step));
  const before = (await conn.run('ufw show added')).stdout;
  try {
    await step.apply(ctx, change!);
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, 'refusing to enable ufw: its rules would not let your SSH client 10.200.2.1 reach port 22');
  }
  assert.is((await conn.run('ufw show added')).stdout, before);
  assert.match((await conn.run('ufw status')).stdout, 'Status: inactive');
});

u.run();
