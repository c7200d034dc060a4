/**
 * How the zfs role shares datasets with the VM, decided and applied against the pve-simulator
 * (files/lab/pve-simulator/): a SIMULATOR of Proxmox VE's pveversion and pvesh, run for real on this machine with a
 * temporary state directory. Passing here proves the role against the simulator, not against Proxmox VE.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hasDirectoryMappings, mappingId, shareMethod } from '../../roles/zfs/settings.ts';
import { directoryMappings, mappingCommands } from '../../roles/zfs/sharing.ts';
import { exportLines } from '../../roles/zfs/templates/exports.ts';
import { check, removeTempDir, runStep, shOk, tempDir } from '../helpers/steps.ts';

const SIM = fileURLToPath(new URL('../../files/lab/pve-simulator/pve-simulator.py', import.meta.url));
const t = suite('zfs role: sharing with the VM (Proxmox CLI simulator)');
const dir = tempDir('msh-zfs-share-');
const state = join(dir, 'state');

t.before(() => {
  mkdirSync(join(dir, 'bin'));
  mkdirSync(state);
  for (const tool of ['pvesh', 'pveversion']) {
    writeFileSync(join(dir, 'bin', tool), `#!/bin/sh\nexec python3 ${SIM} ${tool} "$@"\n`);
    chmodSync(join(dir, 'bin', tool), 0o755);
  }
  process.env['PATH'] = `${join(dir, 'bin')}:${process.env['PATH'] ?? '/usr/bin:/bin'}`;
  process.env['PVE_SIMULATOR_STATE'] = state;
});

t.after(() => removeTempDir(dir));

const simulatedVersion = async (v: string) => {
  writeFileSync(join(state, 'version'), v);
  return (await shOk('pveversion')).trim();
};

t('the method follows the version pveversion reports: virtiofs from 8.4, NFS before', async () => {
  const v83 = await simulatedVersion('8.3.2');
  const v84 = await simulatedVersion('8.4.1');
  const v90 = await simulatedVersion('9.0.3');
  assert.match(v84, /^pve-manager\/8\.4\.1\//);
  assert.equal([v83, v84, v90].map(hasDirectoryMappings), [false, true, true]);
  assert.equal(shareMethod('auto', v84), { method: 'virtiofs', why: `${v84.split(' ')[0]} has directory mappings` });
  assert.equal(shareMethod('auto', v83), { method: 'nfs', why: `${v83.split(' ')[0]} predates directory mappings (8.4)` });
  assert.match((shareMethod('virtiofs', v83) as { error: string }).error, /has no directory mappings \(they came with Proxmox VE 8\.4\)/);
  assert.equal(shareMethod('nfs', v90), { method: 'nfs', why: 'zfs_share is nfs' });
  assert.equal(shareMethod('auto', ''), { method: 'none', why: 'not a Proxmox VE host (no pveversion)' });
  assert.equal(shareMethod('none', v90), { method: 'none', why: 'zfs_share is none' });
});

t('directory mappings: created, then left alone, then pointed back when a path drifts', async () => {
  await simulatedVersion('8.4.1');
  const paths = ['media', 'photos', 'appdata', 'backups'].map((d) => ({ id: mappingId('tank', d), path: join(dir, 'mnt', d) }));
  for (const p of paths) mkdirSync(p.path, { recursive: true });
  const step = directoryMappings(paths, () => true);
  const first = await runStep(step);
  assert.ok(first.changed);
  assert.match(first.change!.summary, /^pvesh create \/cluster\/mapping\/dir --id tank-media --map node=\S+,path=\S+\/mnt\/media; pvesh create /);
  assert.is((await runStep(step)).changed, false, 'second run: nothing to do');

  const elsewhere = join(dir, 'elsewhere');
  mkdirSync(elsewhere);
  const node = (await shOk('uname -n | cut -d. -f1')).trim();
  await shOk(`pvesh set /cluster/mapping/dir/tank-photos --map node=${node},path=${elsewhere}`);
  const drift = await check(step);
  assert.is(drift?.summary, `pvesh set /cluster/mapping/dir/tank-photos --map node=${node},path=${join(dir, 'mnt', 'photos')}`);
  assert.ok((await runStep(step)).changed);
  assert.is(await check(step), null);
  const listed = JSON.parse(await shOk('pvesh get /cluster/mapping/dir --output-format json')) as { id: string }[];
  assert.equal(listed.map((m) => m.id).sort(), ['tank-appdata', 'tank-backups', 'tank-media', 'tank-photos']);
});

t("another node's entry of a mapping is kept when this node's is fixed", () => {
  const existing = [{ id: 'tank-media', map: ['node=other,path=/srv/media', 'node=pve,path=/old'], type: 'dir' }];
  assert.equal(mappingCommands([{ id: 'tank-media', path: '/mnt/tank/media' }], existing, 'pve'), [
    'pvesh set /cluster/mapping/dir/tank-media --map node=other,path=/srv/media --map node=pve,path=/mnt/tank/media',
  ]);
});

t('NFS exports: one line per dataset, for the VM only', () => {
  assert.is(
    exportLines([
      { path: '/mnt/tank/media', client: '192.168.1.20' },
      { path: '/mnt/tank/appdata', client: '192.168.1.20' },
    ]),
    '/mnt/tank/media 192.168.1.20(rw,sync,no_subtree_check,no_root_squash)\n/mnt/tank/appdata 192.168.1.20(rw,sync,no_subtree_check,no_root_squash)',
  );
});

t.run();
