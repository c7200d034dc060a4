/**
 * The wizard as a person meets it: `npx zx playbooks/setup.ts --offline` under a real pseudo-terminal (Python's pty
 * module), answered with keystrokes — Enter for defaults, typed values, arrows and space in the checkbox, "y" to replace
 * the existing .env after its diff — then the files it wrote and the next command it printed.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnCollect } from '../../lib/connectors/process.ts';
import { loadEnvFile } from '../../lib/inventory/env-file.ts';
import { loadInventory } from '../../lib/inventory/load.ts';
import { buildSchema } from '../../lib/inventory/schema.ts';
import { allRoles } from '../../roles/index.ts';
import { freePort, makeKey } from '../helpers/sshd.ts';
import { workDir } from './helpers.ts';

const t = suite('setup wizard in a pseudo-terminal');
const root = new URL('../..', import.meta.url).pathname;
const ENTER = '\r';
const DOWN = '\x1b[B';

t('keystrokes: defaults, typed values, a checkbox toggled; the inventory and .env written; the next commands printed', async () => {
  const w = workDir();
  // An existing .env (readable by others) that is not the wizard's: the wizard shows the diff and asks before replacing.
  writeFileSync(w.env, '# my notes\n', { mode: 0o644 });
  const steps = [
    { expect: "Proxmox host's address", send: `192.168.7.10${ENTER}` },
    { expect: 'SSH user on it', send: ENTER },
    { expect: 'SSH port', send: ENTER },
    { expect: 'Private SSH key', send: ENTER },
    { expect: 'Your LAN', send: ENTER },
    { expect: 'Your router', send: ENTER },
    { expect: "services VM's address", send: ENTER },
    { expect: 'VMID', send: ENTER },
    { expect: 'CPU cores', send: `2${ENTER}` },
    { expect: 'Memory \\(MiB\\)', send: ENTER },
    { expect: 'Domain of the services', send: ENTER },
    { expect: 'Time zone', send: `Europe/Paris${ENTER}` },
    { expect: "The pool's disks", send: `/dev/disk/by-id/ata-DISK_A /dev/disk/by-id/ata-DISK_B${ENTER}` },
    // Every part is checked; the fifth (tailscale) is unchecked.
    { expect: 'Parts \\(space toggles', send: `${DOWN}${DOWN}${DOWN}${DOWN} ${ENTER}` },
    { expect: 'Off-site copy', send: ENTER },
    { expect: 'Where firing alerts go', send: ENTER },
    { expect: 'Replace it\\?', send: `y${ENTER}` },
  ];
  const spec = join(w.dir, 'pty.json');
  const env: Record<string, string> = { ...(process.env as Record<string, string>), TERM: 'xterm-256color', COLUMNS: '200', LINES: '50' };
  delete env.CI;
  writeFileSync(spec, JSON.stringify({ argv: ['npx', 'zx', 'playbooks/setup.ts', '--offline', '-i', w.inv, '--secrets', w.env], cwd: root, env, timeout: 90, steps }));
  const res = await spawnCollect('python3', [join(root, 'test/helpers/pty_keys.py'), spec], { timeoutMs: 120_000 });
  // npx draws a spinner (braille characters) while it starts: not part of the wizard's output.
  const screen = res.stdout.replace(/[\u2800-\u28ff]/g, '');
  assert.is(res.code, 0, screen + res.stderr);
  // The diff of .env was shown (secrets as ***) before the question.
  assert.match(screen, `--- ${w.env}`);
  assert.match(screen, '+GRAFANA_ADMIN_PASSWORD=***');
  const next = /Next: see what would change, then do it:\s+npx zx playbooks\/site\.ts -i \S+ --secrets \S+ --skip-tags tailscale --check\s+npx zx playbooks\/site\.ts -i \S+ --secrets \S+ --skip-tags tailscale\s*$/;
  assert.ok(next.test(screen), `the next commands are not the last lines:\n${screen.slice(-1200)}`);

  const pve = loadInventory(w.inv, buildSchema(allRoles)).hosts.get('pve')!;
  assert.is(pve.vars.ansible_host, '192.168.7.10');
  assert.is(pve.vars.vm_ip, '192.168.7.20');
  assert.is(pve.vars.vm_gateway, '192.168.7.1');
  assert.is(pve.vars.vm_cores, 2);
  assert.is(pve.vars.vm_memory_mib, 6144);
  assert.is(pve.vars.timezone, 'Europe/Paris');
  assert.equal(pve.vars.zfs_disks, ['/dev/disk/by-id/ata-DISK_A', '/dev/disk/by-id/ata-DISK_B']);
  assert.equal(pve.vars.stack_profiles, ['media', 'photos', 'proxy', 'monitoring']);
  assert.is(statSync(w.env).mode & 0o777, 0o600);
  const envText = readFileSync(w.env, 'utf8');
  assert.match(envText, /^# my notes$/m);
  assert.match(loadEnvFile(w.env).values.GRAFANA_ADMIN_PASSWORD!, /^[A-Za-z0-9]{24}$/);
  assert.not.match(screen, loadEnvFile(w.env).values.GRAFANA_ADMIN_PASSWORD!);
  rmSync(w.dir, { recursive: true });
});

t('the host does not answer: the wizard says why and offers to go on offline; default paths in the current directory', async () => {
  const w = workDir();
  const home = join(w.dir, 'home');
  mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  await makeKey(join(home, '.ssh'), 'id_ed25519');
  const port = await freePort();
  const steps = [
    { expect: "Proxmox host's address", send: `127.0.0.1${ENTER}` },
    { expect: 'SSH user on it', send: ENTER },
    { expect: 'SSH port', send: `${port}${ENTER}` },
    { expect: 'Private SSH key.*~/\\.ssh/id_ed25519', send: ENTER },
    { expect: 'connection refused', send: '' },
    // try again · go on without connecting · quit
    { expect: 'What now\\?', send: `${DOWN}${ENTER}` },
    ...['Your LAN', 'Your router', "services VM's address", 'VMID', 'CPU cores', 'Memory', 'Domain', 'Time zone', "The pool's disks", 'Parts', 'Tailscale auth key', 'Off-site copy', 'Where firing alerts go'].map((expect) => ({ expect, send: ENTER })),
  ];
  const spec = join(w.dir, 'pty.json');
  const env: Record<string, string> = { ...(process.env as Record<string, string>), HOME: home, TERM: 'xterm-256color' };
  delete env.CI;
  // Under npm test, NODE_OPTIONS may carry "--import tsx", which cannot resolve from the temp directory: the loader is given by path.
  delete env.NODE_OPTIONS;
  const loader = join(root, 'node_modules/tsx/dist/loader.mjs');
  writeFileSync(spec, JSON.stringify({ argv: [process.execPath, '--import', loader, join(root, 'playbooks/setup.ts')], cwd: w.dir, env, timeout: 90, steps }));
  const res = await spawnCollect('python3', [join(root, 'test/helpers/pty_keys.py'), spec], { timeoutMs: 120_000 });
  assert.is(res.code, 0, res.stdout + res.stderr);
  assert.match(res.stdout, `is sshd running and listening on port ${port}?`);
  assert.match(res.stdout, 'no disk is chosen for the pool: set zfs_disks in inventory/hosts.yml');
  assert.match(res.stdout, /npx zx playbooks\/site\.ts --skip-tags tailscale --check\r?\n/);
  const pve = loadInventory(join(w.dir, 'inventory/hosts.yml'), buildSchema(allRoles)).hosts.get('pve')!;
  assert.is(pve.vars.ansible_port, port);
  assert.is(pve.vars.ansible_ssh_private_key_file, '~/.ssh/id_ed25519');
  assert.is(statSync(join(w.dir, '.env')).mode & 0o777, 0o600);
  rmSync(w.dir, { recursive: true });
});

t.run();
