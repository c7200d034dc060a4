/**
 * The ZFS cases of the disk probe (pool labels, imported / importable / destroyed pools, zfs get), on outputs recorded
 * with test/fixtures/disks/record.sh on a host with OpenZFS: the lab's pve VM (see test/fixtures/disks/README.md).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { StepContext } from '../../lib/api/step.ts';
import { parsePoolProbe, type PoolProbe } from '../../lib/modules/disks/probe.ts';
import { judgeDisk, type DiskVerdict } from '../../lib/modules/disks/safety.ts';
import { zfsDataset } from '../../lib/modules/zfs-dataset.ts';
import { planPool, type PoolPlan } from '../../lib/modules/zfs-pool.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/disks/', import.meta.url));
const BY_ID = '/tmp/msh-disk-fixtures/by-id/';
const POOL = 'msh-rec-tank';
const zfsRecordings = readdirSync(FIXTURES).filter((d) => existsSync(join(FIXTURES, d, 'zfs-pool-imported.txt')));

const read = (rec: string, file: string) => readFileSync(join(FIXTURES, rec, file), 'utf8');
const load = (rec: string, c: string): PoolProbe => parsePoolProbe(read(rec, `${c}.txt`));
const judge = (p: PoolProbe, wipe: string[] = []): DiskVerdict => judgeDisk(p.disks[0]!, { wipe, imported: p.imported, importable: p.importable });
const plan = (p: PoolProbe, disks: string[]): PoolPlan =>
  planPool({ name: POOL, layout: 'mirror', disks: disks.map((d) => BY_ID + d), poolProperties: { ashift: '12' }, filesystemProperties: { mountpoint: '/tmp/msh-disk-fixtures/mnt' } }, p);

const t = suite('ZFS cases of the disk probe, recorded on a host with OpenZFS');

t('at least one recording has the ZFS cases', () => {
  assert.ok(zfsRecordings.length > 0, 'record them with test/fixtures/disks/record.sh on the lab pve VM (see test/fixtures/disks/README.md)');
});

for (const rec of zfsRecordings) {
  t(`${rec}: an imported pool on the given disks is adopted as it is`, () => {
    const p = load(rec, 'zfs-pool-imported');
    assert.ok(p.poolImported);
    assert.is(p.imported.find((x) => x.name === POOL)?.devices.length, 2);
    assert.equal(plan(p, ['zfsa', 'zfsb']), { kind: 'present' });
  });

  t(`${rec}: a pool of that name on other disks is reported and left alone`, () => {
    const result = plan(load(rec, 'zfs-pool-other-disks'), ['blank', 'blank2']);
    assert.is(result.kind, 'refuse');
    assert.match((result as { problems: string[] }).problems[0]!, /a pool named msh-rec-tank is imported, but .*blank, .*blank2 are not part of it .*never recreated or changed/);
  });

  t(`${rec}: an exported pool on the given disks is imported, not recreated`, () => {
    const p = load(rec, 'zfs-pool-importable');
    const listed = p.importable.find((x) => x.name === POOL);
    assert.ok(listed, 'zpool import lists the pool');
    // blkid shows a zfs_member's pool GUID as its UUID, the same number `zpool import` prints as id.
    for (const d of p.disks) assert.ok(d.state === 'present' && d.signatures.some((s) => s.type === 'zfs_member' && s.label === POOL && s.uuid === listed!.id), d.path);
    assert.equal(plan(p, ['zfsa', 'zfsb']), { kind: 'import', command: `zpool import -d /tmp/msh-disk-fixtures/by-id ${POOL}` });
  });

  t(`${rec}: a disk of another imported pool is refused even with --wipe`, () => {
    const p = load(rec, 'zfs-member-of-imported-pool');
    for (const wipe of [[], ['zfsold']]) {
      const v = judge(p, wipe);
      assert.is(v.kind, 'refuse');
      assert.match((v as { reason: string }).reason, /is part of the imported ZFS pool 'msh-rec-old'/);
    }
  });

  t(`${rec}: the label of an exported pool is refused, and cleared with labelclear when --wipe names the disk`, () => {
    const p = load(rec, 'zfs-label-exported-pool');
    const r = judge(p);
    assert.is(r.kind, 'refuse');
    assert.match((r as { reason: string }).reason, /ZFS pool label of pool 'msh-rec-old' \(exported: `zpool import` lists it\)/);
    const w = judge(p, ['zfsold']);
    assert.is(w.kind, 'wipe');
    const commands = (w as { commands: string[] }).commands;
    assert.match(commands[0]!, /^zpool labelclear -f /);
    assert.is(commands[commands.length - 1], `wipefs -a ${BY_ID}zfsold`);
  });

  t(`${rec}: the label of a destroyed pool is refused`, () => {
    const r = judge(load(rec, 'zfs-label-destroyed-pool'));
    assert.is(r.kind, 'refuse');
    assert.match((r as { reason: string }).reason, /ZFS pool label of pool 'msh-rec-old' \(not importable: destroyed or incomplete\)/);
  });

  t(`${rec}: zfsDataset reads real zfs get output`, async () => {
    const ctx = {} as StepContext;
    const existing = { stdout: read(rec, 'zfs-get-existing.txt'), code: Number(read(rec, 'zfs-get-existing.rc')) };
    assert.is(await zfsDataset({ name: `${POOL}/media`, properties: { recordsize: '1M' } }).check(ctx, existing), null);
    const drift = await zfsDataset({ name: `${POOL}/media`, properties: { recordsize: '128K' } }).check(ctx, existing);
    assert.match(drift?.summary ?? '', /recordsize 1M → 128K \(zfs set recordsize=128K msh-rec-tank\/media\)/);
    const missing = { stdout: read(rec, 'zfs-get-missing.txt'), code: Number(read(rec, 'zfs-get-missing.rc')) };
    assert.is((await zfsDataset({ name: `${POOL}/missing`, properties: { recordsize: '1M' } }).check(ctx, missing))?.summary, `create ${POOL}/missing: zfs create -p -o recordsize=1M ${POOL}/missing`);
  });
}

t.run();
