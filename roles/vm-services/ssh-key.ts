/** The public SSH key(s) for the VM's user, read on the controller from vm_ssh_public_key. */
import { readFileSync } from 'node:fs';
import { controllerPath } from './settings.ts';

const KEY_LINE = /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/]+={0,3}( .*)?$/;

/** The keys of the file, one per line (comments and blank lines left out); throws saying what is wrong and the fix. */
export function readPublicKeys(setting: string): string {
  const path = controllerPath(setting);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(err as Error).message})`;
    throw new Error(`vm_ssh_public_key: ${path} ${why} on this machine (the controller): make a key with ssh-keygen -t ed25519, or point vm_ssh_public_key at your public key file`);
  }
  if (/PRIVATE KEY/.test(text)) {
    throw new Error(`vm_ssh_public_key: ${path} holds a PRIVATE key: give the public one (${path.endsWith('.pub') ? 'the file ssh-keygen -y prints' : `${path}.pub`}); a private key never leaves this machine`);
  }
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const bad = lines.find((l) => !KEY_LINE.test(l));
  if (lines.length === 0 || bad !== undefined) {
    throw new Error(`vm_ssh_public_key: ${path} is not an OpenSSH public key file (${bad === undefined ? 'it holds no key' : `"${bad.slice(0, 40)}…" is not a key line`}): give a .pub file, e.g. ~/.ssh/id_ed25519.pub`);
  }
  return lines.join('\n');
}
