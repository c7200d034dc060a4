/**
 * The rendered sanoid.conf read by Debian's real sanoid (the installed one, else the package from Debian's mirror,
 * unpacked in a temp dir): with --readonly it parses the configuration, applies the templates and prints the
 * snapshots it would take. `zfs` is a TEST DOUBLE (this machine has no ZFS) that reports no snapshot yet, so sanoid
 * wants every kind a policy keeps. Needs perl with Config::IniFiles and Capture::Tiny
 * (Debian: libconfig-inifiles-perl libcapture-tiny-perl).
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { defaults } from '../../roles/zfs/defaults.ts';
import { sanoidConf } from '../../roles/zfs/templates/sanoid.ts';
import { removeTempDir, sh, shOk, tempDir } from '../helpers/steps.ts';

const t = suite('sanoid.conf read by the real sanoid');
const dir = tempDir('msh-sanoid-');
let sanoid = '';

/** The sanoid program, with its defaults file path pointing at a readable copy. */
async function findSanoid(): Promise<string> {
  let script = '/usr/sbin/sanoid';
  let defaultsConf = '/usr/share/sanoid/sanoid.defaults.conf';
  if (!existsSync(script) || !existsSync(defaultsConf)) {
    const res = await sh(`cd ${dir} && apt-get download sanoid 2>&1 && dpkg -x sanoid_*.deb ${dir}/pkg`);
    if (res.code !== 0) throw new Error(`sanoid is not installed and its package could not be fetched from Debian's mirror: ${res.stdout.trim().split('\n').pop()}`);
    script = join(dir, 'pkg/usr/sbin/sanoid');
    defaultsConf = join(dir, 'pkg/usr/share/sanoid/sanoid.defaults.conf');
  }
  const copy = join(dir, 'sanoid');
  writeFileSync(copy, readFileSync(script, 'utf8').replace('/usr/share/sanoid/sanoid.defaults.conf', defaultsConf));
  const modules = await sh("perl -MConfig::IniFiles -MCapture::Tiny -e 1 2>&1");
  if (modules.code !== 0) throw new Error(`perl lacks sanoid's modules (apt-get install libconfig-inifiles-perl libcapture-tiny-perl): ${modules.stdout.trim()}`);
  return copy;
}

async function takeSnapshots(conf: string): Promise<{ code: number; out: string }> {
  const confDir = tempDir('msh-sanoid-conf-');
  writeFileSync(join(confDir, 'sanoid.conf'), conf);
  const res = await sh(`PATH=${dir}/bin:$PATH perl ${sanoid} --configdir=${confDir} --cache-dir=${confDir}/cache --run-dir=${confDir}/run --readonly --take-snapshots --verbose 2>&1`);
  removeTempDir(confDir);
  return { code: res.code, out: res.stdout };
}

t.before(async () => {
  await shOk(`mkdir -p ${dir}/bin`);
  // TEST DOUBLE of zfs: no snapshots exist (sanoid asks `zfs get -Hrpt snapshot creation`).
  writeFileSync(join(dir, 'bin', 'zfs'), '#!/bin/sh\nexit 0\n');
  chmodSync(join(dir, 'bin', 'zfs'), 0o755);
  sanoid = await findSanoid();
});

t.after(() => removeTempDir(dir));

t('the default policies: appdata hourly/daily/monthly, photos and media daily/monthly, backups nothing', async () => {
  const conf = sanoidConf('tank', Object.keys(defaults.zfs_datasets), defaults.zfs_snapshots);
  const { code, out } = await takeSnapshots(conf);
  assert.is(code, 0, out);
  const taken = [...out.matchAll(/^taking snapshot (\S+)@autosnap_\S+_(\w+)$/gm)].map((m) => `${m[1]} ${m[2]}`).sort();
  assert.equal(taken, ['tank/appdata daily', 'tank/appdata hourly', 'tank/appdata monthly', 'tank/media daily', 'tank/media monthly', 'tank/photos daily', 'tank/photos monthly']);
});

t('sanoid really checks the file: a key it does not know is fatal', async () => {
  const { code, out } = await takeSnapshots(`${sanoidConf('tank', ['media'], { media: { daily: 7 } })}\n[tank/x]\n\tbogus = 1\n`);
  assert.is.not(code, 0);
  assert.match(out, /I don't understand the setting bogus/);
});

t.run();
