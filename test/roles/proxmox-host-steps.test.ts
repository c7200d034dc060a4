/**
 * The proxmox-host role's steps run on this machine the way the runner runs them (probe → check → apply → check),
 * on temporary paths: real files, real apt (with its configuration pointed at temporary directories), the lab's
 * proxmox-boot-tool SIMULATOR standing in for Proxmox's, and named test doubles for update-grub and update-initramfs
 * (GRUB and initramfs-tools are not installed here, and must not run on this machine's boot files).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Step } from '../../lib/api/step.ts';
import { spawnCollect } from '../../lib/connectors/process.ts';
import { bootOptionsStep } from '../../roles/proxmox-host/boot-loader.ts';
import type { IgpuMode } from '../../roles/proxmox-host/defaults.ts';
import { i915BlacklistStep, modulesLoadStep } from '../../roles/proxmox-host/igpu-modules.ts';
import { installWithoutRecommends, nodeExporterArgsStep } from '../../roles/proxmox-host/node-exporter.ts';
import type { HostPaths } from '../../roles/proxmox-host/paths.ts';
import { enterpriseOff, noSubscription, repositoryProblems, type RepoState } from '../../roles/proxmox-host/repositories.ts';
import { noSubscriptionList } from '../../roles/proxmox-host/templates/repos.ts';
import { check, context, rejects, removeTempDir, runStep, shOk, tempDir, type TestContext } from '../helpers/steps.ts';

const SIMULATOR = fileURLToPath(new URL('../../files/lab/pve-simulator/', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/proxmox-host/${name}`, import.meta.url));
const PVE8 = { pveVersion: 'pve-manager/8.4.1/2a5fa54a8503f96d (running kernel: 6.8.12-9-pve)', osCodename: 'bookworm' };

function tempPaths(dir: string): HostPaths {
  for (const d of ['sources.list.d', 'etc/kernel', 'etc/default/grub.d', 'modules-load.d', 'modprobe.d', 'bin', 'state']) mkdirSync(join(dir, d), { recursive: true });
  return {
    sourcesDir: join(dir, 'sources.list.d'),
    kernelCmdline: join(dir, 'etc/kernel/cmdline'),
    grubDropIn: join(dir, 'etc/default/grub.d/media-server-home.cfg'),
    modulesLoad: join(dir, 'modules-load.d/media-server-home-igpu.conf'),
    modprobe: join(dir, 'modprobe.d/media-server-home-igpu.conf'),
    bootApplyPending: join(dir, 'state/boot-apply-pending'),
    initramfsPending: join(dir, 'state/initramfs-pending'),
    // Absent unless a test installs one: `command -v` does not find them.
    proxmoxBootTool: join(dir, 'bin/proxmox-boot-tool'),
    updateGrub: join(dir, 'bin/update-grub'),
    updateInitramfs: join(dir, 'bin/update-initramfs'),
  };
}

function script(path: string, body: string): void {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}

/** Installs the lab's proxmox-boot-tool SIMULATOR as this test's proxmox-boot-tool, with one ESP of the given kind. */
function simulatedBootTool(dir: string, p: HostPaths, kind: 'uefi' | 'grub', firmware = 'uefi'): { esp: string } {
  const env = `PVE_SIMULATOR_STATE=${dir}/sim PVE_SIMULATOR_ETC_KERNEL=${dir}/etc/kernel PVE_SIMULATOR_ETC_DEFAULT=${dir}/etc/default`;
  script(p.proxmoxBootTool, `# the pve-simulator's proxmox-boot-tool SIMULATOR on this test's files\n${env} exec python3 ${SIMULATOR}proxmox-boot-tool.py "$@"`);
  mkdirSync(join(dir, 'sim'), { recursive: true });
  writeFileSync(join(dir, 'sim/boot-firmware'), `${firmware}\n`);
  const init = spawnSync(p.proxmoxBootTool, ['simulator-init-esp', '5C1E-A7B3', kind], { encoding: 'utf8' });
  assert.is(init.status, 0, init.stderr);
  return { esp: join(dir, 'sim/esp/5C1E-A7B3') };
}

/** A TEST DOUBLE of update-grub: sources the GRUB defaults as grub-mkconfig does and writes the linux line it would. */
function updateGrubDouble(dir: string, p: HostPaths): string {
  const cfg = join(dir, 'boot/grub/grub.cfg');
  script(
    p.updateGrub,
    [
      '# TEST DOUBLE of update-grub (GRUB is not installed here)',
      'set -e',
      `. ${dir}/etc/default/grub`,
      `for f in ${dir}/etc/default/grub.d/*.cfg; do [ -f "$f" ] && . "$f"; done`,
      `mkdir -p ${dir}/boot/grub`,
      `printf 'linux /vmlinuz root=/dev/mapper/pve-root ro %s %s\\n' "$GRUB_CMDLINE_LINUX" "$GRUB_CMDLINE_LINUX_DEFAULT" > ${cfg}`,
      'echo "Generating grub configuration file ..."',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'etc/default/grub'), 'GRUB_DEFAULT=0\nGRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX=""\n');
  return cfg;
}

/** This machine's LAN address, found without `ip`: the IPv4 address of the interface of the default route in /proc/net/route. */
function lanAddress(): string | undefined {
  const fields = readFileSync('/proc/net/route', 'utf8').split('\n').slice(1).map((l) => l.trim().split(/\s+/));
  const iface = fields.find((f) => f[1] === '00000000')?.[0];
  if (iface) return networkInterfaces()[iface]?.find((a) => a.family === 'IPv4')?.address;
  const all = Object.values(networkInterfaces()).flat().filter((a) => a && a.family === 'IPv4' && !a.internal);
  return all.length === 1 ? all[0]!.address : undefined;
}

async function pve8(): Promise<TestContext> {
  return context({ facts: PVE8 });
}

const test = suite<{ dir: string; p: HostPaths }>('proxmox-host steps on this machine', { dir: '', p: {} as HostPaths });
test.before.each((ctx) => {
  ctx.dir = tempDir('msh-test-pvehost-');
  ctx.p = tempPaths(ctx.dir);
});
test.after.each((ctx) => removeTempDir(ctx.dir));

/** The URIs `apt-get update` would fetch for a sources directory (apt reads the files, fetches nothing). */
function aptUris(sourcesDir: string, lists: string): string {
  mkdirSync(join(lists, 'partial'), { recursive: true });
  const r = spawnSync('apt-get', ['update', '--print-uris', '-o', 'Dir::Etc::sourcelist=/dev/null', '-o', `Dir::Etc::sourceparts=${sourcesDir}`, '-o', `Dir::State::Lists=${lists}`], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return r.stdout;
}

test("a fresh PVE 8's and PVE 9's enterprise files are turned off, the no-subscription source added; apt then fetches only that", async ({ dir, p }) => {
  for (const f of ['pve-enterprise.list', 'ceph.list']) copyFileSync(fixture(`pve8-${f}`), join(p.sourcesDir, f));
  for (const f of ['pve-enterprise.sources', 'ceph.sources']) copyFileSync(fixture(`pve9-${f}`), join(p.sourcesDir, f));
  assert.match(aptUris(p.sourcesDir, join(dir, 'lists')), 'https://enterprise.proxmox.com/debian/pve/dists/bookworm/InRelease');
  const state: RepoState = { changed: false };
  const steps: Step[] = ['pve-enterprise.list', 'ceph.list', 'pve-enterprise.sources', 'ceph.sources'].map((n) => enterpriseOff(p, n, state));
  steps.push(noSubscription(p, 8, 'http://download.proxmox.com/debian/pve', state));
  const ctx = await pve8();
  const summaries: string[] = [];
  for (const s of steps) summaries.push((await runStep(s, ctx)).change?.summary ?? 'ok');
  assert.ok(state.changed, 'the package lists step will update');
  assert.match(summaries[0]!, 'comment out the enterprise entry in');
  assert.match(summaries[2]!, 'set Enabled: false on the enterprise entry in');
  assert.match(summaries[4]!, `create ${join(p.sourcesDir, 'pve-no-subscription.list')}`);
  assert.is(readFileSync(join(p.sourcesDir, 'pve-no-subscription.list'), 'utf8'), noSubscriptionList('http://download.proxmox.com/debian/pve', 'bookworm'));
  const uris = aptUris(p.sourcesDir, join(dir, 'lists'));
  assert.not.match(uris, 'enterprise.proxmox.com');
  assert.match(uris, "'http://download.proxmox.com/debian/pve/dists/bookworm/InRelease'");
  const again: RepoState = { changed: false };
  for (const s of [...['pve-enterprise.list', 'ceph.list', 'pve-enterprise.sources', 'ceph.sources'].map((n) => enterpriseOff(p, n, again)), noSubscription(p, 8, 'http://download.proxmox.com/debian/pve', again)]) {
    assert.is(await check(s, ctx), null, `${s.title} is idempotent`);
  }
  assert.not.ok(again.changed);
  assert.is(await check(enterpriseOff(p, 'nothing-here.list', again), ctx), null, 'a missing file has nothing to turn off');
});

/** apt-get update against one source file with this test's lists and keys; the output the role reads. */
async function aptUpdate(dir: string, sourceLine: string, trusted: string | null): Promise<{ code: number; output: string }> {
  const parts = join(dir, 'apt-sources');
  const keys = join(dir, 'apt-keys');
  mkdirSync(parts, { recursive: true });
  mkdirSync(keys, { recursive: true });
  mkdirSync(join(dir, 'apt-lists', 'partial'), { recursive: true });
  writeFileSync(join(parts, 'pve-no-subscription.list'), sourceLine);
  if (trusted) copyFileSync(trusted, join(keys, 'key.asc'));
  // Not spawnSync: a test's HTTP server in this process must keep answering meanwhile.
  const r = await spawnCollect(
    'apt-get',
    ['update', '-o', 'Dir::Etc::sourcelist=/dev/null', '-o', `Dir::Etc::sourceparts=${parts}`, '-o', `Dir::State::Lists=${join(dir, 'apt-lists')}`, '-o', 'Dir::Etc::trusted=/dev/null', '-o', `Dir::Etc::trustedparts=${keys}`, '-o', 'APT::Sandbox::User=root', '-o', 'Acquire::Retries=0'],
    { timeoutMs: 120_000 },
  );
  return { code: r.code, output: `${r.stdout}\n${r.stderr}` };
}

test("the lab's stand-in repository works with the role's own source line; the role catches an unsigned, unreachable or refusing repository", async ({ dir }) => {
  const repo = `file://${SIMULATOR}apt-repo`;
  const ok = await aptUpdate(dir, noSubscriptionList(repo, 'bookworm'), join(SIMULATOR, 'apt-repo/pve-simulator-archive.asc'));
  assert.is(ok.code, 0, ok.output);
  assert.equal(repositoryProblems(ok.output, repo), [], ok.output);

  const unsigned = await aptUpdate(join(dir, 'nokey'), noSubscriptionList(repo, 'bookworm'), null);
  assert.match(repositoryProblems(unsigned.output, repo).join('\n'), /NO_PUBKEY/);

  const refused = await aptUpdate(join(dir, 'closed'), noSubscriptionList('http://127.0.0.1:9/debian/pve', 'bookworm'), null);
  assert.is(refused.code, 0, 'apt-get exits 0 when a repository cannot be reached: the role must read its output');
  assert.match(repositoryProblems(refused.output, 'http://127.0.0.1:9/debian/pve').join('\n'), /Could not connect to 127\.0\.0\.1:9/);

  // What enterprise.proxmox.com answers without a subscription, from a server on this machine.
  const server = createServer((_req, res) => {
    res.writeHead(401, 'Unauthorized');
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/debian/pve`;
  try {
    const denied = await aptUpdate(join(dir, '401'), noSubscriptionList(url, 'bookworm'), null);
    assert.is(denied.code, 100, denied.output);
    assert.match(repositoryProblems(denied.output, url).join('\n'), /401\s+Unauthorized/);
  } finally {
    server.close();
  }
});

test('systemd-boot ESPs (the proxmox-boot-tool SIMULATOR): the options go into /etc/kernel/cmdline and, by refresh, into the loader entries; a rerun changes nothing', async ({ dir, p }) => {
  writeFileSync(p.kernelCmdline, 'root=ZFS=rpool/ROOT/pve-1 boot=zfs\n');
  const { esp } = simulatedBootTool(dir, p, 'uefi');
  const entry = () => readFileSync(join(esp, 'loader/entries/proxmox-6.8.12-9-pve.conf'), 'utf8');
  const step = bootOptionsStep('gvt-g', p);
  const checkMode = await check(step, await context({ checkMode: true }));
  assert.is(
    checkMode?.summary,
    `add intel_iommu=on iommu=pt i915.enable_gvt=1 in ${p.kernelCmdline}, run ${p.proxmoxBootTool} refresh [systemd-boot on ESPs managed by proxmox-boot-tool]; takes effect at the next boot`,
  );
  assert.match(checkMode?.diff ?? '', '+root=ZFS=rpool/ROOT/pve-1 boot=zfs intel_iommu=on iommu=pt i915.enable_gvt=1');
  assert.match(entry(), 'options  root=ZFS=rpool/ROOT/pve-1 boot=zfs\n', 'check mode changed nothing');
  const { changed } = await runStep(step);
  assert.ok(changed);
  assert.is(readFileSync(p.kernelCmdline, 'utf8'), 'root=ZFS=rpool/ROOT/pve-1 boot=zfs intel_iommu=on iommu=pt i915.enable_gvt=1\n');
  assert.match(entry(), 'options  root=ZFS=rpool/ROOT/pve-1 boot=zfs intel_iommu=on iommu=pt i915.enable_gvt=1\n');
  assert.not.ok(existsSync(p.bootApplyPending));
  assert.is(await check(step), null, 'options in place (not yet booted): nothing to do');

  const passthrough = bootOptionsStep('passthrough', p);
  assert.match((await runStep(passthrough)).change!.summary, `remove i915.enable_gvt=1 in ${p.kernelCmdline}`);
  assert.match(entry(), 'options  root=ZFS=rpool/ROOT/pve-1 boot=zfs intel_iommu=on iommu=pt\n');
  assert.is(await check(bootOptionsStep('none', p)), null, 'none leaves /etc/kernel/cmdline alone');
});

test('a refresh that fails leaves a marker: the next run runs it again once the cause is fixed', async ({ dir, p }) => {
  writeFileSync(p.kernelCmdline, 'root=ZFS=rpool/ROOT/pve-1 boot=zfs\n');
  simulatedBootTool(dir, p, 'uefi');
  // The simulated ESP directory vanishes between check and apply: refresh skips it… so break the tool instead.
  const step = bootOptionsStep('gvt-g', p);
  const ctx = await context();
  const change = await check(step, ctx);
  script(p.proxmoxBootTool, 'echo "E: simulated failure of the test" >&2; exit 1');
  await rejects(step.apply(ctx, change!), /the files are written, but `.*proxmox-boot-tool refresh` failed \(exit 1\): E: simulated failure of the test — fix that and run again/);
  assert.ok(existsSync(p.bootApplyPending));
  simulatedBootTool(dir, p, 'uefi');
  const again = await check(step, ctx);
  assert.match(again!.summary, `run ${p.proxmoxBootTool} refresh (an earlier run changed the boot files but did not finish it)`);
  await runStep(step);
  assert.not.ok(existsSync(p.bootApplyPending));
  assert.is(await check(step), null);
});

test('no managed ESP: GRUB from the root disk — the drop-in, then update-grub (TEST DOUBLE); a leftover drop-in goes with igpu_mode none', async ({ dir, p }) => {
  const cfg = updateGrubDouble(dir, p);
  const step = bootOptionsStep('gvt-g', p);
  const { change } = await runStep(step);
  assert.is(change?.summary, `write ${p.grubDropIn} (intel_iommu=on iommu=pt i915.enable_gvt=1), run ${p.updateGrub} [GRUB (no ESP managed by proxmox-boot-tool)]; takes effect at the next boot`);
  assert.is(readFileSync(cfg, 'utf8'), 'linux /vmlinuz root=/dev/mapper/pve-root ro  quiet intel_iommu=on iommu=pt i915.enable_gvt=1\n');
  assert.is(await check(step), null);
  const none = bootOptionsStep('none', p);
  assert.match((await runStep(none)).change!.summary, `remove ${p.grubDropIn}, run ${p.updateGrub}`);
  assert.is(readFileSync(cfg, 'utf8'), 'linux /vmlinuz root=/dev/mapper/pve-root ro  quiet\n');
  assert.is(await check(none), null);
});

test('GRUB on a managed ESP (legacy BIOS, ZFS root; SIMULATOR): the drop-in, then proxmox-boot-tool refresh, which runs update-grub on the ESP', async ({ dir, p }) => {
  writeFileSync(join(dir, 'etc/default/grub'), 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX="root=ZFS=rpool/ROOT/pve-1 boot=zfs"\n');
  const { esp } = simulatedBootTool(dir, p, 'grub', 'legacy bios');
  const step = bootOptionsStep('passthrough', p);
  const { change } = await runStep(step);
  assert.match(change!.summary, `[GRUB on ESPs managed by proxmox-boot-tool]`);
  assert.not.ok(existsSync(p.kernelCmdline), '/etc/kernel/cmdline is not what GRUB reads');
  assert.match(readFileSync(join(esp, 'grub/grub.cfg'), 'utf8'), 'root=ZFS=rpool/ROOT/pve-1 boot=zfs quiet intel_iommu=on iommu=pt\n');
  assert.is(await check(step), null);
});

test('neither a managed ESP nor update-grub: the step fails saying so, before changing anything', async ({ p }) => {
  await rejects(async () => check(bootOptionsStep('gvt-g', p)), /cannot tell how this host boots/);
  assert.not.ok(existsSync(p.grubDropIn));
});

test("modules-load.d for the mode and the running kernel; none removes the role's file", async ({ p }) => {
  const ctx = await context({ facts: { kernel: '6.8.12-9-pve' } });
  const { change } = await runStep(modulesLoadStep('gvt-g', p.modulesLoad), ctx);
  assert.match(change!.summary, ': kvmgt vfio vfio_iommu_type1 vfio_pci, loaded from the next boot');
  assert.match(readFileSync(p.modulesLoad, 'utf8'), '\nkvmgt\nvfio\nvfio_iommu_type1\nvfio_pci\n');
  assert.is(await check(modulesLoadStep('gvt-g', p.modulesLoad), ctx), null);
  await runStep(modulesLoadStep('none', p.modulesLoad), ctx);
  assert.not.ok(existsSync(p.modulesLoad));
});

test('i915 blacklist (passthrough): written, then update-initramfs (TEST DOUBLE) runs; turned off again, the same', async ({ dir, p }) => {
  const calls = join(dir, 'initramfs-calls');
  script(p.updateInitramfs, `# TEST DOUBLE of update-initramfs\necho "$*" >> ${calls}`);
  const on = i915BlacklistStep(true, p);
  await runStep(on);
  assert.match(readFileSync(p.modprobe, 'utf8'), '\nblacklist i915\n');
  assert.is(readFileSync(calls, 'utf8'), '-u -k all\n');
  assert.is(await check(on), null);
  const off = i915BlacklistStep(false, p);
  await runStep(off);
  assert.not.ok(existsSync(p.modprobe));
  assert.is(readFileSync(calls, 'utf8'), '-u -k all\n-u -k all\n');
  assert.is(await check(off), null);
});

test("node-exporter's ARGS in Debian's defaults file: this machine's own LAN address found as the role finds it, idempotent", async ({ dir }) => {
  const path = join(dir, 'prometheus-node-exporter');
  copyFileSync(fixture('debian12-prometheus-node-exporter.default'), path);
  const expected = lanAddress();
  const step = nodeExporterArgsStep(path, '');
  if (!expected) {
    await rejects(async () => check(step), /set node_exporter_listen/);
    return;
  }
  const { change } = await runStep(step);
  assert.match(change!.summary, 'replace line 5 with "ARGS="--web.listen-address=');
  const text = readFileSync(path, 'utf8');
  assert.match(text, `\nARGS="--web.listen-address=${expected}:9100 --collector.textfile.directory=/var/lib/prometheus/node-exporter --collector.zfs"\n`);
  assert.match(text, '# Set the command-line arguments to pass to the server.', "Debian's comments stay");
  assert.is(await check(step), null);
  await rejects(async () => check(nodeExporterArgsStep(path, '203.0.113.77')), /node_exporter_listen 203\.0\.113\.77 is not an address of local/);
});

test('the install without Recommends (with the tiny hello package, as the apt module tests): installed, known to later steps, idempotent', async () => {
  await shOk('DEBIAN_FRONTEND=noninteractive apt-get purge -y hello >/dev/null 2>&1 || true');
  try {
    const ctx = await context();
    const step = installWithoutRecommends('Install hello', ['hello']);
    const { change } = await runStep(step, ctx);
    assert.is(change?.summary, 'install hello');
    assert.ok(ctx.facts.packages.has('hello'), 'later steps see it');
    assert.match(await shOk("dpkg-query -W -f='${db:Status-Abbrev}' hello"), /^ii/);
    assert.is(await check(step, ctx), null);
  } finally {
    await shOk('DEBIAN_FRONTEND=noninteractive apt-get purge -y hello >/dev/null 2>&1 || true');
  }
});

test.run();
