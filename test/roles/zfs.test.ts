/**
 * The zfs role's own decisions and templates, its variables as an inventory gives them, its command-line flag, and
 * the ARC step run for real on this machine (it writes /etc/modprobe.d/zfs.conf and restores it; this machine has no
 * zfs module, so only the file part applies here).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCli } from '../../lib/cli/args.ts';
import { InputError } from '../../lib/errors.ts';
import { parseInventory } from '../../lib/inventory/load.ts';
import { buildSchema } from '../../lib/inventory/schema.ts';
import { zpoolCreateCommand } from '../../lib/modules/zfs-pool.ts';
import type { RunOptions } from '../../lib/runner/options.ts';
import { planRun } from '../../lib/runner/plan.ts';
import { arcLimit } from '../../roles/zfs/arc.ts';
import { defaults } from '../../roles/zfs/defaults.ts';
import { POOL_PROPERTIES, ROOT_PROPERTIES, wipeFlag, zfs } from '../../roles/zfs/index.ts';
import { decideScrub } from '../../roles/zfs/scrub.ts';
import { arcMaxBytes, poolLayout, validateZfs } from '../../roles/zfs/settings.ts';
import { setModuleOption } from '../../roles/zfs/templates/modprobe.ts';
import { sanoidConf } from '../../roles/zfs/templates/sanoid.ts';
import { context, probe, runStep } from '../helpers/steps.ts';

const t = suite('zfs role');
const ID = '/dev/disk/by-id/';
const disks = (n: number) => Array.from({ length: n }, (_, i) => `${ID}ata-WDC_WD40EFRX-68N32N0_WD-WCC7K${i}`);
const vars = (over: Partial<typeof defaults> = {}) => ({ ...defaults, zfs_disks: disks(2), ...over });

t('layout: one disk alone, two mirrored, three or more in raidz1; the exact zpool create line', () => {
  const command = (n: number) =>
    zpoolCreateCommand({ name: 'tank', layout: poolLayout('auto', n), disks: disks(n), poolProperties: POOL_PROPERTIES, filesystemProperties: { ...ROOT_PROPERTIES, mountpoint: '/mnt/tank' } });
  const head = 'zpool create -o ashift=12 -O compression=lz4 -O atime=off -O xattr=sa -O mountpoint=/mnt/tank tank';
  assert.is(command(1), `${head} ${disks(1)[0]}`);
  assert.is(command(2), `${head} mirror ${disks(2).join(' ')}`);
  assert.is(command(3), `${head} raidz1 ${disks(3).join(' ')}`);
  assert.is(poolLayout('auto', 5), 'raidz1');
  assert.is(poolLayout('mirror', 3), 'mirror', 'an explicit layout wins');
});

t('ARC limit: 25% of RAM, at most 4 GiB; or the size given, below the RAM', () => {
  assert.equal(arcMaxBytes('auto', 15800), { bytes: 3950 * 2 ** 20, why: '25% of 15.4 GiB RAM' }, 'a 16 GB box (MemTotal is a little less)');
  assert.equal(arcMaxBytes('auto', 32000), { bytes: 4 * 2 ** 30, why: '25% of 31.3 GiB RAM, capped at 4 GiB' });
  assert.equal(arcMaxBytes('auto', 8192), { bytes: 2 * 2 ** 30, why: '25% of 8.0 GiB RAM' });
  assert.is(arcMaxBytes('auto', 128).bytes, 64 * 2 ** 20, 'never below the 64 MiB ZFS accepts');
  assert.equal(arcMaxBytes('3072M', 16000), { bytes: 3 * 2 ** 30, why: 'zfs_arc_max 3072M' });
  assert.throws(() => arcMaxBytes('32G', 16000), /zfs_arc_max 32G is not below the host's RAM \(15\.6 GiB\)/);
});

t('modprobe option: added, replaced in place (keeping the other options), or left alone', () => {
  assert.equal(setModuleOption('', 'zfs', 'zfs_arc_max', '100'), { text: 'options zfs zfs_arc_max=100\n', summary: 'add "options zfs zfs_arc_max=100"' });
  // The line the Proxmox installer writes, with another option after it.
  const installer = '# installer\noptions zfs zfs_arc_max=1677721600 zfs_arc_min=100000000\n';
  assert.equal(setModuleOption(installer, 'zfs', 'zfs_arc_max', '4294967296'), {
    text: '# installer\noptions zfs zfs_arc_max=4294967296 zfs_arc_min=100000000\n',
    summary: 'set zfs_arc_max=4294967296',
  });
  assert.is(setModuleOption('options zfs zfs_arc_max=100\n', 'zfs', 'zfs_arc_max', '100'), null);
  assert.equal(setModuleOption('options spl spl_hostid=1\n', 'zfs', 'zfs_arc_max', '5')?.text, 'options spl spl_hostid=1\noptions zfs zfs_arc_max=5\n');
});

t('sanoid.conf: one template per dataset with a policy, every kind written out', () => {
  assert.is(
    sanoidConf('tank', Object.keys(defaults.zfs_datasets), defaults.zfs_snapshots),
    `# Managed by media-server-home (role zfs, variable zfs_snapshots). sanoid.timer reads it every 15 minutes.
# No snapshots of: tank/backups (no policy in zfs_snapshots).

[tank/appdata]
\tuse_template = appdata

[tank/media]
\tuse_template = media

[tank/photos]
\tuse_template = photos

[template_appdata]
\tfrequently = 0
\thourly = 24
\tdaily = 30
\tweekly = 0
\tmonthly = 3
\tyearly = 0
\tautosnap = yes
\tautoprune = yes

[template_media]
\tfrequently = 0
\thourly = 0
\tdaily = 7
\tweekly = 0
\tmonthly = 3
\tyearly = 0
\tautosnap = yes
\tautoprune = yes

[template_photos]
\tfrequently = 0
\thourly = 0
\tdaily = 30
\tweekly = 0
\tmonthly = 12
\tyearly = 0
\tautosnap = yes
\tautoprune = yes
`,
  );
  assert.match(sanoidConf('tank', ['media/films'], { 'media/films': { daily: 1 } }), /\[tank\/media\/films\]\n\tuse_template = media_films\n/);
});

t('scrub: Debian cron when cron runs, else the OpenZFS timer, else a clear error', () => {
  const s = { cronJob: true, cronRunning: true, timerUnit: true, timerEnabled: 'disabled' };
  assert.match((decideScrub(s, 'tank') as { ok: string }).ok, /Debian's cron job \/etc\/cron\.d\/zfsutils-linux/);
  assert.equal(decideScrub({ ...s, cronJob: false }, 'tank'), { enable: 'enable and start zfs-scrub-monthly@tank.timer (there is no /etc/cron.d/zfsutils-linux)' });
  assert.equal(decideScrub({ ...s, cronRunning: false }, 'tank'), { enable: 'enable and start zfs-scrub-monthly@tank.timer (/etc/cron.d/zfsutils-linux is there but cron is not running)' });
  assert.match((decideScrub({ ...s, cronJob: false, timerEnabled: 'enabled' }, 'tank') as { ok: string }).ok, /zfs-scrub-monthly@tank\.timer \(enabled\)/);
  assert.match((decideScrub({ ...s, cronJob: false, timerUnit: false }, 'tank') as { error: string }).error, /no monthly scrub: .*is zfsutils-linux installed\?/);
});

t('validation: each bad value is named with its fix', () => {
  const bad = (over: Partial<typeof defaults>) => validateZfs(vars(over));
  assert.is(validateZfs(vars()), undefined);
  assert.equal(bad({ zfs_disks: [] })?.key, 'zfs_disks');
  assert.match(bad({ zfs_disks: ['/dev/sdb'] })?.message ?? '', /"\/dev\/sdb" is not a \/dev\/disk\/by-id\/ path/);
  assert.match(bad({ zfs_disks: [`${ID}ata-X-part1`] })?.message ?? '', /is a partition/);
  assert.match(bad({ zfs_disks: [disks(1)[0]!, disks(1)[0]!] })?.message ?? '', /listed twice/);
  assert.match(bad({ zfs_layout: 'raidz1' })?.message ?? '', /raidz1 needs at least 3 disks, and zfs_disks lists 2/);
  assert.match(bad({ zfs_layout: 'single' })?.message ?? '', /single takes exactly one disk/);
  assert.equal(bad({ zfs_layout: 'raid5' })?.key, 'zfs_layout');
  assert.equal(bad({ zfs_pool: 'mirror' })?.key, 'zfs_pool');
  assert.equal(bad({ zfs_mountpoint: 'mnt/tank' })?.key, 'zfs_mountpoint');
  assert.equal(bad({ zfs_mountpoint: '/mnt/tank/' })?.key, 'zfs_mountpoint');
  assert.match(bad({ zfs_datasets: { 'my media': {} } })?.message ?? '', /is not a dataset name/);
  assert.match(bad({ zfs_datasets: { media: { recordsize: '' } } })?.message ?? '', /media\.recordsize is empty/);
  assert.match(bad({ zfs_datasets: { media: { mountpoint: 'legacy' } } })?.message ?? '', /not an absolute path/);
  assert.match(bad({ zfs_snapshots: { music: { daily: 7 } } })?.message ?? '', /"music" is not one of zfs_datasets/);
  assert.match(bad({ zfs_datasets: { media: {} } })?.fix ?? '', /if you replaced zfs_datasets, set zfs_snapshots too/, 'the default policies name the default datasets');
  assert.match(bad({ zfs_snapshots: { media: { daily: -1 } } })?.message ?? '', /media\.daily must be a whole number/);
  assert.match(bad({ zfs_snapshots: { media: { biweekly: 2 } } })?.message ?? '', /"biweekly" is not a kind of snapshot/);
  assert.match(bad({ zfs_arc_max: '10M' })?.message ?? '', /not a size of at least 64M/);
  assert.is(bad({ zfs_arc_max: '2G' }), undefined);
  assert.equal(bad({ zfs_zed_email: 'not an address' })?.key, 'zfs_zed_email');
  assert.is(bad({ zfs_zed_email: 'me@example.org' }), undefined);
  assert.equal(bad({ zfs_share: 'smb' })?.key, 'zfs_share');
  assert.equal(bad({ vm_ip: '192.168.1.300' })?.key, 'vm_ip');
});

const opts = (o: Partial<RunOptions> = {}): RunOptions => ({
  inventory: 'inv.yml', envFile: '.env', check: false, diff: false, tags: [], skipTags: [], limit: [], verbosity: 0, json: false, yes: false, forks: 5, logDir: 'logs', extra: {}, ...o,
});
const env = { file: '.env', exists: false, values: {} };

t('an inventory without disks stops the run at once, pointing at the fix', () => {
  const inv = parseInventory('all:\n  children:\n    pve:\n      hosts:\n        pve:\n', 'inv.yml', buildSchema([zfs]));
  try {
    planRun(inv, [zfs], env, opts());
    assert.unreachable();
  } catch (e) {
    assert.instance(e, InputError);
    assert.match((e as InputError).format(), /zfs_disks: no disks are listed for the pool \(host pve, role zfs\)\n  fix: list the pool's disks by id/);
  }
  const badDisk = parseInventory('all:\n  children:\n    pve:\n      hosts:\n        pve:\n          zfs_disks: [/dev/sdb]\n', 'inv.yml', buildSchema([zfs]));
  try {
    planRun(badDisk, [zfs], env, opts());
    assert.unreachable();
  } catch (e) {
    assert.match((e as InputError).format(), /^inv\.yml:6:\d+: zfs_disks: "\/dev\/sdb" is not a \/dev\/disk\/by-id\/ path/);
  }
});

t('datasets from the inventory, the --wipe flag, and the steps in order', () => {
  const inv = parseInventory(
    `all:\n  children:\n    pve:\n      hosts:\n        pve:\n          zfs_disks: [${disks(2).join(', ')}]\n          zfs_datasets:\n            media: {recordsize: 1M}\n            appdata: {}\n            isos: {recordsize: 1M, compression: "off"}\n          zfs_snapshots:\n            appdata: {daily: 7}\n`,
    'inv.yml',
    buildSchema([zfs]),
  );
  const cli = parseCli(['--wipe', 'ata-WDC_WD40EFRX-68N32N0_WD-WCC7K1', '--wipe', `${ID}ata-WDC_WD40EFRX-68N32N0_WD-WCC7K0`, '--yes'], zfs.flags);
  assert.equal(wipeFlag(cli.extra), ['ata-WDC_WD40EFRX-68N32N0_WD-WCC7K1', `${ID}ata-WDC_WD40EFRX-68N32N0_WD-WCC7K0`]);
  const [plan] = planRun(inv, [zfs], env, opts({ extra: cli.extra }));
  const titles = plan!.roles[0]!.steps.map((s) => s.step.title);
  assert.equal(titles, [
    'ZFS tools',
    'Pool tank',
    'Pool tank: compression, atime, xattr, mount point',
    'Dataset tank/appdata',
    'Dataset tank/isos',
    'Dataset tank/media',
    'ZFS ARC limit',
    'sanoid',
    'sanoid configuration directory',
    'sanoid snapshot policies',
    'sanoid timer enabled',
    'Monthly scrub scheduled',
    'ZFS event daemon',
    'ZFS events mailed to (nobody)',
    'Sharing method for the VM',
    'virtiofs directory mappings',
    'NFS server',
    'NFS exports for the VM (vm_ip not set)',
    'NFS server running',
  ]);
  assert.equal(zfs.flags, [{ name: 'wipe', type: 'string', multiple: true, description: zfs.flags![0]!.description }]);
});

t('every variable is documented', () => {
  assert.equal(Object.keys(zfs.docs).sort(), Object.keys(zfs.defaults).sort());
});

t('the ARC step on this machine: writes the option, then has nothing to do', async () => {
  const path = '/etc/modprobe.d/zfs.conf';
  const before = existsSync(path) ? readFileSync(path) : undefined;
  const dirBefore = existsSync('/etc/modprobe.d');
  try {
    rmSync(path, { force: true });
    const ctx = await context({ facts: { memoryMiB: 8192 } });
    const step = arcLimit('auto');
    const first = await runStep(step, ctx);
    assert.match(first.change!.summary, /^zfs_arc_max=2147483648 \(2\.0 GiB, 25% of 8\.0 GiB RAM\): write \/etc\/modprobe\.d\/zfs\.conf$/);
    assert.is(readFileSync(path, 'utf8'), 'options zfs zfs_arc_max=2147483648\n');
    assert.is((await runStep(step, ctx)).changed, false);
    assert.match((await probe(step))!.stdout, /^live=absent$/m, 'no zfs module here: nothing live to set');
  } finally {
    if (before) writeFileSync(path, before);
    else rmSync(path, { force: true });
    if (!dirBefore) rmSync('/etc/modprobe.d', { recursive: true, force: true });
  }
});

t.run();
