/**
 * Disk safety on the lab's pve VM (real OpenZFS, real virtual disks): the disk `virtio-lab-ext4` carries an ext4
 * filesystem. The zfs role must refuse it without --wipe naming it (and without --yes), leave every byte of it as it
 * was (sha256 of the whole device before and after), and only with `--wipe virtio-lab-ext4 --yes` erase it and build
 * the pool. The pool is a scratch pool, destroyed at the end; `tank` on the other disks is not touched.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnCollect } from '../../lib/connectors/process.ts';
import type { RunEvent } from '../../lib/runner/events.ts';
import { defaultLabConfig } from './lab.ts';
import { useLab } from './use-lab.ts';

const cfg = defaultLabConfig;
const DISK = '/dev/disk/by-id/virtio-lab-ext4';
const POOL = 'mshscratch';
const t = suite('lab: the zfs role never wipes a used disk by surprise');
useLab(t, () => onPve(`zpool destroy -f ${POOL} 2>/dev/null; true`));

async function onPve(script: string): Promise<string> {
  const res = await spawnCollect('npx', ['zx', 'playbooks/lab.ts', 'ssh', 'pve', '--', script], { timeoutMs: 120_000 });
  assert.is(res.code, 0, `on pve: ${script}: ${res.stderr}`);
  return res.stdout.trim();
}

/** The lab inventory with a scratch pool on the ext4 disk alone (its own mount point: tank may be there too). */
function scratchInventory(): string {
  const file = join(cfg.stateDir, 'zfs-scratch-inventory.yml');
  const lab = readFileSync(cfg.inventoryFile, 'utf8').replace(/^ {10}zfs_disks: .*\n/m, '');
  writeFileSync(file, lab.replace('  vars:\n', `  vars:\n    zfs_pool: ${POOL}\n    zfs_disks: ["${DISK}"]\n    zfs_mountpoint: /mnt/${POOL}\n`));
  return file;
}

async function runPoolStep(extra: string[]): Promise<{ code: number; pool?: Extract<RunEvent, { type: 'step' }>; output: string }> {
  const res = await spawnCollect('npx', ['zx', 'playbooks/zfs.ts', '-i', scratchInventory(), '--limit', 'pve', '--tags', 'pool', '--json', '--log-dir', join(cfg.stateDir, 'logs'), ...extra], {
    env: { ...process.env, CI: 'true' },
    timeoutMs: 600_000,
  });
  const events = res.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as RunEvent);
  const pool = events.filter((e): e is Extract<RunEvent, { type: 'step' }> => e.type === 'step' && e.title === `Pool ${POOL}`).pop();
  return { code: res.code, pool, output: res.stdout + res.stderr };
}

const checksum = () => onPve(`sha256sum ${DISK} | cut -d' ' -f1`);
const signatures = () => onPve(`wipefs -n -O TYPE,LABEL --noheadings ${DISK}`);

t('the ext4 disk is refused without --wipe, with --wipe naming another disk, and with --wipe but no --yes; not a byte changes', async () => {
  const before = await checksum();
  assert.match(await signatures(), /ext4\s+lab-ext4/);

  const plain = await runPoolStep([]);
  assert.is(plain.code, 2, plain.output);
  assert.is(plain.pool?.status, 'failed', plain.output);
  assert.match(plain.pool!.message!, 'virtio-lab-ext4');
  assert.match(plain.pool!.message!, 'ext4');
  assert.match(plain.pool!.message!, '--wipe virtio-lab-ext4');

  const wrongName = await runPoolStep(['--wipe', 'virtio-lab-zfs-a', '--yes']);
  assert.is(wrongName.code, 2, wrongName.output);
  assert.match(wrongName.pool!.message!, 'names none of the pool');

  const noYes = await runPoolStep(['--wipe', 'virtio-lab-ext4']);
  assert.is(noYes.code, 2, noYes.output);
  assert.match(noYes.pool!.message!, `wipe ${DISK}`);

  const checked = await runPoolStep(['--wipe', 'virtio-lab-ext4', '--yes', '--check']);
  assert.is(checked.code, 0, checked.output);
  assert.match(checked.pool!.message!, 'wipefs -a');
  assert.match(checked.pool!.message!, `zpool create`);

  assert.is(await checksum(), before, 'the refused runs and --check left the disk exactly as it was');
  assert.match(await signatures(), /ext4\s+lab-ext4/);
  assert.is(await onPve(`zpool list -H -o name ${POOL} 2>/dev/null || echo none`), 'none');
});

t('with --wipe <that disk> --yes it is erased and the pool is built on it', async () => {
  const run = await runPoolStep(['--wipe', 'virtio-lab-ext4', '--yes']);
  assert.is(run.code, 0, run.output);
  assert.is(run.pool?.status, 'changed', run.output);
  assert.is(await onPve(`zpool list -H -o health ${POOL}`), 'ONLINE');
  assert.not.match(await signatures(), 'ext4');
  const again = await runPoolStep([]);
  assert.is(again.code, 0, again.output);
  assert.is(again.pool?.status, 'ok', 'the pool is adopted on a rerun, without --wipe');
});

t.run();
