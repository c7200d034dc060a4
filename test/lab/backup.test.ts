/**
 * The backup role on the lab's converged services VM: Debian's real restic (installed by the role), Immich's database
 * a real PostgreSQL (msh-lab/postgres:debian, Debian's server started like the upstream image; it lacks Immich's
 * vector extensions). Backup now, change a file, back up again, the restore drill green; a corrupted pack makes
 * `check` and the drill fail loudly; a wrong password fails without touching the repository; a backup killed mid-way
 * leaves a repository that the next run and `check` accept.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnCollect } from '../../lib/connectors/process.ts';
import { shq } from '../../lib/connectors/shell.ts';
import { defaults } from '../../roles/backup/defaults.ts';
import { HOST_LAYOUT } from '../../roles/backup/settings.ts';
import { runPlaybook } from './converge.ts';
import { defaultLabConfig as cfg } from './lab.ts';
import { useLab } from './use-lab.ts';

const REPO = defaults.backup_repository;
const ENV = ['--secrets', `${cfg.stateDir}/lab.env`];
const t = suite('lab: backups with real restic and PostgreSQL, proven by the restore drill');
useLab(t);

async function onServices(script: string, allowFail = false): Promise<{ code: number; out: string }> {
  const res = await spawnCollect('npx', ['zx', 'playbooks/lab.ts', 'ssh', 'services', '--', `sudo -n sh -c ${shq(script)}`], { timeoutMs: 600_000 });
  if (!allowFail) assert.is(res.code, 0, `on services: ${script}: ${res.stderr}`);
  return { code: res.code, out: (res.stdout + res.stderr).trim() };
}

const restic = (args: string) => onServices(`RESTIC_PASSWORD_FILE=${HOST_LAYOUT.passwordFile} RESTIC_REPOSITORY=${REPO} restic --no-cache ${args}`, true);
const now = (schedule: string) => runPlaybook('backup', cfg.inventoryFile, [...ENV, '--now', schedule]);

t('appdata backed up three times (a changed file, the database dump, forget --prune), then the drill restores and loads them', async () => {
  await onServices('mkdir -p /mnt/tank/appdata/lab-backup && echo first > /mnt/tank/appdata/lab-backup/note.txt');
  const first = await now('appdata');
  assert.is(first.exitCode, 0, first.stderr);
  await onServices('echo second >> /mnt/tank/appdata/lab-backup/note.txt');
  const second = await now('appdata');
  assert.is(second.exitCode, 0, second.stderr);
  await onServices('echo third >> /mnt/tank/appdata/lab-backup/note.txt');
  const third = await now('appdata');
  assert.is(third.exitCode, 0, third.stderr);

  // Three runs on one day and forget --prune (keep-daily): restic 0.14 keeps the newest, 0.17+ also the day's oldest
  // (to fill the policy); either way the middle one is gone and the newest holds every change.
  const snapshots = await restic('snapshots --json --tag msh-appdata');
  assert.is(snapshots.code, 0, snapshots.out);
  const kept = JSON.parse(snapshots.out.slice(snapshots.out.indexOf('['))) as unknown[];
  assert.ok(kept.length >= 1 && kept.length <= 2, `forget --prune left ${kept.length} snapshots of 3 runs: ${snapshots.out}`);
  const dumps = await onServices(`ls ${defaults.backup_db_dump_dir}`);
  assert.match(dumps.out, /immich-.*\.sql\.gz/);
  const latest = await restic('dump latest /mnt/tank/appdata/lab-backup/note.txt --tag msh-appdata');
  assert.is(latest.out, 'first\nsecond\nthird');
  const metrics = await onServices('cat /var/lib/prometheus/node-exporter/msh-backup-appdata.prom');
  assert.match(metrics.out, /msh_backup_last_exit_code\{schedule="appdata",repository="local"\} 0/);

  const drill = await runPlaybook('restore-drill', cfg.inventoryFile, ENV);
  assert.is(drill.exitCode, 0, drill.stderr);
});

t('a backup killed mid-way leaves a repository that the next run and check accept', async () => {
  await onServices('head -c 64M /dev/urandom > /mnt/tank/appdata/lab-backup/big.bin');
  await onServices(`systemctl start --no-block msh-backup-appdata.service; sleep 8; systemctl kill -s KILL msh-backup-appdata.service; sleep 1; true`);
  const again = await now('appdata');
  assert.is(again.exitCode, 0, again.stderr);
  const check = await now('check');
  assert.is(check.exitCode, 0, check.stderr);
  await onServices('rm -f /mnt/tank/appdata/lab-backup/big.bin');
});

t('a wrong password fails without touching the repository', async () => {
  const before = await onServices(`find ${REPO} -type f | sort | xargs sha256sum | sha256sum`);
  const wrong = await onServices(`RESTIC_PASSWORD=not-the-password restic --no-cache -r ${REPO} snapshots`, true);
  assert.is.not(wrong.code, 0);
  assert.match(wrong.out, /wrong password|no key found/);
  const after = await onServices(`find ${REPO} -type f | sort | xargs sha256sum | sha256sum`);
  assert.is(after.out, before.out);
});

t('corrupted pack files: check and the restore drill fail loudly', async () => {
  // Every pack: the drill restores a sample of files, which must not miss the damage by chance.
  await onServices(`cp -a ${REPO}/data /root/lab-restic-data.bak && find ${REPO}/data -type f -exec sh -c 'printf corrupt | dd of="$1" bs=1 seek=100 conv=notrunc 2>/dev/null' _ {} \\;`);
  try {
    const check = await restic('check --read-data');
    assert.is.not(check.code, 0, check.out);
    const drill = await runPlaybook('restore-drill', cfg.inventoryFile, ENV);
    assert.is(drill.exitCode, 2, drill.stderr);
    assert.match(drill.stderr, /msh-backup-drill\.service failed/);
  } finally {
    await onServices(`rm -rf ${REPO}/data && mv /root/lab-restic-data.bak ${REPO}/data`);
  }
  const healed = await restic('check');
  assert.is(healed.code, 0, healed.out);
});

t.run();
