/**
 * The zfsPool step against real loop devices on this machine, through the local connector: the real probe
 * (lsblk, wipefs -n), the real decision, and for --wipe the real `wipefs -a`. This machine has no ZFS, so `zpool` is a
 * TEST DOUBLE put first on PATH (it answers like a host with no pool and records what it is asked to create); nothing
 * else is simulated. Needs root and loop devices.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parsePoolProbe, poolProbeScript } from '../../lib/modules/disks/probe.ts';
import { judgeDisk } from '../../lib/modules/disks/safety.ts';
import { zfsPool } from '../../lib/modules/zfs-pool.ts';
import { context, probe, rejects, removeTempDir, sh, shOk, tempDir } from '../helpers/steps.ts';

const t = suite('zfsPool step on real loop devices (zpool is a test double)');

const dir = tempDir('msh-zfs-live-');
const byId = join(dir, 'by-id');
const mnt = join(dir, 'mnt');
const doubleLog = join(dir, 'zpool-double.log');
const loops: string[] = [];
let mounted = '';

const ZPOOL_DOUBLE = `#!/bin/sh
# TEST DOUBLE of OpenZFS's zpool (this machine has no ZFS): a host with no pools; records what it is asked.
echo "zpool $*" >> ${doubleLog}
case "$1" in
  status) echo "no pools available"; exit 0 ;;
  list) echo "cannot open '$5': no such pool" >&2; exit 1 ;;
  import) echo "no pools available to import" >&2; exit 1 ;;
  create) exit 0 ;;
  *) echo "zpool test double: $1 is not part of the double" >&2; exit 2 ;;
esac
`;

async function newDisk(name: string, setup = ''): Promise<string> {
  const img = join(dir, `${name}.img`);
  const dev = (await shOk(`truncate -s 64M ${img} && losetup -f --show ${img}`)).trim();
  loops.push(dev);
  await shOk(`ln -s ${dev} ${join(byId, name)}${setup ? ` && ${setup.replaceAll('$DEV', dev)}` : ''}`);
  return dev;
}

t.before(async () => {
  await shOk(`mkdir -p ${byId} ${join(dir, 'bin')} ${join(dir, 'busy')}`);
  writeFileSync(join(dir, 'bin', 'zpool'), ZPOOL_DOUBLE);
  chmodSync(join(dir, 'bin', 'zpool'), 0o755);
  process.env['PATH'] = `${join(dir, 'bin')}:${process.env['PATH'] ?? '/usr/bin:/bin'}`;
  await newDisk('blank');
  await newDisk('data', 'mkfs.ext4 -q -L data $DEV');
  const busy = await newDisk('busy', 'mkfs.ext4 -q -L busy $DEV');
  await shOk(`mount ${busy} ${join(dir, 'busy')}`);
  mounted = join(dir, 'busy');
});

t.after(async () => {
  if (mounted) await sh(`umount ${mounted}`);
  for (const l of loops) await sh(`losetup -d ${l}`);
  removeTempDir(dir);
});

const step = (disks: string[], wipe: string[] = []) =>
  zfsPool({ name: 'tank', layout: disks.length === 1 ? 'single' : 'mirror', disks: disks.map((d) => join(byId, d)), poolProperties: { ashift: '12' }, filesystemProperties: { mountpoint: mnt }, wipe });

const signatures = async (name: string) => (await shOk(`wipefs -n -J ${join(byId, name)}`)).match(/"type": "(\w+)"/g) ?? [];

t('the probe sees the real state of each disk, and the decision follows', async () => {
  const res = await sh(poolProbeScript('tank', mnt, ['blank', 'data', 'busy', 'gone'].map((d) => join(byId, d))));
  const p = parsePoolProbe(res.stdout);
  const verdicts = p.disks.map((d) => judgeDisk(d, { wipe: [], imported: p.imported, importable: p.importable }));
  assert.equal(verdicts.map((v) => v.kind), ['ok', 'refuse', 'refuse', 'refuse']);
  assert.match(JSON.stringify(verdicts[1]), /holds ext4 filesystem labelled 'data', 64\.0 MiB/);
  assert.match(JSON.stringify(verdicts[2]), /is mounted at /);
  assert.match(JSON.stringify(verdicts[3]), /gone does not exist.*the disks in .* are: blank, busy, data/);
});

t('a disk holding data stops the step with the fix, and nothing is run', async () => {
  const s = step(['blank', 'data']);
  const ctx = await context();
  const message = await rejects(async () => s.check(ctx, await probe(s)), /pool tank: .*data \(\/dev\/loop\d+\) holds ext4 filesystem labelled 'data', 64\.0 MiB — make sure it holds nothing you need, then rerun with --wipe data --yes to erase it/);
  assert.not.match(message, /blank/);
  assert.equal(await signatures('data'), ['"type": "ext4"']);
});

t('--check shows the wipe and the exact zpool create command', async () => {
  const s = step(['blank', 'data'], ['data']);
  const change = await s.check(await context({ checkMode: true }), await probe(s));
  assert.is(
    change?.summary,
    `wipe ${byId}/data (holds ext4 filesystem labelled 'data', 64.0 MiB; --wipe names it): wipefs -a ${byId}/data; then ` +
      `create pool tank, mirror of 2 disks (survives all but one disk failing): zpool create -o ashift=12 -O mountpoint=${mnt} tank mirror ${byId}/blank ${byId}/data`,
  );
});

t('--wipe without --yes wipes nothing', async () => {
  const s = step(['blank', 'data'], ['data']);
  const ctx = await context();
  const change = (await s.check(ctx, await probe(s)))!;
  await rejects(s.apply(ctx, change), new RegExp(`refusing to wipe ${byId}/data without confirmation: rerun with --yes`));
  assert.equal(await signatures('data'), ['"type": "ext4"']);
  assert.not.ok(readFileSync(doubleLog, 'utf8').includes('zpool create'), 'no pool was created');
});

t('a mounted disk is refused even with --wipe and --yes', async () => {
  const s = step(['blank', 'busy'], ['busy']);
  await rejects(async () => s.check(await context({ yes: true }), await probe(s)), /busy \(\/dev\/loop\d+, 64\.0 MiB\) is mounted at .* never wiped, even with --wipe/);
  assert.equal(await signatures('busy'), ['"type": "ext4"']);
});

t('--wipe with --yes wipes the disk for real, then runs zpool create', async () => {
  const s = step(['blank', 'data'], [`${byId}/data`]);
  const ctx = await context({ yes: true });
  const change = (await s.check(ctx, await probe(s)))!;
  await s.apply(ctx, change);
  assert.equal(await signatures('data'), [], 'the ext4 signature is gone');
  const calls = readFileSync(doubleLog, 'utf8').trim().split('\n');
  assert.is(calls[calls.length - 1], `zpool create -o ashift=12 -O mountpoint=${mnt} tank mirror ${byId}/blank ${byId}/data`);
});

t.run();
