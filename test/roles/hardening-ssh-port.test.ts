/**
 * ssh_port is the port sshd already listens on: the tool never moves sshd (a lock-out risk), it only lets that port
 * through the firewalls and looks for sshd there. The drop-in has no Port line, and every description says so.
 */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hardening } from '../../roles/hardening/index.ts';
import { sshdDropIn } from '../../roles/hardening/templates/sshd.ts';
import { vmServicesCreate } from '../../roles/vm-services/index.ts';

const t = suite('role hardening: ssh_port is not moved');

t('the sshd drop-in never sets Port, whatever the settings', () => {
  for (const s of [
    { permitRootLogin: 'no' as const, allowUsers: [], allowGroups: [] },
    { permitRootLogin: 'prohibit-password' as const, allowUsers: ['admin'], allowGroups: ['ssh'] },
  ]) {
    assert.not.match(sshdDropIn(s), /^\s*Port\b/im);
    assert.not.match(sshdDropIn(s), /^\s*ListenAddress\b/im);
  }
});

t('every description of ssh_port says sshd already listens there and is never moved', () => {
  for (const role of [hardening, vmServicesCreate]) {
    const d = role.docs['ssh_port']!.description;
    assert.match(d, /already listens on/, role.name);
    assert.match(d, /never changes sshd's port/, role.name);
  }
  const example = readFileSync('inventory/example.yml', 'utf8');
  assert.match(example, /ssh_port: 22 +# the port sshd ALREADY listens on[^\n]*\n +# the tool never moves sshd/);
});

t.run();
