/**
 * zfsDataset: property comparison (sizes in bytes), the commands it builds, and its decision from `zfs get` output.
 * This machine has no ZFS: the `zfs get` outputs below are TEST DOUBLES written to zfs-get(8)'s documented format
 * (-H: tab-separated, no header; -p: exact numbers); the real outputs recorded in the lab are tested in
 * test/modules/zfs-lab-fixtures-TODO.test.ts.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { StepContext } from '../../lib/api/step.ts';
import { formatSize, parseSize, propertyChanges, zfsCreateCommand, zfsDataset, zfsSetCommand } from '../../lib/modules/zfs-dataset.ts';

const t = suite('zfsDataset');
const ctx = {} as StepContext;
const getDouble = (rows: [string, string][]) => ({ stdout: rows.map(([k, v]) => `${k}\t${v}`).join('\n') + '\n', code: 0 });

t('sizes are compared in bytes, whatever their spelling', () => {
  assert.is(parseSize('1M'), 1048576);
  assert.is(parseSize('1m'), 1048576);
  assert.is(parseSize('1024K'), 1048576);
  assert.is(parseSize('1048576'), 1048576);
  assert.is(parseSize('1.5G'), 1610612736);
  assert.is(parseSize('2GiB'), 2147483648);
  assert.is(parseSize('none'), 0);
  assert.is(parseSize('lz4'), undefined);
  assert.is(formatSize('1048576'), '1M');
  assert.is(formatSize('131072'), '128K');
  assert.is(formatSize('0'), 'none');
  assert.is(formatSize('1000'), '1000');
});

t('only the properties that differ are changed, old → new', () => {
  const current = new Map([['recordsize', '131072'], ['compression', 'lz4'], ['atime', 'on']]);
  assert.equal(propertyChanges({ recordsize: '128K', compression: 'lz4' }, current), []);
  assert.equal(propertyChanges({ recordsize: '1M', compression: 'lz4', atime: 'off', 'org.example:note': 'x' }, current), [
    { property: 'recordsize', from: '128K', to: '1M' },
    { property: 'atime', from: 'on', to: 'off' },
    { property: 'org.example:note', from: '-', to: 'x' },
  ]);
});

t('the commands', () => {
  assert.is(zfsCreateCommand('tank/media', { recordsize: '1M' }), 'zfs create -p -o recordsize=1M tank/media');
  assert.is(zfsCreateCommand('tank/appdata', {}), 'zfs create -p tank/appdata');
  assert.is(zfsSetCommand('tank/media', [{ property: 'recordsize', from: '128K', to: '1M' }, { property: 'atime', from: 'on', to: 'off' }]), 'zfs set recordsize=1M atime=off tank/media');
});

t('missing: created with its properties (what --check shows)', async () => {
  const step = zfsDataset({ name: 'tank/media', properties: { recordsize: '1M' } });
  assert.is(step.probe, 'zfs get -H -p -o property,value type,mounted,canmount,recordsize tank/media 2>&1');
  const change = await step.check(ctx, { stdout: "cannot open 'tank/media': dataset does not exist\n", code: 1 });
  assert.is(change?.summary, 'create tank/media: zfs create -p -o recordsize=1M tank/media');
});

t('a pool root that is missing is an error, never created with zfs create', async () => {
  const step = zfsDataset({ name: 'tank', properties: { compression: 'lz4' }, create: false });
  try {
    await step.check(ctx, { stdout: "cannot open 'tank': dataset does not exist\n", code: 1 });
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /dataset tank does not exist \(it is made with its pool\)/);
  }
});

t('drift is listed per property; a right dataset is left alone; an unmounted one is mounted', async () => {
  const step = zfsDataset({ name: 'tank/media', properties: { recordsize: '1M', compression: 'lz4' } });
  const base: [string, string][] = [['type', 'filesystem'], ['mounted', 'yes'], ['canmount', 'on']];
  assert.is(await step.check(ctx, getDouble([...base, ['recordsize', '1048576'], ['compression', 'lz4']])), null);
  const drift = await step.check(ctx, getDouble([...base, ['recordsize', '131072'], ['compression', 'off']]));
  assert.is(drift?.summary, 'tank/media: recordsize 128K → 1M, compression off → lz4 (zfs set recordsize=1M compression=lz4 tank/media)');
  const unmounted = await step.check(ctx, getDouble([['type', 'filesystem'], ['mounted', 'no'], ['canmount', 'on'], ['recordsize', '1048576'], ['compression', 'lz4']]));
  assert.is(unmounted?.summary, 'tank/media: mount it (zfs mount tank/media)');
});

t('an unreadable answer is an error, not a guess', async () => {
  const step = zfsDataset({ name: 'tank/media', properties: {} });
  try {
    await step.check(ctx, { stdout: 'sh: 1: zfs: not found\n', code: 127 });
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /cannot read the properties of tank\/media: sh: 1: zfs: not found/);
  }
});

t('bad names and values are refused when the step is made', () => {
  assert.throws(() => zfsDataset({ name: 'tank/media files', properties: {} }), /not a dataset name/);
  assert.throws(() => zfsDataset({ name: 'tank/media', properties: { RecordSize: '1M' } }), /not a property name/);
  assert.throws(() => zfsDataset({ name: 'tank/media', properties: { recordsize: '' } }), /single-line value/);
});

t.run();
