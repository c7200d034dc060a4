/**
 * The vm-services roles' decisions on real inputs: `qm` outputs recorded from the Proxmox CLI SIMULATOR
 * (test/fixtures/vm-services/README.md says how), Debian 13's real `docker compose version` output, real key files made
 * with ssh-keygen, and the variables' validation. The whole pve play against the simulator is in
 * vm-services-pve.test.ts.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cmd } from '../../lib/connectors/shell.ts';
import { createDefaults, guestDefaults, NOBLE_IMAGE_SHA256, NOBLE_IMAGE_URL } from '../../roles/vm-services/defaults.ts';
import { composeMajor, dockerPlan, dockerRepoLine } from '../../roles/vm-services/docker.ts';
import { fstabLines, mountState, sharedDatasets } from '../../roles/vm-services/mounts.ts';
import { bootDisk, describeChange, normalizeKeys, parseNet, parseQmConfig, pendingChanges, reconcile, type WantedVm } from '../../roles/vm-services/qm-config.ts';
import { qmCreateArgs } from '../../roles/vm-services/qm-create.ts';
import { controllerPath, guestShareMethod, imagePath, igpuHostpci, mappingIds, validateCreate, validateGuest, vmIgpu } from '../../roles/vm-services/settings.ts';
import { readPublicKeys } from '../../roles/vm-services/ssh-key.ts';
import { configProblems } from '../../roles/vm-services/verify.ts';
import { parseVmProbe, storageNames } from '../../roles/vm-services/vm-steps.ts';
import { makeKey } from '../helpers/sshd.ts';
import { removeTempDir, tempDir } from '../helpers/steps.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/vm-services/${name}`, import.meta.url), 'utf8');
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFixtureKeyForTheVmServicesTests admin@laptop';
const V = { ...createDefaults, vm_ip: '192.168.1.20', vm_gateway: '192.168.1.1', vm_dns: ['192.168.1.1'] };

/** What the role wants of VM 100 with the defaults (gvt-g attached, four virtiofs mappings). */
const WANT: WantedVm = {
  cores: 4,
  memory: 6144,
  bridge: 'vmbr0',
  ip: '192.168.1.20/24',
  gw: '192.168.1.1',
  nameserver: '192.168.1.1',
  ciuser: 'admin',
  sshkeys: KEY,
  virtiofs: ['tank-appdata', 'tank-backups', 'tank-media', 'tank-photos'],
  virtiofsPrefix: 'tank-',
  igpu: '0000:00:02.0,mdev=i915-GVTg_V5_4',
};

const qm = suite('vm-services: qm create, qm config, reconcile');

qm('qm create: the exact command the role runs (and --check prints)', () => {
  const words = qmCreateArgs(V, { image: imagePath(V), keysFile: '/run/msh-vm-100-sshkeys.pub', virtiofs: mappingIds(V), igpu: igpuHostpci('gvt-g') });
  assert.is(
    cmd(...words),
    'qm create 100 --name services --ostype l26 --machine q35 --cpu host --sockets 1 --cores 4 --memory 6144 --scsihw virtio-scsi-single ' +
      '--scsi0 local-lvm:0,import-from=/var/lib/vz/template/iso/ubuntu-24.04-server-cloudimg-amd64.img,discard=on,iothread=1 --ide2 local-lvm:cloudinit ' +
      '--boot order=scsi0 --serial0 socket --vga serial0 --agent 1 --net0 virtio,bridge=vmbr0 --ciuser admin --sshkeys /run/msh-vm-100-sshkeys.pub ' +
      '--ipconfig0 ip=192.168.1.20/24,gw=192.168.1.1 --nameserver 192.168.1.1 --onboot 1 --virtiofs0 tank-appdata,cache=auto --virtiofs1 tank-backups,cache=auto ' +
      '--virtiofs2 tank-media,cache=auto --virtiofs3 tank-photos,cache=auto --hostpci0 0000:00:02.0,mdev=i915-GVTg_V5_4',
  );
  const plain = cmd(...qmCreateArgs({ ...V, vm_dns: ['1.1.1.1', '9.9.9.9'] }, { image: '/x.img', keysFile: '/k', virtiofs: [], igpu: undefined }));
  assert.match(plain, "--nameserver '1.1.1.1 9.9.9.9' --onboot 1");
  assert.not.match(plain, /virtiofs|hostpci/);
  assert.is(igpuHostpci('passthrough'), '0000:00:02.0');
  assert.is(igpuHostpci('none'), undefined);
  assert.equal([vmIgpu('auto', 'gvt-g'), vmIgpu('auto', 'none'), vmIgpu('none', 'gvt-g')], ['gvt-g', 'none', 'none']);
});

qm('the VM the role created (recorded after create, resize, start) needs no change: idempotent', () => {
  const config = parseQmConfig(fixture('qm-config-created.txt'));
  assert.is(config.get('name'), 'services');
  assert.equal(reconcile(config, WANT, '0000:00:02.0'), { changes: [], args: [], sshkeys: false });
  assert.equal(configProblems(fixture('qm-config-created.txt'), V), []);
  assert.equal(bootDisk(config), { key: 'scsi0', size: 32 * 1024 ** 3 });
  assert.equal(bootDisk(parseQmConfig(fixture('qm-config-created-stopped.txt'))), { key: 'scsi0', size: 3584 * 1024 ** 2 });
});

qm('changes on the running VM: compared with qm config (pending included) the second run wants nothing more', () => {
  const want = { ...WANT, cores: 2, memory: 4096, bridge: 'vmbr1', ip: '192.168.1.21/24', virtiofs: WANT.virtiofs.slice(0, 3) };
  // What was run to record the fixture is what reconcile asks for, with the MAC kept.
  const before = reconcile(parseQmConfig(fixture('qm-config-created.txt')), want, '0000:00:02.0');
  assert.equal(before.args, ['--cores', '2', '--ipconfig0', 'ip=192.168.1.21/24,gw=192.168.1.1', '--memory', '4096', '--net0', 'virtio=BC:24:11:8E:90:B0,bridge=vmbr1', '--delete', 'virtiofs3']);
  assert.equal(before.changes.map(describeChange), [
    'cores 4 → 2',
    'ipconfig0 ip=192.168.1.20/24,gw=192.168.1.1 → ip=192.168.1.21/24,gw=192.168.1.1',
    'memory 6144 → 4096',
    'net0 virtio=BC:24:11:8E:90:B0,bridge=vmbr0 → virtio=BC:24:11:8E:90:B0,bridge=vmbr1',
    'virtiofs3 tank-photos,cache=auto → (removed)',
  ]);
  assert.equal(reconcile(parseQmConfig(fixture('qm-config-running-pending.txt')), want, '0000:00:02.0').changes, []);
  // Against --current (what runs), the same run would want memory, cores and virtiofs3 again: it would never converge.
  const current = reconcile(parseQmConfig(fixture('qm-config-running-current.txt')), want, '0000:00:02.0');
  assert.equal(current.changes.map((c) => c.key), ['cores', 'memory', 'virtiofs3']);
  // What waits for the restart, for the VM RESTART NEEDED line.
  assert.equal(pendingChanges(fixture('qm-pending-running.txt')).map(describeChange), ['cores 4 → 2', 'memory 6144 → 4096', 'virtiofs3 tank-photos,cache=auto → (removed)']);
  assert.equal(pendingChanges(fixture('qm-config-created.txt')), [], 'not a pending listing');
});

qm('a hand-made VM is adopted: only the settings the role manages change, the MAC and foreign devices stay', () => {
  const config = parseQmConfig(fixture('qm-config-handmade.txt'));
  const r = reconcile(config, WANT, '0000:00:02.0');
  assert.equal(r.changes.map(describeChange), [
    'agent (none) → 1',
    'ciuser ubuntu → admin',
    'cores 1 → 4',
    'hostpci1 (none) → 0000:00:02.0,mdev=i915-GVTg_V5_4',
    'ipconfig0 ip=dhcp → ip=192.168.1.20/24,gw=192.168.1.1',
    'memory 2048 → 6144',
    'nameserver (none) → 192.168.1.1',
    'net0 e1000=BC:24:11:00:00:01,bridge=vmbr0,firewall=1 → virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1',
    'onboot (none) → 1',
    'virtiofs0 dirid=tank-media → tank-appdata,cache=auto',
    'virtiofs1 (none) → tank-backups,cache=auto',
    'virtiofs2 (none) → tank-media,cache=auto',
    'virtiofs3 (none) → tank-photos,cache=auto',
    'virtiofs4 tank-old,cache=never → (removed)',
    'sshkeys no key → 1 key of vm_ssh_public_key',
  ]);
  assert.ok(r.sshkeys);
  assert.ok(r.args.includes('--delete') && r.args[r.args.length - 1] === 'virtiofs4', r.args.join(' '));
  assert.not.ok(r.args.includes('--sshkeys'), 'the keys go as a file, added by the step');
  // vm_igpu none removes only the iGPU; 01:00.0 is someone else's.
  const none = reconcile(parseQmConfig(fixture('qm-config-created.txt')), { ...WANT, igpu: undefined }, '0000:00:02.0');
  assert.equal(none.args, ['--delete', 'hostpci0']);
  assert.equal(reconcile(config, { ...WANT, igpu: undefined }, '0000:00:02.0').changes.filter((c) => c.key.startsWith('hostpci')), []);
  // null: the host is not ready for the iGPU yet, hostpci is left alone either way.
  assert.equal(reconcile(parseQmConfig(fixture('qm-config-created.txt')), { ...WANT, igpu: null }, '0000:00:02.0').changes, []);
  // NFS: no virtiofs wanted, the role's own (tank-*) removed.
  assert.equal(reconcile(parseQmConfig(fixture('qm-config-created.txt')), { ...WANT, virtiofs: [] }, '0000:00:02.0').args, ['--delete', 'virtiofs0,virtiofs1,virtiofs2,virtiofs3']);
  // The dirid= form and the short PCI address are the same settings as the role's.
  const same = new Map([...parseQmConfig(fixture('qm-config-created.txt'))]);
  same.set('virtiofs0', 'dirid=tank-appdata,cache=always').set('hostpci0', 'host=00:02.0,mdev=i915-GVTg_V5_4,pcie=1').set('agent', 'enabled=1,fstrim_cloned_disks=1');
  assert.equal(reconcile(same, WANT, '0000:00:02.0').changes, []);
});

qm('parts of the config: NIC, disk sizes, keys, the probe with qm list and the missing-VM error', () => {
  assert.equal(parseNet('virtio=BC:24:11:8E:90:B0,bridge=vmbr0'), { model: 'virtio', mac: 'BC:24:11:8E:90:B0', options: [['bridge', 'vmbr0']] });
  assert.equal(parseNet('model=e1000,macaddr=AA:BB:CC:DD:EE:FF,bridge=vmbr1,tag=10').options, [['bridge', 'vmbr1'], ['tag', '10']]);
  assert.is(normalizeKeys(parseQmConfig(fixture('qm-config-created.txt')).get('sshkeys')!, true), KEY);
  assert.is(normalizeKeys(`# mine\n${KEY}\n\n`, false), KEY);
  assert.equal(bootDisk(parseQmConfig(fixture('qm-config-handmade.txt'))), { key: 'scsi0', size: 8 * 1024 ** 3 });
  const stdout = ['@@config', fixture('qm-config-missing.stderr.txt').trimEnd(), '@@config-rc 2', '@@status', '@@list', fixture('qm-list.txt').trimEnd(), '@@ct ', '@@gvt yes', '@@iommu '].join('\n');
  const p = parseVmProbe(stdout);
  assert.is(p.config, undefined);
  assert.equal([...p.vms], [[100, 'services'], [101, 'services']]);
  assert.equal([p.gvt, p.iommu, p.container, p.running], [true, false, false, false]);
  const running = parseVmProbe(['@@config', fixture('qm-config-created.txt').trimEnd(), '@@config-rc 0', '@@status', fixture('qm-status-running.txt').trimEnd(), '@@list'].join('\n'));
  assert.is(running.config?.get('memory'), '6144');
  assert.ok(running.running);
  assert.throws(() => parseVmProbe('@@config\nqm: command not found\n@@config-rc 127\n'), /qm config failed \(exit 127\): qm: command not found/);
});

qm('pvesm status: the storage names, also after a warning line', async () => {
  const table = 'Name             Type     Status           Total            Used       Available        %\nlocal-lvm     lvmthin     active       104857600               0       104857600    0.00%\n';
  assert.equal(storageNames(table), ['local-lvm']);
  assert.equal(storageNames(`storage 'nas' is not online\n${table}`), ['local-lvm']);
  assert.equal(storageNames(''), []);
});

qm('verify: the recorded VM passes; a drifted one is reported key by key', () => {
  assert.equal(configProblems(fixture('qm-config-handmade.txt'), V), [
    'cores is 1, not 4',
    'memory is 2048, not 6144',
    'net0 is e1000=BC:24:11:00:00:01,bridge=vmbr0,firewall=1, not virtio on vmbr0',
    'ipconfig0 is ip=dhcp, not ip=192.168.1.20/24,gw=192.168.1.1',
    'ciuser is ubuntu, not admin',
    'onboot is (none), not 1',
    'agent is (none), not 1',
  ]);
});

qm.run();

const vars = suite('vm-services: variables');

vars('the defaults need only vm_ip and vm_gateway; bad values name the variable and the fix', () => {
  assert.equal(validateCreate(createDefaults)?.key, 'vm_ip');
  assert.is(validateCreate(V), undefined);
  const bad = (over: Partial<typeof V>) => validateCreate({ ...V, ...over });
  assert.equal(bad({ vm_ip: '192.168.1.20/24' })?.fix, 'write the address alone, e.g. 192.168.1.20 (the prefix length goes in vm_prefix_len)');
  assert.is(bad({ vm_gateway: '' })?.key, 'vm_gateway');
  assert.match(bad({ vm_gateway: '10.0.0.1' })!.message, "10.0.0.1 is not another address of 192.168.1.20/24's network");
  assert.is(bad({ vm_id: 99 })?.key, 'vm_id');
  assert.is(bad({ vm_name: 'my services' })?.key, 'vm_name');
  assert.is(bad({ vm_memory_mib: 256 })?.key, 'vm_memory_mib');
  assert.is(bad({ vm_dns: ['dns.example'] })?.key, 'vm_dns');
  assert.is(bad({ vm_user: 'root' })?.key, 'vm_user');
  assert.is(bad({ vm_igpu: 'yes' })?.key, 'vm_igpu');
  assert.match(bad({ vm_igpu: 'passthrough' })!.fix, 'set igpu_mode: passthrough (role proxmox-host, then reboot the host)');
  assert.is(bad({ vm_igpu: 'none', igpu_mode: 'passthrough' }), undefined);
  const moved = bad({ vm_image_url: 'https://cloud-images.ubuntu.com/releases/noble/release-20261101/ubuntu-24.04-server-cloudimg-amd64.img' });
  assert.is(moved?.key, 'vm_image_sha256');
  assert.match(moved!.fix, 'SHA256SUMS');
  assert.is(bad({ vm_image_url: 'file:///srv/noble.img', vm_image_sha256: 'a'.repeat(64) }), undefined);
  assert.is(bad({ vm_image_url: 'noble.img' })?.key, 'vm_image_url');
  assert.is(bad({ vm_image_sha256: 'abc' })?.key, 'vm_image_sha256');
  assert.is(NOBLE_IMAGE_URL.includes('/release-20260801/'), true);
  assert.match(NOBLE_IMAGE_SHA256, /^[0-9a-f]{64}$/);
  assert.is(imagePath({ vm_image_url: 'file:///srv/lab/fake%20noble.img', vm_image_dir: '/var/lib/vz/template/iso/' }), '/var/lib/vz/template/iso/fake noble.img');

  const g = { ...guestDefaults };
  assert.is(validateGuest(g), undefined);
  assert.is(validateGuest({ ...g, vm_share: 'smb' })?.key, 'vm_share');
  assert.is(validateGuest({ ...g, vm_share: 'nfs' })?.key, 'pve_ip');
  assert.is(validateGuest({ ...g, vm_docker_source: 'snap' })?.key, 'vm_docker_source');
  assert.is(validateGuest({ ...g, timezone: 'Europe Paris' })?.key, 'timezone');
});

vars('the public key is read on the controller: a real ssh-keygen key; a private key or a missing file is refused saying why', async () => {
  const dir = tempDir('msh-vm-key-');
  try {
    const priv = await makeKey(dir, 'id_ed25519');
    const pub = readFileSync(`${priv}.pub`, 'utf8').trim();
    assert.is(readPublicKeys(`${priv}.pub`), pub);
    writeFileSync(join(dir, 'two.pub'), `# laptop and phone\n${pub}\n\n${KEY}\n`);
    assert.is(readPublicKeys(join(dir, 'two.pub')), `${pub}\n${KEY}`);
    assert.throws(() => readPublicKeys(priv), /holds a PRIVATE key: give the public one/);
    assert.throws(() => readPublicKeys(join(dir, 'missing.pub')), /missing\.pub does not exist on this machine \(the controller\): make a key with ssh-keygen -t ed25519/);
    mkdirSync(join(dir, 'd'));
    writeFileSync(join(dir, 'd', 'x.pub'), 'not a key\n');
    assert.throws(() => readPublicKeys(join(dir, 'd', 'x.pub')), /is not an OpenSSH public key file \("not a key…" is not a key line\)/);
    assert.is(controllerPath('~/.ssh/id_ed25519.pub'), join(homedir(), '.ssh/id_ed25519.pub'));
    assert.is(controllerPath('.ssh-state/lab.pub'), resolve('.ssh-state/lab.pub'));
  } finally {
    removeTempDir(dir);
  }
});

vars.run();

const guest = suite('vm-services: inside the VM');

guest('fstab lines per method, and what counts as mounted', () => {
  const ds = sharedDatasets(guestDefaults);
  assert.equal(ds.map((d) => d.path), ['/mnt/tank/appdata', '/mnt/tank/backups', '/mnt/tank/media', '/mnt/tank/photos']);
  assert.equal(fstabLines('virtiofs', ds, ''), [
    'tank-appdata /mnt/tank/appdata virtiofs defaults,nofail 0 0',
    'tank-backups /mnt/tank/backups virtiofs defaults,nofail 0 0',
    'tank-media /mnt/tank/media virtiofs defaults,nofail 0 0',
    'tank-photos /mnt/tank/photos virtiofs defaults,nofail 0 0',
  ]);
  assert.equal(fstabLines('nfs', ds.slice(2, 3), '192.168.1.10'), ['192.168.1.10:/mnt/tank/media /mnt/tank/media nfs defaults,_netdev,nofail 0 0']);
  const custom = sharedDatasets({ ...guestDefaults, zfs_pool: 'data', zfs_mountpoint: '/srv', zfs_datasets: { media: { mountpoint: '/media' }, 'photos/raw': {} } });
  assert.equal(custom, [
    { tag: 'data-media', path: '/media' },
    { tag: 'data-photos-raw', path: '/srv/photos/raw' },
  ]);
  const media = ds[2]!;
  assert.is(mountState('tank-media virtiofs', 'virtiofs', media, ''), 'mounted');
  assert.is(mountState('', 'virtiofs', media, ''), 'absent');
  assert.is(mountState('192.168.1.10:/mnt/tank/media nfs4', 'nfs', media, '192.168.1.10'), 'mounted');
  assert.is(mountState('192.168.1.10:/mnt/tank/media nfs4', 'virtiofs', media, ''), '192.168.1.10:/mnt/tank/media (nfs4)');
  assert.is(mountState('/dev/sda1 ext4', 'nfs', media, '192.168.1.10'), '/dev/sda1 (ext4)');
});

guest('the mount method: none is decided from the variables; auto looks for virtiofs devices, else NFS from pve_ip', () => {
  const s = (over: Partial<typeof guestDefaults>, virtiofs: boolean) => guestShareMethod({ ...guestDefaults, ...over }, virtiofs);
  assert.equal(s({ vm_share: 'none' }, true), { method: 'none', why: 'vm_share is none' });
  assert.equal(s({ zfs_share: 'none' }, true), { method: 'none', why: 'zfs_share is none' });
  assert.equal(s({}, true), { method: 'virtiofs', why: 'the VM has virtiofs devices' });
  assert.equal(s({ pve_ip: '192.168.1.10' }, false), { method: 'nfs', why: 'the VM has no virtiofs device' });
  assert.match((s({}, false) as { error: string }).error, 'but pve_ip (the NFS server) is not set');
  assert.match((s({ vm_share: 'virtiofs' }, false) as { error: string }).error, 'this VM has no virtiofs device: run role vm-services-create');
  assert.equal(s({ zfs_share: 'nfs', pve_ip: '192.168.1.10' }, true), { method: 'nfs', why: 'zfs_share is nfs' });
});

guest('Docker: the source per OS and setting; Compose v1-only Debian 12 is refused saying what to do', () => {
  const noble = dockerPlan('auto', 'ubuntu', 'noble');
  assert.equal(noble, {
    source: 'docker-repo',
    repo: 'https://download.docker.com/linux/ubuntu',
    suite: 'noble',
    packages: ['docker-ce', 'docker-ce-cli', 'containerd.io', 'docker-compose-plugin'],
    conflicts: ['docker.io', 'docker-doc', 'docker-compose', 'docker-compose-v2', 'podman-docker', 'containerd', 'runc'],
    why: "Ubuntu: Docker's apt repository",
  });
  assert.is(dockerRepoLine(noble as Extract<typeof noble, { source: 'docker-repo' }>, 'x86_64'), 'deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/ubuntu noble stable');
  assert.equal(dockerPlan('auto', 'debian', 'trixie'), {
    source: 'distribution',
    packages: ['docker.io', 'docker-cli', 'docker-compose'],
    conflicts: ['docker-ce', 'docker-ce-cli', 'containerd.io', 'docker-compose-plugin'],
    why: 'Debian trixie: its docker.io and docker-compose (Compose v2)',
  });
  const bookworm = dockerPlan('auto', 'debian', 'bookworm') as { error: string };
  assert.match(bookworm.error, "Debian bookworm's docker-compose is Compose v1 (1.29), and bookworm-backports has no Compose v2: set vm_docker_source: docker-repo");
  assert.equal(dockerPlan('distribution', 'debian', 'bookworm'), bookworm);
  assert.is((dockerPlan('docker-repo', 'debian', 'bookworm') as { repo: string }).repo, 'https://download.docker.com/linux/debian');
  assert.equal((dockerPlan('distribution', 'ubuntu', 'noble') as { packages: string[] }).packages, ['docker.io', 'docker-compose-v2']);
  assert.match((dockerPlan('auto', 'fedora', '') as { error: string }).error, 'on Ubuntu or Debian, and this host is fedora');
});

guest('Compose v2: the real output of Debian 13 and the formats of Docker\'s plugin pass; Compose v1 or none does not', () => {
  assert.is(composeMajor(fixture('compose-version-debian13.txt')), 2);
  assert.is(composeMajor('Docker Compose version v2.29.1'), 2);
  assert.is(composeMajor('Docker Compose version v5.0.1'), 5);
  assert.is(composeMajor('docker-compose version 1.29.2, build unknown'), undefined);
  assert.is(composeMajor("docker: 'compose' is not a docker command.\nSee 'docker --help'"), undefined);
});

guest.run();
