/**
 * The disk-safety decision on probe output recorded from real loop devices (test/fixtures/disks/, see its README):
 * every recording directory is tested with the cases it has. This machine has no ZFS: where a test needs "a host with
 * ZFS and no pools", it says so and sets only that (`withZfsNoPools`); the disk part is always the recorded one.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parsePoolProbe, type PoolProbe } from '../../lib/modules/disks/probe.ts';
import { judgeDisk, type DiskVerdict } from '../../lib/modules/disks/safety.ts';
import { planPool, type PoolLayout, type PoolPlan } from '../../lib/modules/zfs-pool.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/disks/', import.meta.url));
const BY_ID = '/tmp/msh-disk-fixtures/by-id/';
const MNT = '/tmp/msh-disk-fixtures/mnt';
const recordings = readdirSync(FIXTURES).filter((d) => existsSync(join(FIXTURES, d, 'recorded-on.txt')));

const has = (rec: string, c: string) => existsSync(join(FIXTURES, rec, `${c}.txt`));
const load = (rec: string, c: string): PoolProbe => parsePoolProbe(readFileSync(join(FIXTURES, rec, `${c}.txt`), 'utf8'));
/** The recorded disks, as on a host that has ZFS and no pool at all (for recordings made where ZFS is missing). */
const withZfsNoPools = (p: PoolProbe): PoolProbe => (p.zpool ? p : { ...p, zpool: true, imported: [], importable: [] });
const partitionsVisible = (rec: string) => /partitions of loop devices visible: yes/.test(readFileSync(join(FIXTURES, rec, 'recorded-on.txt'), 'utf8'));

function judge(p: PoolProbe, i: number, wipe: string[] = []): DiskVerdict {
  return judgeDisk(p.disks[i]!, { wipe, imported: p.imported, importable: p.importable });
}

function plan(p: PoolProbe, disks: string[], layout: PoolLayout, wipe: string[] = []): PoolPlan {
  return planPool(
    { name: 'msh-rec-tank', layout, disks: disks.map((d) => BY_ID + d), poolProperties: { ashift: '12' }, filesystemProperties: { compression: 'lz4', mountpoint: MNT }, wipe },
    p,
  );
}

function refusal(v: DiskVerdict): { reason: string; fix: string } {
  if (v.kind !== 'refuse') throw new Error(`expected a refusal, got ${JSON.stringify(v)}`);
  return v;
}

const t = suite('disk safety on recorded probes');

t('there is at least one recording, made on this machine', () => {
  assert.ok(recordings.includes('debian12-container'), `recordings: ${recordings.join(', ')}`);
});

for (const rec of recordings) {
  const when = (c: string, name: string, fn: () => void) => {
    if (has(rec, c)) t(`${rec}: ${name}`, fn);
  };

  when('blank', 'a blank disk is used as is, in the exact zpool create command', () => {
    const p = load(rec, 'blank');
    assert.equal(judge(p, 0), { kind: 'ok', path: `${BY_ID}blank`, device: p.disks[0]!.state === 'present' ? p.disks[0]!.device : '' });
    const result = plan(withZfsNoPools(p), ['blank'], 'single');
    assert.equal(result, { kind: 'create', wipes: [], command: `zpool create -o ashift=12 -O compression=lz4 -O mountpoint=${MNT} msh-rec-tank ${BY_ID}blank` });
  });

  when('two-blank', 'two blank disks become a mirror', () => {
    const result = plan(withZfsNoPools(load(rec, 'two-blank')), ['blank', 'blank2'], 'mirror');
    assert.equal(result, { kind: 'create', wipes: [], command: `zpool create -o ashift=12 -O compression=lz4 -O mountpoint=${MNT} msh-rec-tank mirror ${BY_ID}blank ${BY_ID}blank2` });
  });

  when('blank', 'without the zpool command nothing is planned', () => {
    const p = load(rec, 'blank');
    if (p.zpool) return;
    const result = plan(p, ['blank'], 'single');
    assert.is(result.kind, 'refuse');
    assert.match((result as { problems: string[] }).problems[0]!, /zpool command is missing: install OpenZFS \(Debian and Proxmox: zfsutils-linux\)/);
  });

  when('ext4-labelled', 'an ext4 disk is refused, naming what it holds, its size and the fix', () => {
    const r = refusal(judge(load(rec, 'ext4-labelled'), 0));
    assert.match(r.reason, new RegExp(`^${BY_ID}ext4 \\(/dev/loop\\d+\\) holds ext4 filesystem labelled 'data', 64\\.0 MiB$`));
    assert.is(r.fix, 'make sure it holds nothing you need, then rerun with --wipe ext4 --yes to erase it');
  });

  when('ext4-labelled', 'an ext4 disk named by --wipe (by-id name or full path) is wiped, and only then', () => {
    const p = load(rec, 'ext4-labelled');
    for (const w of ['ext4', `${BY_ID}ext4`]) {
      const v = judge(p, 0, [w]);
      assert.is(v.kind, 'wipe', w);
      if (v.kind !== 'wipe') return;
      assert.is(v.holds, "ext4 filesystem labelled 'data', 64.0 MiB");
      assert.equal(v.commands, [`wipefs -a ${BY_ID}ext4`]);
    }
    assert.is(judge(p, 0, ['ext4x', 'blank']).kind, 'refuse', 'a --wipe for another name does not count');
    assert.is(judge(p, 0, ['/dev/disk/by-id/ext4x']).kind, 'refuse');
  });

  when('ext4-labelled', 'the plan wipes, then creates', () => {
    const result = plan(withZfsNoPools(load(rec, 'ext4-labelled')), ['ext4'], 'single', ['ext4']);
    assert.is(result.kind, 'create');
    if (result.kind !== 'create') return;
    assert.equal(result.wipes.map((w) => w.commands), [[`wipefs -a ${BY_ID}ext4`]]);
  });

  when('ext4-labelled', 'a --wipe naming none of the disks is an error (a typo must not pass unnoticed)', () => {
    const result = plan(withZfsNoPools(load(rec, 'ext4-labelled')), ['ext4'], 'single', ['ext-4']);
    assert.equal(result, { kind: 'refuse', problems: [`--wipe ext-4 names none of the pool's disks (${BY_ID}ext4): check the name`] });
  });

  when('gpt-ext4-partition', 'a GPT disk is refused; its partitions are described where the kernel shows them', () => {
    const p = load(rec, 'gpt-ext4-partition');
    const r = refusal(judge(p, 0));
    if (partitionsVisible(rec)) {
      assert.match(r.reason, /holds GPT partition table with 1 partition \(\/dev\/\S+, 32\.0 MiB: ext4 filesystem labelled 'home'\)$/);
    } else {
      assert.match(r.reason, /holds GPT partition table, 64\.0 MiB$/);
    }
    const v = judge(p, 0, ['gpt']);
    assert.is(v.kind, 'wipe');
    if (v.kind !== 'wipe') return;
    // Partitions first (their signatures would otherwise outlive the table), the disk last.
    assert.is(v.commands[v.commands.length - 1], `wipefs -a ${BY_ID}gpt`);
    assert.is(v.commands.length, partitionsVisible(rec) ? 2 : 1);
  });

  when('gpt-empty-partition', 'a GPT table without filesystems is still refused', () => {
    assert.match(refusal(judge(load(rec, 'gpt-empty-partition'), 0)).reason, /holds GPT partition table/);
  });

  when('dos-table', 'a DOS partition table is refused', () => {
    assert.match(refusal(judge(load(rec, 'dos-table'), 0)).reason, /holds DOS \(MBR\) partition table/);
  });

  when('swap-signature', 'a swap signature is refused', () => {
    assert.match(refusal(judge(load(rec, 'swap-signature'), 0)).reason, /holds swap space labelled 'swapdisk', 64\.0 MiB$/);
  });

  when('lvm-pv', 'an LVM physical volume is refused', () => {
    assert.match(refusal(judge(load(rec, 'lvm-pv'), 0)).reason, /holds LVM physical volume, 64\.0 MiB$/);
  });

  const inUse = (c: string, disk: string, reason: RegExp) =>
    when(c, `${c}: refused even with --wipe (in use by the running system)`, () => {
      const p = load(rec, c);
      for (const wipe of [[], [disk]]) {
        const r = refusal(judge(p, 0, wipe));
        assert.match(r.reason, reason);
        assert.match(r.fix, /never wiped, even with --wipe: choose another disk/);
      }
    });
  inUse('mounted', 'mounted', /is mounted at \/tmp\/msh-disk-fixtures\/mnt-mounted$/);
  inUse('partition-mounted', 'partmounted', /is mounted at \/tmp\/msh-disk-fixtures\/mnt-partmounted \(on \/dev\/\S+\)$/);
  inUse('swap-active', 'swapon', /is in use as swap$/);
  inUse('system-disk', 'system', /holds \/ — the running system's root filesystem/);
  inUse('lvm-active', 'lvm', /is in use by the lvm device \/dev\/mapper\/mshrecvg-lv/);

  when('duplicate', 'one disk listed under two names is refused', () => {
    const result = plan(withZfsNoPools(load(rec, 'duplicate')), ['blank', 'blank-alias'], 'mirror');
    assert.is(result.kind, 'refuse');
    assert.match((result as { problems: string[] }).problems.join('\n'), new RegExp(`${BY_ID}blank and ${BY_ID}blank-alias are the same disk \\(/dev/loop\\d+\\)`));
  });

  when('missing', 'a missing disk is named, with the names that do exist', () => {
    const p = load(rec, 'missing');
    assert.is(judge(p, 0).kind, 'ok');
    const r = refusal(judge(p, 1));
    assert.is(r.reason, `${BY_ID}not-there does not exist`);
    assert.match(r.fix, /^check the name; the disks in \/tmp\/msh-disk-fixtures\/by-id are: blank, blank-alias, blank2, /);
    assert.not.match(r.fix, /not-there/);
  });

  when('mountpoint-nonempty', 'a pool is not created over a mount point that holds files', () => {
    const result = plan(withZfsNoPools(load(rec, 'mountpoint-nonempty')), ['blank'], 'single');
    assert.equal(result, {
      kind: 'refuse',
      problems: [`${MNT} exists and is not empty: the new pool would be mounted over what is there — move its content away, or choose another mount point`],
    });
  });

  when('ext4-labelled', 'every refusal is reported at once, not only the first', () => {
    // The ext4 disk and a name that is not there: two problems in one plan.
    const p = withZfsNoPools(load(rec, 'ext4-labelled'));
    const missing = withZfsNoPools(load(rec, 'missing'));
    const both: PoolProbe = { ...p, disks: [p.disks[0]!, missing.disks[1]!] };
    const result = plan(both, ['ext4', 'not-there'], 'mirror');
    assert.is(result.kind, 'refuse');
    const problems = (result as { problems: string[] }).problems;
    assert.is(problems.length, 2);
    assert.match(problems[0]!, /holds ext4 filesystem/);
    assert.match(problems[1]!, /not-there does not exist/);
  });
}

t.run();
