/** zfsPool: the zpool create command for each layout, and what it refuses to be built with. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { zfsPool, zpoolCreateCommand } from '../../lib/modules/zfs-pool.ts';

const t = suite('zfsPool');
const disks = ['/dev/disk/by-id/ata-A', '/dev/disk/by-id/ata-B', '/dev/disk/by-id/ata-C', '/dev/disk/by-id/ata-D'];
const opts = { name: 'tank', poolProperties: { ashift: '12' }, filesystemProperties: { compression: 'lz4', atime: 'off', xattr: 'sa', mountpoint: '/mnt/tank' } };
const head = 'zpool create -o ashift=12 -O compression=lz4 -O atime=off -O xattr=sa -O mountpoint=/mnt/tank tank';

t('one vdev of the layout over all disks', () => {
  assert.is(zpoolCreateCommand({ ...opts, layout: 'single', disks: disks.slice(0, 1) }), `${head} /dev/disk/by-id/ata-A`);
  assert.is(zpoolCreateCommand({ ...opts, layout: 'mirror', disks: disks.slice(0, 2) }), `${head} mirror /dev/disk/by-id/ata-A /dev/disk/by-id/ata-B`);
  assert.is(zpoolCreateCommand({ ...opts, layout: 'raidz1', disks: disks.slice(0, 3) }), `${head} raidz1 /dev/disk/by-id/ata-A /dev/disk/by-id/ata-B /dev/disk/by-id/ata-C`);
  assert.is(zpoolCreateCommand({ ...opts, layout: 'raidz2', disks }), `${head} raidz2 ${disks.join(' ')}`);
  assert.is(zpoolCreateCommand({ ...opts, layout: 'stripe', disks: disks.slice(0, 2) }), `${head} /dev/disk/by-id/ata-A /dev/disk/by-id/ata-B`);
});

t('values that need it are quoted for the shell', () => {
  assert.is(zpoolCreateCommand({ name: 'tank', layout: 'single', disks: ["/dev/disk/by-id/usb-Disk_it's"], filesystemProperties: { 'org.example:note': 'two words' } }), `zpool create -O 'org.example:note=two words' tank '/dev/disk/by-id/usb-Disk_it'\\''s'`);
});

t('too few disks for the layout, or a reserved name, are refused when the step is made', () => {
  assert.throws(() => zfsPool({ ...opts, layout: 'mirror', disks: disks.slice(0, 1) }), /a mirror pool needs at least 2 disks, got 1/);
  assert.throws(() => zfsPool({ ...opts, layout: 'raidz1', disks: disks.slice(0, 2) }), /at least 3 disks/);
  assert.throws(() => zfsPool({ ...opts, layout: 'single', disks: disks.slice(0, 2) }), /exactly one disk/);
  assert.throws(() => zfsPool({ ...opts, name: 'mirror1', layout: 'single', disks: disks.slice(0, 1) }), /not a usable pool name/);
  assert.throws(() => zfsPool({ ...opts, name: 'c0', layout: 'single', disks: disks.slice(0, 1) }), /not a usable pool name/);
});

t.run();
