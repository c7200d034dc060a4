/** Fail2ban's jails never ban the SSH client the run comes from (a lock-out rollback must not leave the admin banned). */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jailsFile } from '../../roles/hardening/jails-file.ts';
import { jails } from '../../roles/hardening/templates/fail2ban.ts';
import { check, context } from '../helpers/steps.ts';

const t = suite('role hardening: fail2ban jails');
const settings = { bantime: '1h', maxretry: 5, proxmox: false };

t('ignoreip holds localhost and the given addresses', () => {
  assert.match(jails({ ...settings, ignore: [] }), /^ignoreip = 127\.0\.0\.1\/8 ::1$/m);
  assert.match(jails({ ...settings, ignore: ['192.0.2.7'] }), /^ignoreip = 127\.0\.0\.1\/8 ::1 192\.0\.2\.7$/m);
});

t('the step writes the SSH client of this run into ignoreip (from the facts, at check time)', async () => {
  const step = jailsFile({ title: 'Fail2ban jails', when: () => true }, (ignore) => jails({ ...settings, ignore }));
  const change = await check(step, await context({ facts: { sshClient: '192.0.2.7' } }));
  assert.ok(change, 'this machine has no such jails file: the step wants to write it');
  assert.match(change!.diff ?? '', /\+ignoreip = 127\.0\.0\.1\/8 ::1 192\.0\.2\.7/);
  const local = await check(step, await context({ facts: { sshClient: '' } }));
  assert.match(local!.diff ?? '', /\+ignoreip = 127\.0\.0\.1\/8 ::1\n/);
});

t.run();
