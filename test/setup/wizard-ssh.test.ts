/**
 * The wizard against real hosts: its connection check on a real OpenSSH sshd (127.0.0.1, throwaway keys), facts and
 * the disk list gathered through it from this machine, and the disk list's verdicts on real loop devices (blank, an
 * ext4 filesystem, mounted) next to this machine's real root disk. Needs root, sshd and loop devices.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LocalConnector } from '../../lib/connectors/local.ts';
import { gatherFacts } from '../../lib/facts/gather.ts';
import { loadInventory } from '../../lib/inventory/load.ts';
import { buildSchema } from '../../lib/inventory/schema.ts';
import { listDisks } from '../../lib/modules/disks/list.ts';
import { parseAnswers } from '../../lib/wizard/answers.ts';
import { AnswersPrompter } from '../../lib/wizard/answers-prompter.ts';
import { checkSsh, copyIdCommand } from '../../lib/wizard/ssh-access.ts';
import { pveAccess, reachPve, PveUnreachable } from '../../playbooks/setup/pve.ts';
import { vmCores, vmMemoryMiB } from '../../playbooks/setup/sizing.ts';
import { allRoles } from '../../roles/index.ts';
import { freePort, makeKey, sshdUnavailableReason, startSshd, type SshdFixture } from '../helpers/sshd.ts';
import { removeTempDir, sh, shOk, tempDir } from '../helpers/steps.ts';
import { setup, workDir } from './helpers.ts';

const t = suite('setup wizard against a real sshd and real disks');
const skip = sshdUnavailableReason();
let sshd: SshdFixture;
let controlDir = '';
const dir = tempDir('msh-setup-disks-');
const byId = join(dir, 'by-id');
const loops: string[] = [];
let mounted = '';

const sshOpts = () => ({ knownHostsFile: sshd.knownHostsFile, controlDir, connectTimeoutSec: 5 });

async function loopDisk(name: string, prepare = ''): Promise<string> {
  const img = join(dir, `${name}.img`);
  const dev = (await shOk(`truncate -s 64M ${img} && losetup -f --show ${img}`)).trim();
  loops.push(dev);
  await shOk(`ln -s ${dev} ${join(byId, `virtio-msh-${name}`)}${prepare ? ` && ${prepare.replaceAll('$DEV', dev)}` : ''}`);
  return dev;
}

t.before(async () => {
  if (skip) return;
  sshd = await startSshd();
  controlDir = mkdtempSync('/tmp/msh-w-');
  await shOk(`mkdir -p ${byId} ${join(dir, 'busy')}`);
});

t.after(async () => {
  if (mounted) await sh(`umount ${mounted}`);
  for (const l of loops) await sh(`losetup -d ${l}`);
  removeTempDir(dir);
  if (controlDir) rmSync(controlDir, { recursive: true, force: true });
  await sshd?.stop();
});

t('the connection check succeeds on a real sshd with the right key', async () => {
  if (skip) return console.log(`SKIPPED: ${skip}`);
  const res = await checkSsh({ host: sshd.host, port: sshd.port, user: 'root', keyFile: sshd.keyFile, ...sshOpts() });
  assert.ok(res.ok, res.ok ? '' : res.message);
  if (res.ok) await res.conn.close();
});

t('a closed port: unreachable, saying the connection was refused and what to check', async () => {
  if (skip) return;
  const port = await freePort();
  const res = await checkSsh({ host: '127.0.0.1', port, user: 'root', keyFile: sshd.keyFile, ...sshOpts() });
  assert.is(res.ok, false);
  if (res.ok) return;
  assert.is(res.problem, 'unreachable');
  assert.match(res.message, `cannot connect to root@127.0.0.1:${port}: connection refused`);
  assert.match(res.message, `is sshd running and listening on port ${port}?`);
  // Without a person the wizard stops there, saying so, and suggests --offline.
  const p = new AnswersPrompter(parseAnswers('', 'a.yml', []));
  const err = await reachPve(p, pveAccess(sshOpts()), { host: '127.0.0.1', port, user: 'root', keyFile: sshd.keyFile }).catch((e: Error) => e);
  assert.instance(err, PveUnreachable);
  assert.match((err as Error).message, 'pass --offline');
});

t('a key the host does not know: "auth", and the fix offered is ssh-copy-id of that key', async () => {
  if (skip) return;
  const other = await makeKey(sshd.dir, 'unknown_ed25519');
  const res = await checkSsh({ host: sshd.host, port: sshd.port, user: 'root', keyFile: other, ...sshOpts() });
  assert.is(res.ok, false);
  if (res.ok) return;
  assert.is(res.problem, 'auth');
  assert.match(res.message, 'authentication failed as user root');
  assert.equal(copyIdCommand({ host: sshd.host, port: sshd.port, user: 'root', keyFile: other }), ['ssh-copy-id', '-i', `${other}.pub`, '-p', String(sshd.port), 'root@127.0.0.1']);
});

t('through sshd: facts size the VM, and the disk list excludes the root disk', async () => {
  if (skip) return;
  const w = workDir();
  const answers = w.answers(`pve_host: 127.0.0.1\npve_port: ${sshd.port}\nssh_key: ${sshd.keyFile}\nlan_cidr: 127.0.0.0/24\n`);
  const r = await setup(['--answers', answers, '-i', w.inv, '--secrets', w.env], { access: pveAccess(sshOpts()) });
  assert.is(r.code, 0, r.err);
  const facts = await gatherFacts(new LocalConnector());
  assert.match(r.out, `ok: ${facts.hostname}`);
  const pve = loadInventory(w.inv, buildSchema(allRoles)).hosts.get('pve')!;
  assert.is(pve.vars.vm_memory_mib, vmMemoryMiB(facts.memoryMiB));
  assert.is(pve.vars.vm_cores, vmCores(facts.cpus));
  assert.is(pve.vars.ansible_port, sshd.port);
  // This machine's root disk is listed as in use, and never chosen.
  const root = (await shOk("findmnt -n -o SOURCE /")).trim();
  const listed = await listDisks(new LocalConnector());
  const rootDisk = listed.find((d) => root.startsWith(d.device));
  assert.ok(rootDisk, `no listed disk holds ${root}: ${JSON.stringify(listed)}`);
  assert.is(rootDisk!.state, 'in-use');
  assert.match(rootDisk!.detail, 'holds /');
  // The wizard's own list, gathered through sshd, says the same.
  assert.match(r.out, `${rootDisk!.device}  — in use: `);
  assert.match(r.out, /in use: .*holds \//);
  assert.not.ok((pve.vars.zfs_disks as string[]).some((d) => d.includes(rootDisk!.device)));
  assert.match(readFileSync(w.inv, 'utf8'), 'zfs_disks: []');
  rmSync(w.dir, { recursive: true });
});

t('real disks: blank, holding data (needs --wipe) and mounted (in use), with size and by-id name', async () => {
  if (skip) return;
  const blank = await loopDisk('blank');
  const data = await loopDisk('data', 'mkfs.ext4 -q -L photos $DEV');
  const busy = await loopDisk('busy', 'mkfs.ext4 -q -L busy $DEV');
  await shOk(`mount ${busy} ${join(dir, 'busy')}`);
  mounted = join(dir, 'busy');
  const listed = await listDisks(new LocalConnector(), { byIdDir: byId, types: ['disk', 'loop'] });
  const by = (dev: string) => listed.find((d) => d.device === dev)!;
  assert.equal({ ...by(blank), model: '' }, { device: blank, byId: join(byId, 'virtio-msh-blank'), size: 64 * 1024 * 1024, model: '', serial: '', state: 'blank', detail: '' });
  assert.is(by(data).state, 'data');
  assert.match(by(data).detail, "ext4 filesystem labelled 'photos'");
  assert.is(by(busy).state, 'in-use');
  assert.match(by(busy).detail, `is mounted at ${join(dir, 'busy')}`);
  assert.ok(listed.some((d) => d.state === 'in-use' && d.detail.includes('holds /')), 'the root disk is listed as in use');
});

t.run();
