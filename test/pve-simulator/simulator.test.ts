/**
 * Tests of the pve-simulator (files/lab/pve-simulator/), a SIMULATOR of qm, pvesm, pvesh and pveversion for the
 * lab's `pve` host. They run the real Python program on this machine with a temporary state directory
 * (PVE_SIMULATOR_STATE). Passing here proves the simulator, not Proxmox VE.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cloudImageStandin } from '../helpers/cloud-image-standin.ts';

const DIR = fileURLToPath(new URL('../../files/lab/pve-simulator/', import.meta.url));
const SIM = join(DIR, 'pve-simulator.py');
const NODE = hostname().split('.')[0] ?? '';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

interface Ctx {
  dir: string;
  state: string;
}

/** Runs `pve-simulator.py <tool> args...` with the test's state directory. */
function sim(ctx: Ctx, args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      'python3',
      [SIM, ...args],
      {
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', PYTHONCOERCECLOCALE: '0', PVE_SIMULATOR_STATE: ctx.state, ...env },
        cwd: ctx.dir,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function ok(ctx: Ctx, args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await sim(ctx, args, env);
  if (r.code !== 0) throw new Error(`simulator ${args.join(' ')} failed (exit ${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** `qm config` output as a key → value map. */
function parseConfig(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(': ');
    if (i > 0) map.set(line.slice(0, i), line.slice(i + 2));
  }
  return map;
}

async function config(ctx: Ctx, vmid: number, current = false): Promise<Map<string, string>> {
  return parseConfig(await ok(ctx, ['qm', 'config', String(vmid), ...(current ? ['--current'] : [])]));
}

const ROLE_CREATE = (ctx: Ctx, vmid: number): string[] => [
  'qm', 'create', String(vmid), '--name', 'services', '--memory', '6144', '--cores', '4', '--sockets', '1',
  '--cpu', 'host', '--net0', 'virtio,bridge=vmbr0', '--scsihw', 'virtio-scsi-single',
  '--scsi0', `local-lvm:0,import-from=${join(ctx.dir, 'noble.qcow2')},discard=on`, '--ide2', 'local-lvm:cloudinit',
  '--boot', 'order=scsi0', '--serial0', 'socket', '--vga', 'serial0', '--agent', 'enabled=1', '--ostype', 'l26',
  '--ciuser', 'admin', '--sshkeys', join(ctx.dir, 'key.pub'), '--ipconfig0', 'ip=192.168.1.20/24,gw=192.168.1.1',
  '--nameserver', '192.168.1.1', '--onboot', '1', '--machine', 'q35',
];

const test = suite<Ctx>('pve-simulator', { dir: '', state: '' });

test.before.each((ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), 'pvesim-test-'));
  ctx.state = join(ctx.dir, 'state');
  writeFileSync(join(ctx.dir, 'noble.qcow2'), cloudImageStandin());
  writeFileSync(join(ctx.dir, 'key.pub'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITestKey admin@laptop\n');
});
test.after.each((ctx) => rmSync(ctx.dir, { recursive: true, force: true }));

test('simulator: pveversion prints the default PVE 8.4 line; -v lists packages', async (ctx) => {
  assert.is(await ok(ctx, ['pveversion']), 'pve-manager/8.4.1/2a5fa54a8503f96d (running kernel: 6.8.12-9-pve)\n');
  const verbose = await ok(ctx, ['pveversion', '-v']);
  const lines = verbose.trim().split('\n');
  assert.is(lines[0], 'proxmox-ve: 8.4.0 (running kernel: 6.8.12-9-pve)');
  assert.is(lines[1], 'pve-manager: 8.4.1 (running version: 8.4.1/2a5fa54a8503f96d)');
  assert.match(verbose, /^qemu-server: \S+$/m);
  assert.match(verbose, /^zfsutils-linux: \S+$/m);
  const bad = await sim(ctx, ['pveversion', 'extra']);
  assert.is(bad.code, 255);
  assert.is(bad.stderr, 'USAGE: pveversion [--verbose]\n');
});

test('simulator: the version file selects the simulated release (plain version or JSON)', async (ctx) => {
  mkdirSync(ctx.state, { recursive: true });
  writeFileSync(join(ctx.state, 'version'), '9.0.3\n');
  assert.is(await ok(ctx, ['pveversion']), 'pve-manager/9.0.3/025864202ebb6109 (running kernel: 6.14.8-2-pve)\n');
  const v = JSON.parse(await ok(ctx, ['pvesh', 'get', '/version', '--output-format', 'json'])) as Record<string, string>;
  assert.equal(v, { release: '9.0', repoid: '025864202ebb6109', version: '9.0.3' });
  writeFileSync(join(ctx.state, 'version'), JSON.stringify({ manager: '8.3.5', repoid: 'dac3aa88bac3f300', kernel: '6.8.12-8-pve' }));
  assert.is(await ok(ctx, ['pveversion']), 'pve-manager/8.3.5/dac3aa88bac3f300 (running kernel: 6.8.12-8-pve)\n');
});

test('simulator: qm create with the role options writes the config like the real one', async (ctx) => {
  const out = await ok(ctx, ROLE_CREATE(ctx, 100));
  assert.is(
    out,
    '  Logical volume "vm-100-cloudinit" created.\n' +
      '  Logical volume "vm-100-disk-0" created.\n' +
      'transferred 3.5 GiB of 3.5 GiB (100.00%)\n',
  );
  const conf = await config(ctx, 100);
  assert.is(conf.get('name'), 'services');
  assert.is(conf.get('memory'), '6144');
  assert.is(conf.get('cores'), '4');
  assert.is(conf.get('scsi0'), 'local-lvm:vm-100-disk-0,discard=on,size=3584M');
  assert.is(conf.get('ide2'), 'local-lvm:vm-100-cloudinit,media=cdrom');
  assert.match(conf.get('net0') ?? '', /^virtio=BC:24:11:[0-9A-F]{2}:[0-9A-F]{2}:[0-9A-F]{2},bridge=vmbr0$/);
  assert.is(conf.get('sshkeys'), 'ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAAITestKey%20admin%40laptop%0A');
  assert.is(conf.get('boot'), 'order=scsi0');
  assert.is(conf.get('agent'), 'enabled=1');
  assert.is(conf.get('onboot'), '1');
  assert.is(conf.get('ipconfig0'), 'ip=192.168.1.20/24,gw=192.168.1.1');
  assert.match(conf.get('smbios1') ?? '', /^uuid=[0-9a-f-]{36}$/);
  assert.match(conf.get('vmgenid') ?? '', /^[0-9a-f-]{36}$/);
  assert.match(conf.get('meta') ?? '', /^creation-qemu=9\.2\.0,ctime=\d+$/);
  // keys come sorted, "key: value" per line, nothing else
  const keys = (await ok(ctx, ['qm', 'config', '100'])).trim().split('\n').map((l) => l.split(':')[0] ?? '');
  assert.equal(keys, [...keys].sort());
  // the default boot order when none is given: first disk, then the first network device
  await ok(ctx, ['qm', 'create', '101', '--scsi0', 'local-lvm:8', '--net0', 'virtio,bridge=vmbr0', '--ide2', 'local-lvm:cloudinit']);
  assert.is((await config(ctx, 101)).get('boot'), 'order=scsi0;net0');
  assert.is((await config(ctx, 101)).get('scsi0'), 'local-lvm:vm-101-disk-0,size=8G');
});

test('simulator: qm create errors: VMID in use, invalid VMID, unknown option, storage without images', async (ctx) => {
  await ok(ctx, ['qm', 'create', '100', '--name', 'a']);
  const dup = await sim(ctx, ['qm', 'create', '100', '--name', 'b']);
  assert.is(dup.code, 255);
  assert.is(dup.stderr, `unable to create VM 100 - VM 100 already exists on node '${NODE}'\n`);
  assert.is((await config(ctx, 100)).get('name'), 'a');
  const low = await sim(ctx, ['qm', 'create', '99']);
  assert.is(low.code, 255);
  assert.is(low.stderr, '400 Parameter verification failed.\nvmid: value must have a minimum value of 100\nqm create <vmid> [OPTIONS]\n');
  const unknown = await sim(ctx, ['qm', 'create', '102', '--bogus', '1']);
  assert.is(unknown.code, 255);
  assert.is(unknown.stderr, 'Unknown option: bogus\n400 unable to parse option\nqm create <vmid> [OPTIONS]\n');
  const local = await sim(ctx, ['qm', 'create', '103', '--scsi0', 'local:8']);
  assert.is(local.code, 255);
  assert.is(local.stderr, "400 Parameter verification failed.\nstorage: storage 'local' does not support vm images\nqm create <vmid> [OPTIONS]\n");
  const nostore = await sim(ctx, ['qm', 'create', '104', '--scsi0', 'tank:8']);
  assert.is(nostore.stderr, "storage 'tank' does not exist\n");
  const noimg = await sim(ctx, ['qm', 'create', '105', '--scsi0', `local-lvm:0,import-from=${join(ctx.dir, 'missing.img')}`]);
  assert.is(noimg.stderr, `can't find file '${join(ctx.dir, 'missing.img')}'\n`);
  const nokey = await sim(ctx, ['qm', 'create', '106', '--sshkeys', join(ctx.dir, 'nokey.pub')]);
  assert.is(nokey.code, 2);
  assert.is(nokey.stderr, `can't open '${join(ctx.dir, 'nokey.pub')}' - No such file or directory\n`);
  for (const vmid of ['103', '104', '105', '106']) assert.is((await sim(ctx, ['qm', 'status', vmid])).code, 2);
});

test('simulator: unknown VMID → "Configuration file ... does not exist", exit 2 (255 from task workers)', async (ctx) => {
  const msg = `Configuration file 'nodes/${NODE}/qemu-server/999.conf' does not exist\n`;
  for (const args of [
    ['config', '999'],
    ['status', '999'],
    ['set', '999', '--memory', '1024'],
    ['destroy', '999'],
    ['reboot', '999'],
    ['pending', '999'],
    ['resize', '999', 'scsi0', '+1G'],
    ['cloudinit', 'dump', '999', 'user'],
    ['guest', 'cmd', '999', 'ping'],
    ['importdisk', '999', join(ctx.dir, 'noble.qcow2'), 'local-lvm'],
  ]) {
    const r = await sim(ctx, ['qm', ...args]);
    assert.is(r.code, 2, `qm ${args.join(' ')}`);
    assert.is(r.stderr, msg, `qm ${args.join(' ')}`);
    assert.is(r.stdout, '');
  }
  for (const cmd of ['start', 'stop', 'shutdown']) {
    const r = await sim(ctx, ['qm', cmd, '999']);
    assert.is(r.code, 255, `qm ${cmd}`);
    assert.is(r.stderr, msg);
  }
  const empty = await sim(ctx, ['qm', 'list']);
  assert.equal(empty, { code: 0, stdout: '', stderr: '' });
});

test('simulator: qm list columns, status and power state changes', async (ctx) => {
  await ok(ctx, ROLE_CREATE(ctx, 100));
  await ok(ctx, ['qm', 'create', '105', '--memory', '2048', '--scsi0', 'local-lvm:32']);
  const list = (await ok(ctx, ['qm', 'list'])).split('\n');
  assert.is(list[0], '      VMID NAME                 STATUS     MEM(MB)    BOOTDISK(GB) PID       ');
  assert.is(list[1], '       100 services             stopped    6144               3.50 0         ');
  assert.is(list[2], '       105 VM 105               stopped    2048              32.00 0         ');
  assert.is(await ok(ctx, ['qm', 'status', '100']), 'status: stopped\n');
  assert.is(await ok(ctx, ['qm', 'start', '100']), 'generating cloud-init ISO\n');
  assert.is(await ok(ctx, ['qm', 'status', '100']), 'status: running\n');
  const again = await sim(ctx, ['qm', 'start', '100']);
  assert.equal(again, { code: 255, stdout: '', stderr: 'VM 100 already running\n' });
  assert.match((await ok(ctx, ['qm', 'list'])).split('\n')[1] ?? '', /^ {7}100 services {13}running {4}6144 {15}3\.50 \d+ *$/);
  assert.match(await ok(ctx, ['qm', 'status', '100', '--verbose']), /^name: services\nnetin: 0\n/m);
  await ok(ctx, ['qm', 'reboot', '100']);
  assert.is(await ok(ctx, ['qm', 'status', '100']), 'status: running\n');
  assert.is(await ok(ctx, ['qm', 'shutdown', '100']), '');
  assert.is(await ok(ctx, ['qm', 'status', '100']), 'status: stopped\n');
  assert.is(await ok(ctx, ['qm', 'shutdown', '100']), '', 'shutting down a stopped VM is no error');
  assert.is(await ok(ctx, ['qm', 'stop', '100']), '');
  const reboot = await sim(ctx, ['qm', 'reboot', '100']);
  assert.equal(reboot, { code: 255, stdout: '', stderr: 'VM 100 not running\n' });
  await ok(ctx, ['qm', 'start', '105']);
  await ok(ctx, ['qm', 'stop', '105']);
  assert.is(await ok(ctx, ['qm', 'status', '105']), 'status: stopped\n');
});

test('simulator: qm set on a stopped VM applies at once, with the real "update VM" line and delete warnings', async (ctx) => {
  await ok(ctx, ROLE_CREATE(ctx, 100));
  const r = await sim(ctx, ['qm', 'set', '100', '--memory', '8192', '--cores', '2', '--delete', 'serial0,description']);
  assert.is(r.code, 0);
  assert.is(r.stdout, 'update VM 100: -cores 2 -delete serial0,description -memory 8192\n');
  assert.is(r.stderr, "cannot delete 'description' - not set in current configuration!\n");
  const cur = await config(ctx, 100, true);
  assert.is(cur.get('memory'), '8192');
  assert.is(cur.get('cores'), '2');
  assert.not.ok(cur.has('serial0'));
  assert.is(await ok(ctx, ['qm', 'pending', '100']).then((t) => t.includes('new ')), false);
  const none = await sim(ctx, ['qm', 'set', '100']);
  assert.equal(none, { code: 255, stdout: '', stderr: 'no options specified\n' });
  const both = await sim(ctx, ['qm', 'set', '100', '--cores', '3', '--delete', 'cores']);
  assert.is(both.stderr, "400 Parameter verification failed.\ndelete: you can't use '-cores' and -delete cores' at the same time\nqm set <vmid> [OPTIONS]\n");
  const boot = await sim(ctx, ['qm', 'set', '100', '--boot', 'order=scsi0;virtio3']);
  assert.is(boot.stderr, "invalid bootorder: device 'virtio3' does not exist'\n");
  assert.is(boot.code, 255);
  // a net option without MAC gets a new random one, as upstream parse_net does
  const before = (await config(ctx, 100)).get('net0');
  await ok(ctx, ['qm', 'set', '100', '--net0', 'virtio,bridge=vmbr1']);
  const after = (await config(ctx, 100)).get('net0');
  assert.match(after ?? '', /^virtio=BC:24:11:[0-9A-F:]{8},bridge=vmbr1$/);
  assert.is.not(after, before);
  await ok(ctx, ['qm', 'set', '100', '--net0', `${(before ?? '').replace(',bridge=vmbr0', '')},bridge=vmbr0,firewall=1`]);
  assert.is((await config(ctx, 100)).get('net0'), `${before ?? ''},firewall=1`);
  // sshkeys from a file, escaped like the real param mapping
  writeFileSync(join(ctx.dir, 'two.pub'), 'ssh-ed25519 AAAA1 a@b\nssh-rsa AAAA2 c@d\n');
  await ok(ctx, ['qm', 'set', '100', '--sshkeys', join(ctx.dir, 'two.pub')]);
  assert.is((await config(ctx, 100)).get('sshkeys'), 'ssh-ed25519%20AAAA1%20a%40b%0Assh-rsa%20AAAA2%20c%40d%0A');
});

test('simulator: qm set on a running VM keeps non-hotpluggable changes pending until reboot', async (ctx) => {
  await ok(ctx, ROLE_CREATE(ctx, 100));
  await ok(ctx, ['qm', 'start', '100']);
  await ok(ctx, ['qm', 'set', '100', '--memory', '8192', '--name', 'media', '--ciuser', 'ops', '--delete', 'serial0']);
  const merged = await config(ctx, 100);
  const current = await config(ctx, 100, true);
  assert.is(merged.get('memory'), '8192', 'qm config shows pending values');
  assert.is(current.get('memory'), '6144', 'qm config --current does not');
  assert.not.ok(merged.has('serial0'));
  assert.is(current.get('serial0'), 'socket');
  assert.is(current.get('name'), 'media', 'fast-plug options apply at once');
  assert.is(current.get('ciuser'), 'ops', 'cloud-init options apply at once');
  const pending = await ok(ctx, ['qm', 'pending', '100']);
  assert.match(pending, /^cur memory: 6144\nnew memory: 8192$/m);
  assert.match(pending, /^del serial0: socket$/m);
  assert.match(pending, /^cur name: media$/m);
  // a new SCSI disk is hotplugged
  await ok(ctx, ['qm', 'set', '100', '--scsi1', 'local-lvm:16']);
  assert.is((await config(ctx, 100, true)).get('scsi1'), 'local-lvm:vm-100-disk-1,size=16G');
  await ok(ctx, ['qm', 'reboot', '100']);
  const applied = await config(ctx, 100, true);
  assert.is(applied.get('memory'), '8192');
  assert.not.ok(applied.has('serial0'));
  assert.is(await ok(ctx, ['qm', 'pending', '100']).then((t) => /^(new|del) /m.test(t)), false);
});

test('simulator: qm destroy frees the volumes; refused while running', async (ctx) => {
  await ok(ctx, ROLE_CREATE(ctx, 100));
  await ok(ctx, ['qm', 'start', '100']);
  const running = await sim(ctx, ['qm', 'destroy', '100']);
  assert.equal(running, { code: 255, stdout: '', stderr: 'VM 100 is running - destroy failed\n' });
  await ok(ctx, ['qm', 'stop', '100']);
  assert.match(await ok(ctx, ['pvesm', 'list', 'local-lvm']), /local-lvm:vm-100-disk-0/);
  const out = await ok(ctx, ['qm', 'destroy', '100', '--purge']);
  assert.is(
    out,
    '  Logical volume "vm-100-cloudinit" successfully removed.\n' +
      '  Logical volume "vm-100-disk-0" successfully removed.\n' +
      'purging VM 100 from related configurations..\n',
  );
  assert.is((await sim(ctx, ['qm', 'config', '100'])).code, 2);
  assert.not.match(await ok(ctx, ['pvesm', 'list', 'local-lvm']), /vm-100/);
  assert.is(await ok(ctx, ['qm', 'list']), '');
  // the VMID is free again
  await ok(ctx, ['qm', 'create', '100', '--scsi0', 'local-lvm:4']);
  assert.is((await config(ctx, 100)).get('scsi0'), 'local-lvm:vm-100-disk-0,size=4G');
});

test('simulator: qm importdisk adds unusedN; attaching it removes the unused entry', async (ctx) => {
  await ok(ctx, ['qm', 'create', '100', '--name', 'services', '--scsihw', 'virtio-scsi-single']);
  const img = join(ctx.dir, 'noble.qcow2');
  const out = await ok(ctx, ['qm', 'importdisk', '100', img, 'local-lvm']);
  assert.is(
    out,
    `importing disk '${img}' to VM 100 ...\n` +
      '  Logical volume "vm-100-disk-0" created.\n' +
      'transferred 3.5 GiB of 3.5 GiB (100.00%)\n' +
      "unused0: successfully imported disk 'local-lvm:vm-100-disk-0'\n",
  );
  assert.is((await config(ctx, 100)).get('unused0'), 'local-lvm:vm-100-disk-0');
  await ok(ctx, ['qm', 'set', '100', '--scsi0', 'local-lvm:vm-100-disk-0,discard=on', '--boot', 'order=scsi0']);
  const conf = await config(ctx, 100);
  assert.is(conf.get('scsi0'), 'local-lvm:vm-100-disk-0,discard=on,size=3584M');
  assert.not.ok(conf.has('unused0'));
  // `qm disk import` is the same command
  assert.match(await ok(ctx, ['qm', 'disk', 'import', '100', img, 'local-lvm']), /^unused0: successfully imported disk 'local-lvm:vm-100-disk-1'$/m);
  // replacing a disk keeps the old volume as unused; deleting unusedN frees it
  await ok(ctx, ['qm', 'set', '100', '--delete', 'unused0']);
  assert.not.match(await ok(ctx, ['pvesm', 'list', 'local-lvm']), /vm-100-disk-1/);
  await ok(ctx, ['qm', 'set', '100', '--delete', 'scsi0']);
  assert.is((await config(ctx, 100)).get('unused0'), 'local-lvm:vm-100-disk-0');
  const missing = await sim(ctx, ['qm', 'importdisk', '100', join(ctx.dir, 'nope.img'), 'local-lvm']);
  assert.equal(missing, { code: 2, stdout: '', stderr: `${join(ctx.dir, 'nope.img')}: non-existent or non-regular file\n` });
  const local = await sim(ctx, ['qm', 'importdisk', '100', img, 'local']);
  assert.equal(local, { code: 255, stdout: '', stderr: 'storage local does not support vm images\n' });
  const nostore = await sim(ctx, ['qm', 'importdisk', '100', img, 'tank']);
  assert.is(nostore.stderr, "storage 'tank' does not exist\n");
});

test('simulator: qm resize grows a disk, refuses to shrink', async (ctx) => {
  await ok(ctx, ['qm', 'create', '100', '--scsi0', 'local-lvm:32']);
  assert.is(
    await ok(ctx, ['qm', 'resize', '100', 'scsi0', '+8G']),
    '  Size of logical volume pve/vm-100-disk-0 changed from 32.00 GiB (8192 extents) to 40.00 GiB (10240 extents).\n' +
      '  Logical volume pve/vm-100-disk-0 successfully resized.\n',
  );
  assert.is((await config(ctx, 100)).get('scsi0'), 'local-lvm:vm-100-disk-0,size=40G');
  await ok(ctx, ['qm', 'disk', 'resize', '100', 'scsi0', '64G']);
  assert.is((await config(ctx, 100)).get('scsi0'), 'local-lvm:vm-100-disk-0,size=64G');
  assert.is(await ok(ctx, ['qm', 'resize', '100', 'scsi0', '64G']), '', 'same size: nothing to do');
  const shrink = await sim(ctx, ['qm', 'resize', '100', 'scsi0', '10G']);
  assert.equal(shrink, { code: 255, stdout: '', stderr: 'shrinking disks is not supported\n' });
  const nodisk = await sim(ctx, ['qm', 'resize', '100', 'scsi3', '+1G']);
  assert.is(nodisk.stderr, "disk 'scsi3' has no associated volume\n");
  assert.match(await ok(ctx, ['pvesm', 'list', 'local-lvm']), /^local-lvm:vm-100-disk-0 raw {5}images {4}68719476736 100$/m);
});

test('simulator: qm cloudinit dump user/network/meta as generated upstream (NoCloud)', async (ctx) => {
  await ok(ctx, ROLE_CREATE(ctx, 100));
  assert.is(
    await ok(ctx, ['qm', 'cloudinit', 'dump', '100', 'user']),
    '#cloud-config\nhostname: services\nmanage_etc_hosts: true\nfqdn: services\nuser: admin\n' +
      'ssh_authorized_keys:\n  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITestKey admin@laptop\n' +
      'chpasswd:\n  expire: False\nusers:\n  - default\npackage_upgrade: true\n\n',
  );
  const mac = ((await config(ctx, 100)).get('net0') ?? '').slice(7, 24).toLowerCase();
  const network = await ok(ctx, ['qm', 'cloudinit', 'dump', '100', 'network']);
  assert.is(
    network.split('    - type: nameserver')[0],
    'version: 1\nconfig:\n    - type: physical\n      name: eth0\n' +
      `      mac_address: '${mac}'\n      subnets:\n      - type: static\n        address: '192.168.1.20'\n` +
      "        netmask: '255.255.255.0'\n        gateway: '192.168.1.1'\n",
  );
  assert.match(network, /    - type: nameserver\n      address:\n      - '192\.168\.1\.1'\n/);
  assert.match(await ok(ctx, ['qm', 'cloudinit', 'dump', '100', 'meta']), /^instance-id: [0-9a-f]{40}\n\n$/);
  const bad = await sim(ctx, ['qm', 'cloudinit', 'dump', '100', 'vendor']);
  assert.is(bad.code, 255);
  assert.match(bad.stderr, /^400 Parameter verification failed\.\ntype: value 'vendor' does not have a value in the enumeration/);
});

test('simulator: qm guest cmd answers only when the agent is configured and the VM runs', async (ctx) => {
  await ok(ctx, ROLE_CREATE(ctx, 100));
  await ok(ctx, ['qm', 'create', '101', '--name', 'noagent']);
  const stopped = await sim(ctx, ['qm', 'guest', 'cmd', '100', 'ping']);
  assert.equal(stopped, { code: 255, stdout: '', stderr: 'VM 100 is not running\n' });
  const noagent = await sim(ctx, ['qm', 'agent', '101', 'ping']);
  assert.equal(noagent, { code: 255, stdout: '', stderr: 'No QEMU guest agent configured\n' });
  await ok(ctx, ['qm', 'start', '100']);
  assert.equal(await sim(ctx, ['qm', 'guest', 'cmd', '100', 'ping']), { code: 0, stdout: '', stderr: '' });
  const ifaces = JSON.parse(await ok(ctx, ['qm', 'agent', '100', 'network-get-interfaces'])) as {
    name: string;
    'ip-addresses': { 'ip-address': string }[];
  }[];
  assert.equal(ifaces.map((i) => i.name), ['lo', 'eth0']);
  assert.is(ifaces[1]?.['ip-addresses'][0]?.['ip-address'], '192.168.1.20');
  assert.is(JSON.parse(await ok(ctx, ['qm', 'guest', 'cmd', '100', 'get-host-name']))['host-name'], 'services');
  // a configured delay makes the agent answer like a booting guest
  writeFileSync(join(ctx.state, 'settings.json'), '{"agent_delay_seconds": 3600}');
  const booting = await sim(ctx, ['qm', 'guest', 'cmd', '100', 'ping']);
  assert.equal(booting, { code: 255, stdout: '', stderr: 'QEMU guest agent is not running\n' });
});

test('simulator: virtiofs needs an existing directory mapping for this node at start', async (ctx) => {
  const media = join(ctx.dir, 'media');
  mkdirSync(media);
  await ok(ctx, ['qm', 'create', '100', '--virtiofs0', 'media,cache=auto']);
  assert.is((await config(ctx, 100)).get('virtiofs0'), 'media,cache=auto');
  const start = await sim(ctx, ['qm', 'start', '100']);
  assert.equal(start, { code: 255, stdout: '', stderr: 'Directory ID media does not exist.\n' });
  await ok(ctx, ['pvesh', 'create', '/cluster/mapping/dir', '--id', 'media', '--map', `node=other,path=${media}`]);
  const other = await sim(ctx, ['qm', 'start', '100']);
  assert.is(other.stderr, `No directory mapping for node ${NODE}.\n`);
  await ok(ctx, ['pvesh', 'set', '/cluster/mapping/dir/media', '--map', `node=${NODE},path=${media}`]);
  await ok(ctx, ['qm', 'start', '100']);
  assert.is(await ok(ctx, ['qm', 'status', '100']), 'status: running\n');
});

test('simulator: pvesm status and list show the default storages like the real tables', async (ctx) => {
  const vz = join(ctx.dir, 'vz');
  mkdirSync(join(vz, 'template', 'iso'), { recursive: true });
  writeFileSync(join(vz, 'template', 'iso', 'noble.img'), Buffer.alloc(2048));
  mkdirSync(ctx.state, { recursive: true });
  writeFileSync(
    join(ctx.state, 'storages.json'),
    JSON.stringify({
      local: { type: 'dir', path: vz, content: 'iso,vztmpl,backup' },
      'local-lvm': { type: 'lvmthin', vgname: 'pve', thinpool: 'data', content: 'rootdir,images', size: 100 * 1024 ** 3 },
    }),
  );
  await ok(ctx, ['qm', 'create', '100', '--scsi0', `local-lvm:0,import-from=${join(ctx.dir, 'noble.qcow2')}`]);
  const status = (await ok(ctx, ['pvesm', 'status'])).split('\n');
  assert.is(status[0], 'Name             Type     Status           Total            Used       Available        %');
  assert.match(status[1] ?? '', /^local {13}dir {5}active +\d+ +\d+ +\d+ +\d+\.\d\d%$/);
  assert.is(status[2], 'local-lvm     lvmthin     active       104857600               4       104857596    0.00%');
  assert.is(
    await ok(ctx, ['pvesm', 'list', 'local-lvm']),
    'Volid                   Format  Type            Size VMID\nlocal-lvm:vm-100-disk-0 raw     images    3758096384 100\n',
  );
  assert.is(await ok(ctx, ['pvesm', 'list', 'local']), 'Volid               Format  Type      Size VMID\nlocal:iso/noble.img iso     iso       2048\n');
  const none = await sim(ctx, ['pvesm', 'list', 'tank']);
  assert.equal(none, { code: 255, stdout: '', stderr: "storage 'tank' does not exist\n" });
  // content can be changed like on a real host, e.g. to allow snippets
  await ok(ctx, ['pvesm', 'set', 'local', '--content', 'iso,vztmpl,backup,snippets,import']);
  assert.match(await ok(ctx, ['pvesh', 'get', `/nodes/${NODE}/storage`, '--output-format', 'json']), /"content":"iso,vztmpl,backup,snippets,import"/);
  await ok(ctx, ['pvesm', 'add', 'dir', 'tank-backups', '--path', join(ctx.dir, 'backups'), '--content', 'backup']);
  assert.match(await ok(ctx, ['pvesm', 'status']), /^tank-backups +dir +active /m);
  assert.ok(existsSync(join(ctx.dir, 'backups')));
});

test('simulator: pvesh get /version in text (ASCII and UTF-8), json and json-pretty', async (ctx) => {
  assert.is(
    await ok(ctx, ['pvesh', 'get', '/version']),
    '+---------+------------------+\n| key     | value            |\n+---------+------------------+\n' +
      '| release | 8.4              |\n+---------+------------------+\n| repoid  | 2a5fa54a8503f96d |\n' +
      '+---------+------------------+\n| version | 8.4.1            |\n+---------+------------------+\n',
  );
  const utf8 = await ok(ctx, ['pvesh', 'get', '/version'], { LANG: 'C.UTF-8' });
  assert.ok(utf8.startsWith('┌─────────┬──────────────────┐\n│ key     │ value            │\n├─────────┼──────────────────┤\n'));
  assert.ok(utf8.endsWith('└─────────┴──────────────────┘\n'));
  assert.is(await ok(ctx, ['pvesh', 'get', '/version', '--output-format', 'json']), '{"release":"8.4","repoid":"2a5fa54a8503f96d","version":"8.4.1"}\n');
  assert.is(
    await ok(ctx, ['pvesh', 'get', '/version', '--output-format', 'json-pretty']),
    '{\n   "release" : "8.4",\n   "repoid" : "2a5fa54a8503f96d",\n   "version" : "8.4.1"\n}\n',
  );
  assert.is(await ok(ctx, ['pvesh', 'get', '/version', '--noborder', '--noheader']), 'release 8.4\nrepoid  2a5fa54a8503f96d\nversion 8.4.1\n');
});

test('simulator: pvesh get /nodes, /nodes/<node>/status (host /proc) and /nodes/<node>/qemu', async (ctx) => {
  const nodes = JSON.parse(await ok(ctx, ['pvesh', 'get', '/nodes', '--output-format', 'json'])) as Record<string, unknown>[];
  assert.is(nodes.length, 1);
  assert.is(nodes[0]?.['node'], NODE);
  assert.is(nodes[0]?.['status'], 'online');
  const status = JSON.parse(await ok(ctx, ['pvesh', 'get', `/nodes/${NODE}/status`, '--output-format', 'json'])) as {
    memory: { total: number };
    cpuinfo: { cpus: number; model: string };
    pveversion: string;
    'current-kernel': { release: string };
  };
  const memTotal = Number(/^MemTotal:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1]) * 1024;
  assert.is(status.memory.total, memTotal);
  const cpus = readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => /^processor\s*:/.test(l)).length;
  assert.is(status.cpuinfo.cpus, cpus);
  assert.is(status.pveversion, 'pve-manager/8.4.1/2a5fa54a8503f96d');
  assert.is(status['current-kernel'].release, '6.8.12-9-pve');
  // text output lists only the two properties the upstream schema documents
  const text = await ok(ctx, ['pvesh', 'get', `/nodes/${NODE}/status`]);
  assert.match(text, /^\| boot-info {6}\| \{"mode":"(efi|legacy-bios)"/m);
  assert.match(text, /^\| current-kernel \| \{"machine":/m);
  assert.is(text.split('\n').filter((l) => l.startsWith('| ')).length, 3);
  await ok(ctx, ['qm', 'create', '100', '--name', 'services', '--memory', '4096', '--cores', '1', '--scsi0', 'local-lvm:32']);
  const vms = JSON.parse(await ok(ctx, ['pvesh', 'get', `/nodes/${NODE}/qemu`, '--output-format', 'json'])) as Record<string, unknown>[];
  assert.equal(
    { vmid: vms[0]?.['vmid'], name: vms[0]?.['name'], status: vms[0]?.['status'], maxmem: vms[0]?.['maxmem'], maxdisk: vms[0]?.['maxdisk'] },
    { vmid: 100, name: 'services', status: 'stopped', maxmem: 4 * 1024 ** 3, maxdisk: 32 * 1024 ** 3 },
  );
  const cfg = JSON.parse(await ok(ctx, ['pvesh', 'get', `/nodes/${NODE}/qemu/100/config`, '--output-format', 'json'])) as Record<string, unknown>;
  assert.is(cfg['cores'], 1);
  assert.is(cfg['memory'], '4096');
  assert.match(String(cfg['digest']), /^[0-9a-f]{40}$/);
});

test('simulator: pvesh unknown paths, errors and exit codes', async (ctx) => {
  assert.equal(await sim(ctx, ['pvesh', 'get', '/foo/bar']), { code: 1, stdout: '', stderr: "No 'get' handler defined for '/foo/bar'\n" });
  assert.equal(await sim(ctx, ['pvesh', 'create', '/version']), { code: 1, stdout: '', stderr: "No 'create' handler defined for '/version'\n" });
  assert.equal(await sim(ctx, ['pvesh', 'get', '--output-format', 'json', '/version']), {
    code: 1,
    stdout: '',
    stderr: "No 'get' handler defined for '--output-format'\n",
  });
  const missing = await sim(ctx, ['pvesh', 'get', `/nodes/${NODE}/qemu/999/config`]);
  assert.equal(missing, { code: 2, stdout: '', stderr: `Configuration file 'nodes/${NODE}/qemu-server/999.conf' does not exist\n` });
  const noargs = await sim(ctx, ['pvesh', 'get']);
  assert.is(noargs.code, 255);
  assert.is(noargs.stderr, '400 not enough arguments\npvesh get <api_path> [OPTIONS] [FORMAT_OPTIONS]\n');
  const unknown = await sim(ctx, ['pvesh', 'frob', '/version']);
  assert.is(unknown.code, 255);
  assert.match(unknown.stderr, /^ERROR: unknown command 'pvesh frob'\nUSAGE: pvesh <COMMAND> \[ARGS\] \[OPTIONS\]\n/);
  assert.is((await ok(ctx, ['pvesh', 'get', '/cluster/nextid'])).trim(), '100');
});

test('simulator: pvesh directory mappings: create, get, set, delete and their errors', async (ctx) => {
  const media = join(ctx.dir, 'media');
  mkdirSync(media);
  writeFileSync(join(ctx.dir, 'afile'), '');
  const create = ['pvesh', 'create', '/cluster/mapping/dir', '--id', 'media', '--map', `node=${NODE},path=${media}`];
  assert.equal(await sim(ctx, create), { code: 0, stdout: '', stderr: '' });
  const dup = await sim(ctx, create);
  assert.equal(dup, { code: 255, stdout: '', stderr: "create directory mapping failed: dir ID 'media' already defined\n" });
  const nopath = await sim(ctx, ['pvesh', 'create', '/cluster/mapping/dir', '--id', 'photos', '--map', `node=${NODE},path=${join(ctx.dir, 'photos')}`]);
  assert.equal(nopath, { code: 2, stdout: '', stderr: `Path ${join(ctx.dir, 'photos')} does not exist\n` });
  const notdir = await sim(ctx, ['pvesh', 'create', '/cluster/mapping/dir', '--id', 'photos', '--map', `node=${NODE},path=${join(ctx.dir, 'afile')}`]);
  assert.is(notdir.stderr, `Path ${join(ctx.dir, 'afile')} exists, but is not a directory\n`);
  const nomap = await sim(ctx, ['pvesh', 'create', '/cluster/mapping/dir', '--id', 'photos']);
  assert.equal(nomap, {
    code: 255,
    stdout: '',
    stderr: '400 Parameter verification failed.\nmap: property is missing and it is not optional\npvesh create <api_path> [OPTIONS] [FORMAT_OPTIONS]\n',
  });
  const twice = await sim(ctx, ['pvesh', 'create', '/cluster/mapping/dir', '--id', 'xx', '--map', `node=${NODE},path=${media}`, '--map', `node=${NODE},path=${media}`]);
  assert.is(twice.stderr, `Node '${NODE}' is specified 2 times.\n`);
  const list = JSON.parse(await ok(ctx, ['pvesh', 'get', '/cluster/mapping/dir', '--output-format', 'json'])) as Record<string, unknown>[];
  assert.is(list.length, 1);
  assert.is(list[0]?.['id'], 'media');
  assert.equal(list[0]?.['map'], [`node=${NODE},path=${media}`]);
  await ok(ctx, ['pvesh', 'set', '/cluster/mapping/dir/media', '--description', 'Media library']);
  const one = JSON.parse(await ok(ctx, ['pvesh', 'get', '/cluster/mapping/dir/media', '--output-format', 'json'])) as Record<string, unknown>;
  assert.is(one['description'], 'Media library');
  const stale = await sim(ctx, ['pvesh', 'set', '/cluster/mapping/dir/media', '--delete', 'description', '--digest', '0000']);
  assert.is(stale.stderr, 'update directory mapping failed: detected modified configuration - file changed by other user? Try again.\n');
  await ok(ctx, ['pvesh', 'set', '/cluster/mapping/dir/media', '--delete', 'description', '--digest', String(one['digest'])]);
  assert.not.ok('description' in (JSON.parse(await ok(ctx, ['pvesh', 'get', '/cluster/mapping/dir/media', '--output-format', 'json'])) as object));
  const setMissing = await sim(ctx, ['pvesh', 'set', '/cluster/mapping/dir/photos', '--description', 'x']);
  assert.is(setMissing.stderr, "update directory mapping failed: dir ID 'photos' does not exist\n");
  const getMissing = await sim(ctx, ['pvesh', 'get', '/cluster/mapping/dir/photos']);
  assert.equal(getMissing, { code: 255, stdout: '', stderr: "mapping 'photos' not found\n" });
  assert.equal(await sim(ctx, ['pvesh', 'delete', '/cluster/mapping/dir/media']), { code: 0, stdout: '', stderr: '' });
  assert.equal(await sim(ctx, ['pvesh', 'delete', '/cluster/mapping/dir/media']), { code: 0, stdout: '', stderr: '' });
  assert.is(await ok(ctx, ['pvesh', 'get', '/cluster/mapping/dir', '--output-format', 'json']), '[]\n');
});

test('simulator: every tool and command says in --help that it is the simulator', async (ctx) => {
  const helps = [
    ['qm', 'help'],
    ['qm', 'create', '--help'],
    ['qm', 'set', '--help'],
    ['qm', 'list', '--help'],
    ['qm', 'config', '--help'],
    ['qm', 'status', '--help'],
    ['qm', 'start', '--help'],
    ['qm', 'stop', '--help'],
    ['qm', 'shutdown', '--help'],
    ['qm', 'reboot', '--help'],
    ['qm', 'destroy', '--help'],
    ['qm', 'importdisk', '--help'],
    ['qm', 'disk', 'import', '--help'],
    ['qm', 'resize', '--help'],
    ['qm', 'cloudinit', 'dump', '--help'],
    ['qm', 'guest', 'cmd', '--help'],
    ['qm', 'pending', '--help'],
    ['pvesm', 'help'],
    ['pvesm', 'status', '--help'],
    ['pvesm', 'list', '--help'],
    ['pvesh', 'help'],
    ['pvesh', 'get', '--help'],
    ['pvesh', 'create', '--help'],
    ['pvesh', 'set', '--help'],
    ['pvesh', 'delete', '--help'],
    ['pveversion', '--help'],
  ];
  for (const args of helps) {
    const r = await sim(ctx, args);
    assert.is(r.code, 0, args.join(' '));
    assert.match(r.stdout, /SIMULATOR of Proxmox VE's/, args.join(' '));
  }
  const notSim = await sim(ctx, ['qm', 'clone', '100', '101']);
  assert.is(notSim.code, 255);
  assert.match(notSim.stderr, /^pve-simulator: 'qm clone' is not simulated/);
  const unknown = await sim(ctx, ['qm', 'frob']);
  assert.is(unknown.code, 255);
  assert.match(unknown.stderr, /^ERROR: unknown command 'qm frob'\nUSAGE: qm <COMMAND> \[ARGS\] \[OPTIONS\]\n/);
});

test('simulator: concurrency: 10 parallel qm create of distinct ids all land', async (ctx) => {
  const ids = Array.from({ length: 10 }, (_, i) => 200 + i);
  const results = await Promise.all(ids.map((id) => sim(ctx, ['qm', 'create', String(id), '--name', `vm${id}`, '--scsi0', 'local-lvm:4'])));
  for (const r of results) assert.is(r.code, 0, r.stderr);
  const list = (await ok(ctx, ['qm', 'list'])).trim().split('\n').slice(1);
  assert.equal(
    list.map((l) => Number(l.trim().split(/\s+/)[0])),
    ids,
  );
  // every VM got its own volume, none was handed out twice
  const vols = (await ok(ctx, ['pvesm', 'list', 'local-lvm'])).trim().split('\n').slice(1);
  assert.is(vols.length, 10);
  for (const id of ids) assert.is((await config(ctx, id)).get('scsi0'), `local-lvm:vm-${id}-disk-0,size=4G`);
});

test('simulator: concurrency: two parallel qm create of the same id: exactly one fails', async (ctx) => {
  const [a, b] = await Promise.all([
    sim(ctx, ['qm', 'create', '300', '--name', 'first', '--scsi0', 'local-lvm:4']),
    sim(ctx, ['qm', 'create', '300', '--name', 'second', '--scsi0', 'local-lvm:4']),
  ]);
  const codes = [a?.code, b?.code].sort();
  assert.equal(codes, [0, 255]);
  const failed = a?.code === 255 ? a : b;
  assert.is(failed?.stderr, `unable to create VM 300 - VM 300 already exists on node '${NODE}'\n`);
  const vols = (await ok(ctx, ['pvesm', 'list', 'local-lvm'])).trim().split('\n').slice(1);
  assert.is(vols.length, 1, 'the failed create allocated nothing');
});

test('simulator: install.sh installs the program, wrappers and state dir into a root; wrappers work', async (ctx) => {
  const root = join(ctx.dir, 'root');
  mkdirSync(root);
  const inst = spawnSync('sh', [join(DIR, 'install.sh'), root], { encoding: 'utf8' });
  assert.is(inst.status, 0, inst.stderr);
  assert.ok(existsSync(join(root, 'usr/local/lib/pve-simulator/pve-simulator.py')));
  assert.ok(existsSync(join(root, 'usr/local/lib/pve-simulator/README.md')));
  assert.ok(statSync(join(root, 'var/lib/pve-simulator')).isDirectory());
  assert.match(readFileSync(join(root, 'var/lib/pve-simulator/version'), 'utf8'), /"manager": "8\.4\.1"/);
  for (const tool of ['qm', 'pvesm', 'pvesh', 'pveversion']) {
    const wrapper = join(root, 'usr/local/bin', tool);
    assert.is(statSync(wrapper).mode & 0o777, 0o755);
    assert.match(readFileSync(wrapper, 'utf8'), /SIMULATOR/);
  }
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', PVE_SIMULATOR_STATE: ctx.state };
  const v = spawnSync(join(root, 'usr/local/bin/pveversion'), [], { encoding: 'utf8', env });
  assert.is(v.stdout, 'pve-manager/8.4.1/2a5fa54a8503f96d (running kernel: 6.8.12-9-pve)\n');
  const c = spawnSync(join(root, 'usr/local/bin/qm'), ['create', '100', '--name', 'wrapped'], { encoding: 'utf8', env });
  assert.is(c.status, 0, c.stderr);
  const l = spawnSync(join(root, 'usr/local/bin/qm'), ['list'], { encoding: 'utf8', env });
  assert.match(l.stdout, /^ {7}100 wrapped /m);
  // a root with a real Proxmox VE is refused
  const real = join(ctx.dir, 'realpve');
  mkdirSync(join(real, 'usr/share/perl5/PVE/CLI'), { recursive: true });
  writeFileSync(join(real, 'usr/share/perl5/PVE/CLI/qm.pm'), '');
  const refused = spawnSync('sh', [join(DIR, 'install.sh'), real], { encoding: 'utf8' });
  assert.is(refused.status, 1);
  assert.match(refused.stderr, /real Proxmox VE/);
  assert.not.ok(existsSync(join(real, 'usr/local/bin/qm')));
});

test.run();
