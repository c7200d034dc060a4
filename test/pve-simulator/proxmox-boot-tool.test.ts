/**
 * Tests of the pve-simulator's proxmox-boot-tool (files/lab/pve-simulator/proxmox-boot-tool.py), a SIMULATOR of
 * Proxmox VE's proxmox-boot-tool for the lab's `pve` host, and of what install.sh sets up around it (enterprise apt
 * sources, a simulated ESP, the empty stand-in package repository). They run the real Python program with a temporary
 * state directory and /etc/kernel (PVE_SIMULATOR_STATE, PVE_SIMULATOR_ETC_KERNEL). Passing here proves the simulator,
 * not Proxmox VE.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const DIR = fileURLToPath(new URL('../../files/lab/pve-simulator/', import.meta.url));
const PBT = join(DIR, 'proxmox-boot-tool.py');

interface Ctx {
  dir: string;
  state: string;
  etcKernel: string;
  etcDefault: string;
}

function pbt(ctx: Ctx, args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('python3', [PBT, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', PVE_SIMULATOR_STATE: ctx.state, PVE_SIMULATOR_ETC_KERNEL: ctx.etcKernel, PVE_SIMULATOR_ETC_DEFAULT: ctx.etcDefault },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const test = suite<Ctx>('pve-simulator: proxmox-boot-tool', { dir: '', state: '', etcKernel: '', etcDefault: '' });
test.before.each((ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), 'pvesim-pbt-'));
  ctx.state = join(ctx.dir, 'state');
  ctx.etcKernel = join(ctx.dir, 'etc', 'kernel');
  ctx.etcDefault = join(ctx.dir, 'etc', 'default');
  mkdirSync(ctx.etcKernel, { recursive: true });
  mkdirSync(join(ctx.etcDefault, 'grub.d'), { recursive: true });
});
test.after.each((ctx) => rmSync(ctx.dir, { recursive: true, force: true }));

test('status without an ESP list: the real message on stderr, exit 2 (quiet: no output, exit 2)', (ctx) => {
  const r = pbt(ctx, ['status']);
  assert.is(r.code, 2);
  assert.is(r.stdout, "Re-executing '/usr/sbin/proxmox-boot-tool' in new private mount namespace..\n");
  assert.is(r.stderr, 'E: /etc/kernel/proxmox-boot-uuids does not exist.\n');
  assert.equal(pbt(ctx, ['status', '--quiet']), { code: 2, stdout: '', stderr: '' });
});

test('a systemd-boot ESP: status as on a fresh ZFS install, refresh writes the entry with /etc/kernel/cmdline', (ctx) => {
  writeFileSync(join(ctx.etcKernel, 'cmdline'), 'root=ZFS=rpool/ROOT/pve-1 boot=zfs\n');
  const init = pbt(ctx, ['simulator-init-esp', '5C1E-A7B3', 'uefi']);
  assert.is(init.code, 0, init.stderr);
  assert.is(readFileSync(join(ctx.etcKernel, 'proxmox-boot-uuids'), 'utf8'), '5C1E-A7B3\n');
  const s = pbt(ctx, ['status']);
  assert.is(s.code, 0);
  assert.is(
    s.stdout,
    "Re-executing '/usr/sbin/proxmox-boot-tool' in new private mount namespace..\nSystem currently booted with uefi\n5C1E-A7B3 is configured with: uefi (versions: 6.8.12-9-pve)\n",
  );
  assert.equal(pbt(ctx, ['status', '--quiet']), { code: 0, stdout: '', stderr: '' });

  writeFileSync(join(ctx.etcKernel, 'cmdline'), 'root=ZFS=rpool/ROOT/pve-1 boot=zfs intel_iommu=on iommu=pt\n');
  const r = pbt(ctx, ['refresh']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, "Running hook script 'proxmox-auto-removal'..\nRunning hook script 'zz-proxmox-boot'..\nRe-executing '/etc/kernel/postinst.d/zz-proxmox-boot' in new private mount namespace..\n");
  assert.is(r.stderr, 'Copying and configuring kernels on /dev/disk/by-uuid/5C1E-A7B3\n\tCopying kernel and creating boot-entry for 6.8.12-9-pve\n');
  assert.is(
    readFileSync(join(ctx.state, 'esp/5C1E-A7B3/loader/entries/proxmox-6.8.12-9-pve.conf'), 'utf8'),
    'title    Proxmox Virtual Environment\nversion  6.8.12-9-pve\noptions  root=ZFS=rpool/ROOT/pve-1 boot=zfs intel_iommu=on iommu=pt\n' +
      'linux    /EFI/proxmox/6.8.12-9-pve/vmlinuz-6.8.12-9-pve\ninitrd   /EFI/proxmox/6.8.12-9-pve/initrd.img-6.8.12-9-pve\n',
  );
});

test('refresh refuses a /etc/kernel/cmdline without root= (exit 1), as the real hook does', (ctx) => {
  writeFileSync(join(ctx.etcKernel, 'cmdline'), 'root=ZFS=rpool/ROOT/pve-1 boot=zfs\n');
  pbt(ctx, ['simulator-init-esp', '5C1E-A7B3', 'uefi']);
  writeFileSync(join(ctx.etcKernel, 'cmdline'), 'quiet intel_iommu=on\n');
  const r = pbt(ctx, ['refresh']);
  assert.is(r.code, 1);
  assert.match(r.stderr, 'No root= parameter in /etc/kernel/cmdline found!');
});

test('a GRUB ESP on legacy BIOS: status says grub, refresh writes grub.cfg from /etc/default/grub and grub.d/*.cfg', (ctx) => {
  mkdirSync(ctx.state, { recursive: true });
  writeFileSync(join(ctx.state, 'boot-firmware'), 'legacy bios\n');
  writeFileSync(join(ctx.etcDefault, 'grub'), 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX="root=ZFS=rpool/ROOT/pve-1 boot=zfs"\n');
  writeFileSync(join(ctx.etcDefault, 'grub.d', 'x.cfg'), 'GRUB_CMDLINE_LINUX_DEFAULT="${GRUB_CMDLINE_LINUX_DEFAULT} intel_iommu=on"\n');
  assert.is(pbt(ctx, ['simulator-init-esp', 'EEC6-6947', 'grub']).code, 0);
  const s = pbt(ctx, ['status']);
  assert.match(s.stdout, 'System currently booted with legacy bios\nEEC6-6947 is configured with: grub (versions: 6.8.12-9-pve)\n');
  const cfg = readFileSync(join(ctx.state, 'esp/EEC6-6947/grub/grub.cfg'), 'utf8');
  assert.match(cfg, /SIMULATOR/);
  assert.match(cfg, '\tlinux\t/vmlinuz-6.8.12-9-pve ro root=ZFS=rpool/ROOT/pve-1 boot=zfs quiet intel_iommu=on\n');
});

test('an ESP in the list whose device is gone is skipped with the real warning; other subcommands are not simulated', (ctx) => {
  writeFileSync(join(ctx.etcKernel, 'proxmox-boot-uuids'), 'CE07-1118\n');
  const s = pbt(ctx, ['status']);
  assert.is(s.code, 0);
  assert.is(s.stderr, "WARN: /dev/disk/by-uuid/CE07-1118 does not exist - clean '/etc/kernel/proxmox-boot-uuids'! - skipping\n");
  const f = pbt(ctx, ['format', '/dev/sda2']);
  assert.is(f.code, 255);
  assert.match(f.stderr, "pve-simulator: 'proxmox-boot-tool format' is not simulated");
  const bad = pbt(ctx, ['frobnicate']);
  assert.is(bad.code, 1);
  assert.is(bad.stderr, "Invalid/unknown command 'frobnicate'.\n");
  assert.match(pbt(ctx, ['help']).stdout, /SIMULATOR/);
});

test('install.sh: a fresh PVE 8 layout (enterprise .list files, one systemd-boot ESP, /etc/kernel/cmdline), the stand-in repository and its key; kept on a second install', (ctx) => {
  const root = join(ctx.dir, 'root');
  mkdirSync(root);
  const inst = spawnSync('sh', [join(DIR, 'install.sh'), root], { encoding: 'utf8' });
  assert.is(inst.status, 0, inst.stderr);
  const at = (p: string) => join(root, p);
  assert.is(readFileSync(at('etc/apt/sources.list.d/pve-enterprise.list'), 'utf8'), 'deb https://enterprise.proxmox.com/debian/pve bookworm pve-enterprise\n');
  assert.is(readFileSync(at('etc/apt/sources.list.d/ceph.list'), 'utf8'), 'deb https://enterprise.proxmox.com/debian/ceph-quincy bookworm enterprise\n');
  assert.is(readFileSync(at('etc/kernel/cmdline'), 'utf8'), 'root=ZFS=rpool/ROOT/pve-1 boot=zfs\n');
  assert.is(readFileSync(at('etc/kernel/proxmox-boot-uuids'), 'utf8'), '5C1E-A7B3\n');
  assert.match(readFileSync(at('var/lib/pve-simulator/esp/5C1E-A7B3/loader/entries/proxmox-6.8.12-9-pve.conf'), 'utf8'), 'options  root=ZFS=rpool/ROOT/pve-1 boot=zfs\n');
  assert.match(readFileSync(at('usr/local/bin/proxmox-boot-tool'), 'utf8'), /SIMULATOR/);
  assert.ok(existsSync(at('usr/local/lib/pve-simulator/apt-repo/dists/bookworm/InRelease')));
  assert.is(readFileSync(at('etc/apt/trusted.gpg.d/pve-simulator-archive.asc'), 'utf8'), readFileSync(join(DIR, 'apt-repo/pve-simulator-archive.asc'), 'utf8'));
  // the wrapper runs the installed copy
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', PVE_SIMULATOR_STATE: at('var/lib/pve-simulator'), PVE_SIMULATOR_ETC_KERNEL: at('etc/kernel') };
  const s = spawnSync(at('usr/local/bin/proxmox-boot-tool'), ['status'], { encoding: 'utf8', env });
  assert.match(s.stdout, '5C1E-A7B3 is configured with: uefi (versions: 6.8.12-9-pve)');
  // a second install keeps what the host has since changed
  writeFileSync(at('etc/apt/sources.list.d/pve-enterprise.list'), '# deb https://enterprise.proxmox.com/debian/pve bookworm pve-enterprise\n');
  writeFileSync(at('etc/kernel/cmdline'), 'root=ZFS=rpool/ROOT/pve-1 boot=zfs intel_iommu=on\n');
  assert.is(spawnSync('sh', [join(DIR, 'install.sh'), root], { encoding: 'utf8' }).status, 0);
  assert.match(readFileSync(at('etc/apt/sources.list.d/pve-enterprise.list'), 'utf8'), /^# deb/);
  assert.is(readFileSync(at('etc/kernel/cmdline'), 'utf8'), 'root=ZFS=rpool/ROOT/pve-1 boot=zfs intel_iommu=on\n');
});

test('install.sh: a simulated PVE 9 gets the deb822 enterprise sources of a fresh PVE 9', (ctx) => {
  const root = join(ctx.dir, 'root9');
  mkdirSync(join(root, 'var/lib/pve-simulator'), { recursive: true });
  writeFileSync(join(root, 'var/lib/pve-simulator/version'), '9.0.3\n');
  const inst = spawnSync('sh', [join(DIR, 'install.sh'), root], { encoding: 'utf8' });
  assert.is(inst.status, 0, inst.stderr);
  assert.is(
    readFileSync(join(root, 'etc/apt/sources.list.d/pve-enterprise.sources'), 'utf8'),
    'Types: deb\nURIs: https://enterprise.proxmox.com/debian/pve\nSuites: trixie\nComponents: pve-enterprise\nSigned-By: /usr/share/keyrings/proxmox-archive-keyring.gpg\n',
  );
  assert.match(readFileSync(join(root, 'etc/apt/sources.list.d/ceph.sources'), 'utf8'), 'URIs: https://enterprise.proxmox.com/debian/ceph-squid\n');
  assert.not.ok(existsSync(join(root, 'etc/apt/sources.list.d/pve-enterprise.list')));
  assert.match(readFileSync(join(root, 'var/lib/pve-simulator/esp/5C1E-A7B3/loader/entries/proxmox-6.14.8-2-pve.conf'), 'utf8'), 'version  6.14.8-2-pve');
});

test.run();
