/**
 * The lock-out guard on the lab's real hosts: an SSH setting that shuts out the connecting user (AllowGroups of a group
 * it is not in — deliberately not caught by the role's own pre-checks) must be undone by the host itself, which then
 * answers new connections again. Brings the lab up if needed, leaves it as it found it otherwise.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnCollect } from '../../lib/connectors/process.ts';
import type { RunEvent } from '../../lib/runner/events.ts';
import { defaultLabConfig } from './lab.ts';
import { useLab } from './use-lab.ts';

const cfg = defaultLabConfig;
const t = suite('lab: lock-out guard');
useLab(t);

function inventoryWith(extraVars: string): string {
  const file = join(cfg.stateDir, 'lockout-inventory.yml');
  writeFileSync(file, readFileSync(cfg.inventoryFile, 'utf8').replace('  vars:\n', `  vars:\n${extraVars}`));
  return file;
}

const sshdT = (host: string) =>
  spawnCollect('npx', ['zx', 'playbooks/lab.ts', 'ssh', host, '--', 'sudo sshd -T | grep -E "^allowgroups" || echo no-allowgroups'], { timeoutMs: 60_000 });

for (const host of ['services', 'pve']) {
  t(`${host}: a change that locks the user out is rolled back by the host, and the step says so`, async () => {
    const inv = inventoryWith('    ssh_allow_groups: [msh-nobody-is-in-this]\n    lockout_rollback_seconds: 10\n');
    const res = await spawnCollect('npx', ['zx', 'playbooks/hardening.ts', '-i', inv, '--limit', host, '--tags', 'ssh', '--json', '--log-dir', join(cfg.stateDir, 'logs')], {
      env: { ...process.env, CI: 'true' },
      timeoutMs: 300_000,
    });
    assert.is(res.code, 2, res.stdout + res.stderr);
    const failed = res.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as RunEvent)
      .find((e): e is Extract<RunEvent, { type: 'step' }> => e.type === 'step' && e.status === 'failed');
    assert.ok(failed, 'a step failed');
    assert.match(failed!.message!, 'lock-out guard: after changing the sshd configuration, a new SSH connection failed');
    assert.match(failed!.message!, 'the host restored the previous configuration and new connections work again');

    const after = await sshdT(host);
    assert.is(after.code, 0, `the host answers a new connection: ${after.stderr}`);
    assert.match(after.stdout, 'no-allowgroups');

    // And the normal settings converge again afterwards.
    const again = await spawnCollect('npx', ['zx', 'playbooks/hardening.ts', '-i', cfg.inventoryFile, '--limit', host, '--tags', 'ssh'], {
      env: { ...process.env, CI: 'true' },
      timeoutMs: 300_000,
    });
    assert.is(again.code, 0, again.stdout + again.stderr);
  });
}

t.run();
