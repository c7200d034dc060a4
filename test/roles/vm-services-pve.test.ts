/**
 * Role vm-services-create run by the engine (planRun + runPlay, local connection) on this machine against the Proxmox
 * CLI SIMULATOR (files/lab/pve-simulator/: qm, pvesm, pvesh, pveversion on the PATH, state in a temp directory).
 * The "VM" the simulator starts does not run: the SSH the role waits for is a real OpenSSH sshd started by the test
 * on 127.0.0.1 (vm_ip 127.0.0.1, ssh_port its port). Passing here proves the role against the simulator only.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { RoleFlags } from '../../lib/api/role.ts';
import { parseInventory } from '../../lib/inventory/load.ts';
import { buildSchema } from '../../lib/inventory/schema.ts';
import type { RunEvent } from '../../lib/runner/events.ts';
import type { RunOptions } from '../../lib/runner/options.ts';
import { planRun } from '../../lib/runner/plan.ts';
import { runPlay } from '../../lib/runner/run-play.ts';
import { createDefaults } from '../../roles/vm-services/defaults.ts';
import { vmServicesCreate } from '../../roles/vm-services/index.ts';
import { verifyCreate } from '../../roles/vm-services/verify.ts';
import { keysFile } from '../../roles/vm-services/vm-steps.ts';
import { sshAnswers, waitForSsh } from '../../roles/vm-services/wait-ssh.ts';
import { cloudImageStandin, cloudImageStandinSha256 } from '../helpers/cloud-image-standin.ts';
import { freePort, makeKey, sshdUnavailableReason, startSshd, type SshdFixture } from '../helpers/sshd.ts';
import { context, rejects, removeTempDir, runStep, sh, shOk, tempDir } from '../helpers/steps.ts';

const SIM = fileURLToPath(new URL('../../files/lab/pve-simulator/pve-simulator.py', import.meta.url));
const t = suite('vm-services-create: the whole pve play against the Proxmox CLI simulator');
const dir = tempDir('msh-vm-create-');
const state = join(dir, 'state');
const image = join(dir, 'source', 'noble.img');
let sshd: SshdFixture;
let publicKey = '';
let imageSha = '';

t.before(async () => {
  const reason = sshdUnavailableReason();
  if (reason) throw new Error(reason);
  for (const d of ['bin', 'state', 'source', 'keys']) mkdirSync(join(dir, d));
  for (const tool of ['qm', 'pvesm', 'pvesh', 'pveversion']) {
    writeFileSync(join(dir, 'bin', tool), `#!/bin/sh\nexec python3 ${SIM} ${tool} "$@"\n`);
    chmodSync(join(dir, 'bin', tool), 0o755);
  }
  process.env['PATH'] = `${join(dir, 'bin')}:${process.env['PATH'] ?? '/usr/bin:/bin'}`;
  process.env['PVE_SIMULATOR_STATE'] = state;
  writeFileSync(join(state, 'version'), '8.4.1');
  writeFileSync(image, cloudImageStandin());
  imageSha = cloudImageStandinSha256();
  publicKey = `${await makeKey(join(dir, 'keys'), 'id_ed25519')}.pub`;
  // What role zfs leaves on a PVE 8.4 host: one directory mapping per dataset.
  const node = (await shOk('uname -n | cut -d. -f1')).trim();
  for (const d of ['appdata', 'backups', 'media', 'photos']) {
    mkdirSync(join(dir, 'tank', d), { recursive: true });
    await shOk(`pvesh create /cluster/mapping/dir --id tank-${d} --map node=${node},path=${join(dir, 'tank', d)}`);
  }
  sshd = await startSshd();
});

t.after(async () => {
  await sshd?.stop();
  removeTempDir(dir);
});

function inventory(vars: Record<string, string | number>): string {
  const all: Record<string, string | number> = {
    ansible_connection: 'local',
    vm_ip: '127.0.0.1',
    vm_prefix_len: 8,
    vm_gateway: '127.0.0.254',
    vm_cores: 2,
    vm_ssh_public_key: publicKey,
    vm_image_url: `file://${image}`,
    vm_image_sha256: imageSha,
    vm_image_dir: join(dir, 'iso'),
    vm_boot_timeout_seconds: 10,
    ssh_port: sshd.port,
    ...vars,
  };
  return `all:\n  children:\n    pve:\n      hosts:\n        pve:\n${Object.entries(all).map(([k, v]) => `          ${k}: ${JSON.stringify(v)}`).join('\n')}\n`;
}

type StepEvent = Extract<RunEvent, { type: 'step' }>;

async function play(vars: Record<string, string | number> = {}, opts: { check?: boolean; extra?: RoleFlags } = {}) {
  const inv = parseInventory(inventory(vars), 'inv.yml', buildSchema([vmServicesCreate]));
  const run: RunOptions = { inventory: 'inv.yml', envFile: '.env', check: opts.check ?? false, diff: false, tags: [], skipTags: [], limit: [], verbosity: 0, json: true, yes: false, forks: 1, logDir: '', extra: (opts.extra ?? {}) as RunOptions['extra'] };
  const plans = planRun(inv, [vmServicesCreate], { file: '.env', exists: false, values: {} }, run);
  const events: RunEvent[] = [];
  const { exitCode, recap } = await runPlay(plans, { playbook: 'vm-services', checkMode: run.check, diff: false, yes: false, forks: 1 }, (e) => events.push(e));
  const steps = events.filter((e): e is StepEvent => e.type === 'step');
  const byTitle = (prefix: string) => steps.find((s) => s.title.startsWith(prefix));
  return { exitCode, recap: recap[0]!, steps, byTitle, changed: steps.filter((s) => s.status === 'changed').map((s) => s.title) };
}

const qm = async (args: string) => (await shOk(`qm ${args}`)).trim();

t('--check on a fresh host: says exactly what it would run, changes nothing', async () => {
  const r = await play({}, { check: true });
  assert.is(r.exitCode, 0, JSON.stringify(r.steps, null, 1));
  assert.equal(r.changed, ['Image directory', 'Ubuntu 24.04 cloud image', 'VM 100 (services)', 'VM 100 disk is 32 GiB', 'VM 100 running']);
  assert.is(r.byTitle('Ubuntu')!.message, `download file://${image} to ${join(dir, 'iso', 'noble.img')}`);
  assert.is(
    r.byTitle('VM 100 (')!.message,
    `qm create 100 --name services --ostype l26 --machine q35 --cpu host --sockets 1 --cores 2 --memory 6144 --scsihw virtio-scsi-single ` +
      `--scsi0 local-lvm:0,import-from=${join(dir, 'iso', 'noble.img')},discard=on,iothread=1 --ide2 local-lvm:cloudinit --boot order=scsi0 ` +
      `--serial0 socket --vga serial0 --agent 1 --net0 virtio,bridge=vmbr0 --ciuser admin --sshkeys /run/msh-vm-100-sshkeys.pub ` +
      `--ipconfig0 ip=127.0.0.1/8,gw=127.0.0.254 --onboot 1 --virtiofs0 tank-appdata,cache=auto --virtiofs1 tank-backups,cache=auto ` +
      `--virtiofs2 tank-media,cache=auto --virtiofs3 tank-photos,cache=auto (keys from ${publicKey})`,
  );
  assert.is(r.byTitle('VM 100 disk')!.message, 'qm resize 100 scsi0 32G (the disk of the new VM)');
  assert.is(r.byTitle('SSH answers')!.status, 'ok', 'the stand-in sshd answers');
  // This machine has no GVT-g iGPU: the VM gets none, and the role says why (not a change).
  assert.match(r.byTitle('Notes')!.message ?? '', /^NOTE: iGPU \(gvt-g\) not attached to VM 100: the host offers no GVT-g device \(0000:00:02\.0 has no i915-GVTg_V5_4 type\)/);
  assert.is(await qm('list'), '');
  assert.not.ok(existsSync(join(dir, 'iso', 'noble.img')));
});

t('converge: image downloaded and verified, VM created from it, grown, started; SSH awaited; the keys file is gone', async () => {
  const r = await play();
  assert.is(r.exitCode, 0, JSON.stringify(r.steps.filter((s) => s.status === 'failed')));
  assert.equal(r.changed, ['Image directory', 'Ubuntu 24.04 cloud image', 'VM 100 (services)', 'VM 100 disk is 32 GiB', 'VM 100 running']);
  assert.equal(readFileSync(join(dir, 'iso', 'noble.img')), readFileSync(image));
  const config = await qm('config 100');
  assert.match(config, /^scsi0: local-lvm:vm-100-disk-0,discard=on,iothread=1,size=32G$/m);
  assert.match(config, /^virtiofs3: tank-photos,cache=auto$/m);
  assert.match(config, `sshkeys: ${encodeURIComponent(readFileSync(publicKey, 'utf8').trim())}%0A`);
  assert.not.match(config, /hostpci/);
  assert.is(await qm('status 100'), 'status: running');
  assert.not.ok(existsSync(keysFile(100)));
  for (const check of verifyCreate({ ...createDefaults, vm_ip: '127.0.0.1', vm_prefix_len: 8, vm_gateway: '127.0.0.254', vm_cores: 2, vm_image_url: `file://${image}`, vm_image_sha256: imageSha, vm_image_dir: join(dir, 'iso'), ssh_port: sshd.port })) {
    assert.is(check.expect(await sh(check.script)), undefined, check.title);
  }
});

t('rerun: 0 changed', async () => {
  const r = await play();
  assert.is(r.exitCode, 0);
  assert.equal(r.changed, []);
  assert.equal(r.recap.changed, 0);
});

t('new cores and memory: qm set on the running VM; they wait for a restart, said on the restart line; the rerun changes nothing', async () => {
  const r = await play({ vm_cores: 1, vm_memory_mib: 4096 });
  assert.is(r.exitCode, 0);
  assert.equal(r.changed, ['VM 100 (services)']);
  assert.is(r.byTitle('VM 100 (')!.message, 'qm set 100 --cores 1 --memory 4096: cores 2 → 1, memory 6144 → 4096');
  const restart = 'VM RESTART NEEDED: cores 2 → 1, memory 6144 → 4096 wait for VM 100 to restart — run qm reboot 100 on the Proxmox host when convenient, or run again with --restart-vm';
  assert.equal([r.byTitle('VM 100 restarted')!.status, r.byTitle('VM 100 restarted')!.message], ['skipped', restart]);
  assert.match(await qm('config 100 --current'), /^cores: 2$/m);
  const again = await play({ vm_cores: 1, vm_memory_mib: 4096 });
  assert.equal(again.changed, []);
  assert.is(again.byTitle('VM 100 restarted')!.message, restart);
  // --check says the same and changes nothing.
  const check = await play({ vm_cores: 1, vm_memory_mib: 4096 }, { check: true });
  assert.equal(check.changed, []);
});

t('--restart-vm: qm reboot applies what waits; then nothing waits and the rerun changes nothing', async () => {
  const r = await play({ vm_cores: 1, vm_memory_mib: 4096 }, { extra: { 'restart-vm': true } });
  assert.is(r.exitCode, 0);
  assert.equal(r.changed, ['VM 100 restarted for pending settings']);
  assert.is(r.byTitle('VM 100 restarted')!.message, 'qm reboot 100 (applies cores 2 → 1, memory 6144 → 4096)');
  assert.match(await qm('config 100 --current'), /^cores: 1$/m);
  assert.is(await qm('pending 100').then((p) => p.split('\n').filter((l) => !l.startsWith('cur ')).length), 0);
  const again = await play({ vm_cores: 1, vm_memory_mib: 4096 }, { extra: { 'restart-vm': true } });
  assert.equal(again.changed, []);
  assert.is(again.byTitle('VM 100 restarted')!.status, 'ok');
});

t('a VMID used by another VM is an error naming both; a VM of that name elsewhere is not duplicated', async () => {
  await qm('create 101 --name other --memory 512');
  const taken = await play({ vm_id: 101 });
  assert.is(taken.exitCode, 2);
  const failed = taken.steps.find((s) => s.status === 'failed')!;
  assert.is(failed.title, 'VM 101 (services)');
  assert.is(failed.message, 'VMID 101 is already used by the VM "other", not "services": choose a free vm_id (pvesh get /cluster/nextid gives one), or set vm_name: other to adopt that VM');
  assert.match(await qm('config 101'), /^name: other$/m);
  const elsewhere = await play({ vm_id: 102 });
  assert.is(elsewhere.exitCode, 2);
  assert.is(elsewhere.steps.find((s) => s.status === 'failed')!.message, 'a VM named services already exists as VMID 100: set vm_id: 100 to adopt it, or choose another vm_name');
  assert.is((await sh('qm config 102')).code, 2, 'nothing was created');
});

t('virtiofs devices whose directory mappings do not exist are refused, naming them and the zfs role; --check only notes it', async () => {
  // The zfs role made tank-* (before()); a pool named lake has none.
  const r = await play({ vm_id: 104, vm_name: 'svc2', zfs_pool: 'lake' });
  assert.is(r.exitCode, 2);
  assert.is(
    r.steps.find((s) => s.status === 'failed')!.message,
    "the directory mappings lake-appdata, lake-backups, lake-media, lake-photos the VM's virtiofs devices need do not exist on this Proxmox host: run the zfs role first (npx zx playbooks/zfs.ts makes them), or set zfs_share: nfs",
  );
  assert.is((await sh('qm config 104')).code, 2, 'nothing was created');
  const check = await play({ vm_id: 104, vm_name: 'svc2', zfs_pool: 'lake' }, { check: true });
  assert.is(check.exitCode, 0);
  assert.match(check.byTitle('VM 104 (svc2)')!.message!, /^qm create 104 /);
});

t('refused before anything changes: too much memory for the host, a storage that cannot hold disks, a private key', async () => {
  const tooMuch = await play({ vm_memory_mib: 1024 * 1024 });
  assert.is(tooMuch.exitCode, 2);
  assert.match(tooMuch.steps[0]!.message!, /^vm_memory_mib 1048576 is too much for this host: it has \d+ MiB of RAM and keeps vm_host_reserved_mib 2048 MiB for itself, so at most \d+ MiB fit: lower vm_memory_mib$/);
  const storage = await play({ vm_storage: 'local' });
  assert.is(storage.steps[0]!.message, 'storage local does not exist or cannot hold VM disks (content "images"); storages that can: local-lvm: set vm_storage to one of them');
  const priv = await play({ vm_ssh_public_key: publicKey.replace(/\.pub$/, '') });
  assert.is(priv.exitCode, 2);
  assert.match(priv.steps.find((s) => s.status === 'failed')!.message!, /holds a PRIVATE key/);
});

t('the SSH wait: a port that never answers fails after the timeout, naming the IP and what to look at', async () => {
  const closed = await freePort();
  const ctx = await context();
  const message = await rejects(waitForSsh(ctx, { vmid: 100, ip: '127.0.0.1', ports: [closed], timeoutSec: 1, intervalMs: 200 }), /did not answer SSH/);
  assert.is(
    message,
    `the VM did not answer SSH on 127.0.0.1 (port ${closed}) within 1s. Look at its console on the Proxmox host: qm terminal 100 (leave with Ctrl+O); ` +
      'in the VM, cloud-init status --long tells whether cloud-init ran. Check that vm_ip, vm_prefix_len and vm_gateway fit your LAN, that vm_bridge is the LAN bridge, ' +
      'and what qm cloudinit dump 100 network says',
  );
  // Opened while waiting: the wait ends as soon as it answers.
  const step = sshAnswers({ vmid: 100, ip: '127.0.0.1', ports: [closed, sshd.port], timeoutSec: 5 });
  assert.equal(await runStep(step), { changed: false, change: null });
});

t.run();
