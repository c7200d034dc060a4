/**
 * The proxmox-host role's decisions, on real inputs: pveversion lines, fresh Proxmox VE apt sources, real
 * `proxmox-boot-tool status` outputs and proxmoxlib.js code (see test/fixtures/proxmox-host/README.md for where each
 * comes from), and real `sh` for the GRUB drop-in. Steps run against files and tools are in proxmox-host-steps.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Vars } from '../../lib/api/role.ts';
import { UnreachableError, type Connector, type RunResult } from '../../lib/connectors/connector.ts';
import { parseInventory } from '../../lib/inventory/load.ts';
import { buildSchema } from '../../lib/inventory/schema.ts';
import type { RunEvent } from '../../lib/runner/events.ts';
import type { RunOptions } from '../../lib/runner/options.ts';
import { planRun } from '../../lib/runner/plan.ts';
import { runPlay } from '../../lib/runner/run-play.ts';
import { PENDING_UPDATES_METRIC_DIR } from '../../roles/hardening/templates/upgrades.ts';
import { bootTargets, parseBootToolStatus, runningCmdlineReasons } from '../../roles/proxmox-host/boot-loader.ts';
import { defaults } from '../../roles/proxmox-host/defaults.ts';
import { proxmoxHost, proxmoxHostSteps } from '../../roles/proxmox-host/index.ts';
import { listenAddress } from '../../roles/proxmox-host/node-exporter.ts';
import { rebootAndWait, rebootReasons } from '../../roles/proxmox-host/reboot.ts';
import { repositoryProblems } from '../../roles/proxmox-host/repositories.ts';
import {
  cmdlineFromProc,
  editKernelCmdlineFile,
  grubDropIn,
  igpuModules,
  kernelOptions,
  mergeCmdline,
  modulesLoadConf,
  splitCmdline,
} from '../../roles/proxmox-host/templates/kernel-cmdline.ts';
import { argsLine, defaultListenAddress, TEXTFILE_DIR } from '../../roles/proxmox-host/templates/node-exporter.ts';
import { disableDeb822, disableOneLine, noSubscriptionList, noSubscriptionSources } from '../../roles/proxmox-host/templates/repos.ts';
import { noticeState, patchSubscriptionNotice, PATCH_MARK } from '../../roles/proxmox-host/templates/subscription-notice.ts';
import { parsePveVersion } from '../../lib/facts/pve-version.ts';
import { pveRelease } from '../../roles/proxmox-host/version.ts';
import { verifyProxmoxHost } from '../../roles/proxmox-host/verify.ts';
import { context, rejects } from '../helpers/steps.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/proxmox-host/${name}`, import.meta.url), 'utf8');

const version = suite('proxmox-host: Proxmox VE version');

version('pveversion lines of PVE 9, 8 and 7 (and the simulator) are read; anything else is not', () => {
  assert.equal(parsePveVersion('pve-manager/8.4.1/2a5fa54a8503f96d (running kernel: 6.8.12-9-pve)'), { version: '8.4.1', major: 8, minor: 4, kernel: '6.8.12-9-pve' });
  assert.equal(parsePveVersion('pve-manager/9.0.3/025864202ebb6109 (running kernel: 6.14.8-2-pve)'), { version: '9.0.3', major: 9, minor: 0, kernel: '6.14.8-2-pve' });
  assert.equal(parsePveVersion('pve-manager/7.4-3/9002ab8a (running kernel: 5.15.102-1-pve)'), { version: '7.4-3', major: 7, minor: 4, kernel: '5.15.102-1-pve' });
  assert.is(parsePveVersion(''), undefined);
  assert.is(parsePveVersion('bash: pveversion: command not found'), undefined);
  const sim = spawnSync('python3', [new URL('../../files/lab/pve-simulator/pve-simulator.py', import.meta.url).pathname, 'pveversion'], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', PVE_SIMULATOR_STATE: '/nonexistent-msh-test' } });
  assert.is(parsePveVersion(sim.stdout)?.version, '8.4.1');
});

version('major 8 is bookworm and 9 trixie, cross-checked with /etc/os-release; other hosts fail saying why', () => {
  const line8 = 'pve-manager/8.4.1/2a5fa54a8503f96d (running kernel: 6.8.12-9-pve)';
  assert.is(pveRelease('pve', { pveVersion: line8, osCodename: 'bookworm' }).codename, 'bookworm');
  assert.is(pveRelease('pve', { pveVersion: 'pve-manager/9.0.3/025864202ebb6109 (running kernel: 6.14.8-2-pve)', osCodename: 'trixie' }).codename, 'trixie');
  assert.throws(
    () => pveRelease('nas', { pveVersion: '', osCodename: 'bookworm' }),
    (e: Error) => e.message.includes('nas is not a Proxmox VE host') && e.message.includes('`pveversion` is missing') && e.message.includes("inventory group 'pve' must hold just that host"),
  );
  assert.throws(() => pveRelease('pve', { pveVersion: 'pve-manager/7.4-3/9002ab8a (running kernel: 5.15.102-1-pve)', osCodename: 'bullseye' }), /supports Proxmox VE 8 \(Debian bookworm\) and 9 \(Debian trixie\)/);
  assert.throws(() => pveRelease('pve', { pveVersion: 'pve-manager/9.0.3/025864202ebb6109 (running kernel: 6.14.8-2-pve)', osCodename: 'bookworm' }), /built on Debian trixie, but \/etc\/os-release says "bookworm" — an unfinished upgrade/);
});

version("the role's first step stops a non-Proxmox host before anything changes", async () => {
  const steps = proxmoxHostSteps(defaults, {});
  const ctx = await context({ facts: { pveVersion: '', osCodename: 'bookworm' } });
  await rejects(() => steps[0]!.check(ctx, undefined), /local is not a Proxmox VE host/);
  const ok = await context({ facts: { pveVersion: 'pve-manager/8.4.1/2a5fa54a8503f96d (running kernel: 6.8.12-9-pve)', osCodename: 'bookworm' } });
  assert.is(await steps[0]!.check(ok, undefined), null);
});

version.run();

const repos = suite('proxmox-host: apt sources');

repos('PVE 8: the enterprise lines of a fresh pve-enterprise.list and ceph.list are commented out, once', () => {
  for (const name of ['pve8-pve-enterprise.list', 'pve8-ceph.list']) {
    const fresh = fixture(name);
    const edit = disableOneLine(fresh);
    assert.is(edit?.text, `# ${fresh}`);
    assert.is(edit?.summary, 'comment out the enterprise entry');
    assert.is(disableOneLine(edit!.text), null);
  }
  const mixed = '# deb https://enterprise.proxmox.com/debian/pve bookworm pve-enterprise\ndeb http://download.proxmox.com/debian/ceph-quincy bookworm no-subscription\n';
  assert.is(disableOneLine(mixed), null, 'a no-subscription line stays');
});

repos('PVE 9: fresh deb822 enterprise files get Enabled: false; Enabled: yes is turned off; other stanzas stay', () => {
  for (const name of ['pve9-pve-enterprise.sources', 'pve9-ceph.sources']) {
    const fresh = fixture(name);
    const edit = disableDeb822(fresh);
    assert.is(edit?.text, `${fresh.trimEnd()}\nEnabled: false\n`);
    assert.is(disableDeb822(edit!.text), null);
  }
  const two =
    'Types: deb\nURIs: http://download.proxmox.com/debian/ceph-squid\nSuites: trixie\nComponents: no-subscription\n\n' +
    'Types: deb\nURIs: https://enterprise.proxmox.com/debian/ceph-squid\nSuites: trixie\nComponents: enterprise\nEnabled: yes\n# a comment\n';
  assert.is(
    disableDeb822(two)?.text,
    'Types: deb\nURIs: http://download.proxmox.com/debian/ceph-squid\nSuites: trixie\nComponents: no-subscription\n\n' +
      'Types: deb\nURIs: https://enterprise.proxmox.com/debian/ceph-squid\nSuites: trixie\nComponents: enterprise\nEnabled: false\n# a comment\n',
  );
  assert.is(disableDeb822('Types: deb\nURIs: https://enterprise.proxmox.com/debian/pve\nSuites: trixie\nComponents: pve-enterprise\nEnabled: no\n'), null, 'Enabled: no is off already');
  assert.is(disableDeb822(''), null);
});

repos('the no-subscription source in each format, as the Proxmox VE 8 and 9 docs write it', () => {
  assert.is(
    noSubscriptionList('http://download.proxmox.com/debian/pve', 'bookworm'),
    '# Managed by media-server-home (role proxmox-host).\n# Proxmox VE pve-no-subscription repository provided by proxmox.com,\n# NOT recommended for production use\ndeb http://download.proxmox.com/debian/pve bookworm pve-no-subscription\n',
  );
  assert.match(
    noSubscriptionSources('http://download.proxmox.com/debian/pve', 'trixie'),
    'Types: deb\nURIs: http://download.proxmox.com/debian/pve\nSuites: trixie\nComponents: pve-no-subscription\nSigned-By: /usr/share/keyrings/proxmox-archive-keyring.gpg\n',
  );
});

repos("apt-get update's output names the Proxmox repository's failures, whatever the URL scheme", () => {
  const out = [
    'Get:1 file:/usr/local/lib/pve-simulator/apt-repo bookworm InRelease [716 B]',
    'Err:2 http://download.proxmox.com/debian/pve bookworm InRelease',
    '  Could not connect to download.proxmox.com:80 (212.224.123.70). - connect (113: No route to host)',
    'W: Failed to fetch http://download.proxmox.com/debian/pve/dists/bookworm/InRelease  Could not connect to download.proxmox.com:80',
    'W: Some index files failed to download. They have been ignored, or old ones used instead.',
  ].join('\n');
  assert.equal(repositoryProblems(out, 'http://download.proxmox.com/debian/pve'), [
    'Err:2 http://download.proxmox.com/debian/pve bookworm InRelease: Could not connect to download.proxmox.com:80 (212.224.123.70). - connect (113: No route to host)',
    'W: Failed to fetch http://download.proxmox.com/debian/pve/dists/bookworm/InRelease  Could not connect to download.proxmox.com:80',
  ]);
  assert.equal(repositoryProblems(out, 'file:///usr/local/lib/pve-simulator/apt-repo'), [], 'apt prints file:///x as file:/x');
});

repos.run();

const cmdline = suite('proxmox-host: kernel command line');

cmdline('the options of each mode; GVT-g keeps the host console, passthrough gives the whole iGPU', () => {
  assert.equal(kernelOptions('gvt-g'), ['intel_iommu=on', 'iommu=pt', 'i915.enable_gvt=1']);
  assert.equal(kernelOptions('passthrough'), ['intel_iommu=on', 'iommu=pt']);
  assert.equal(kernelOptions('none'), []);
});

cmdline('merging keeps every other word in place, replaces other values, drops duplicates and unwanted managed keys', () => {
  const zfs = 'root=ZFS=rpool/ROOT/pve-1 boot=zfs';
  assert.is(mergeCmdline(zfs, kernelOptions('gvt-g')), `${zfs} intel_iommu=on iommu=pt i915.enable_gvt=1`);
  assert.is(mergeCmdline(`${zfs} intel_iommu=off quiet`, kernelOptions('gvt-g')), `${zfs} intel_iommu=on quiet iommu=pt i915.enable_gvt=1`);
  assert.is(mergeCmdline(`${zfs} iommu=pt intel_iommu=on iommu=pt`, kernelOptions('passthrough')), `${zfs} iommu=pt intel_iommu=on`);
  assert.is(mergeCmdline(`${zfs} intel_iommu=on iommu=pt i915.enable_gvt=1`, kernelOptions('passthrough')), `${zfs} intel_iommu=on iommu=pt`);
  assert.is(mergeCmdline(`${zfs} dyndbg="file drivers/gpu/* +p"`, ['iommu=pt']), `${zfs} dyndbg="file drivers/gpu/* +p" iommu=pt`);
  assert.equal(splitCmdline(' a  b="c d" e '), ['a', 'b="c d"', 'e']);
});

cmdline('/etc/kernel/cmdline: only its first line is the command line; a file with the options is left alone', () => {
  const fresh = 'root=ZFS=rpool/ROOT/pve-1 boot=zfs\n';
  const done = editKernelCmdlineFile(fresh, kernelOptions('gvt-g'));
  assert.is(done, 'root=ZFS=rpool/ROOT/pve-1 boot=zfs intel_iommu=on iommu=pt i915.enable_gvt=1\n');
  assert.is(editKernelCmdlineFile(done!, kernelOptions('gvt-g')), null);
  assert.is(editKernelCmdlineFile('root=ZFS=rpool/ROOT/pve-1 boot=zfs intel_iommu=on iommu=pt i915.enable_gvt=1', kernelOptions('gvt-g')), null, 'no final newline: still right');
  assert.is(editKernelCmdlineFile('root=/dev/sda1\n# note\n', ['iommu=pt']), 'root=/dev/sda1 iommu=pt\n# note\n');
  assert.is(cmdlineFromProc('BOOT_IMAGE=/vmlinuz-6.8.12-9-pve root=/dev/mapper/pve-root ro quiet initrd=\\EFI\\proxmox\\initrd.img'), 'root=/dev/mapper/pve-root ro quiet');
});

cmdline('the GRUB drop-in, sourced by sh after /etc/default/grub as update-grub does, appends the options (again on every run, never twice)', () => {
  const dropIn = grubDropIn('gvt-g');
  assert.match(dropIn, 'GRUB_CMDLINE_LINUX_DEFAULT="${GRUB_CMDLINE_LINUX_DEFAULT} intel_iommu=on iommu=pt i915.enable_gvt=1"\n');
  const run = () =>
    spawnSync('sh', ['-c', `GRUB_CMDLINE_LINUX_DEFAULT="quiet"\n${dropIn}\nprintf '%s' "$GRUB_CMDLINE_LINUX_DEFAULT"`], { encoding: 'utf8' });
  assert.is(run().stdout, 'quiet intel_iommu=on iommu=pt i915.enable_gvt=1');
  assert.is(run().stdout, 'quiet intel_iommu=on iommu=pt i915.enable_gvt=1');
});

cmdline('modules: kvmgt and vfio for GVT-g, vfio for passthrough, vfio_virqfd only before Linux 6.2', () => {
  assert.equal(igpuModules('gvt-g', '6.8.12-9-pve'), ['kvmgt', 'vfio', 'vfio_iommu_type1', 'vfio_pci']);
  assert.equal(igpuModules('passthrough', '6.14.8-2-pve'), ['vfio', 'vfio_iommu_type1', 'vfio_pci']);
  assert.equal(igpuModules('gvt-g', '6.1.0-26-amd64'), ['kvmgt', 'vfio', 'vfio_iommu_type1', 'vfio_pci', 'vfio_virqfd']);
  assert.equal(igpuModules('passthrough', '5.15.102-1-pve'), ['vfio', 'vfio_iommu_type1', 'vfio_pci', 'vfio_virqfd']);
  assert.equal(igpuModules('none', '6.8.12-9-pve'), []);
  assert.is(modulesLoadConf('passthrough', '6.8.12-9-pve').split('\n').filter((l) => l && !l.startsWith('#')).join(' '), 'vfio vfio_iommu_type1 vfio_pci');
});

cmdline('a reboot is due when the running kernel lacks the options, still has unwanted ones, or another kernel is installed', () => {
  const probe = (proc: string, extra = '') => `@@proc\n${proc}\n@@reboot-required\n${extra}@@running 6.8.12-9-pve\n@@newest 6.8.12-9-pve\n@@pin \n`;
  assert.equal(rebootReasons(probe('BOOT_IMAGE=/vmlinuz root=/dev/mapper/pve-root ro quiet'), 'gvt-g'), ['the running kernel lacks intel_iommu=on iommu=pt i915.enable_gvt=1']);
  assert.equal(rebootReasons(probe('root=x intel_iommu=on iommu=pt i915.enable_gvt=1'), 'gvt-g'), []);
  assert.equal(rebootReasons(probe('root=x intel_iommu=on iommu=pt i915.enable_gvt=1'), 'passthrough'), ['the running kernel still has i915.enable_gvt=1']);
  assert.equal(rebootReasons(probe('root=x', 'yes\nproxmox-kernel-6.8.12-10-pve-signed\n'), 'none'), ['/var/run/reboot-required is present (proxmox-kernel-6.8.12-10-pve-signed)']);
  const newer = '@@proc\nroot=x\n@@reboot-required\n@@running 6.8.12-9-pve\n@@newest 6.8.12-10-pve\n@@pin \n';
  assert.equal(rebootReasons(newer, 'none'), ['kernel 6.8.12-10-pve is installed but 6.8.12-9-pve is running']);
  assert.equal(rebootReasons(newer.replace('@@pin ', '@@pin 6.8.12-9-pve'), 'none'), [], 'a pinned kernel that runs needs no reboot');
  assert.equal(runningCmdlineReasons('root=x', 'none'), [], 'none manages no option');
});

cmdline.run();

const boot = suite('proxmox-host: boot loader detection from real proxmox-boot-tool status outputs');

boot('systemd-boot ESPs (UEFI, ZFS root): /etc/kernel/cmdline, then proxmox-boot-tool refresh', () => {
  const one = parseBootToolStatus(fixture('pbt-status-uefi.txt'), 0);
  assert.equal(one, { managed: true, esps: [{ uuid: 'E014-501F', loaders: ['systemd-boot'] }] });
  assert.equal(bootTargets(one, false), { kernelCmdline: true, grub: false, command: 'refresh', describe: 'systemd-boot on ESPs managed by proxmox-boot-tool' });
  const two = parseBootToolStatus(fixture('pbt-status-uefi-two-esps-warn.txt'), 0);
  assert.equal(two.esps.map((e) => e.uuid), ['6D31-87F4', 'CE07-78FC'], 'the WARN line of a removed disk is not an ESP');
});

boot('GRUB on managed ESPs (legacy BIOS or GRUB on UEFI): the GRUB drop-in, then proxmox-boot-tool refresh', () => {
  for (const name of ['pbt-status-grub-legacy-warn.txt', 'pbt-status-grub-uefi.txt', 'pbt-status-grub-mount-failed.txt']) {
    const status = parseBootToolStatus(fixture(name), 0);
    assert.ok(status.managed, name);
    assert.equal(status.esps.map((e) => e.loaders), [['grub']], name);
    assert.equal(bootTargets(status, true), { kernelCmdline: false, grub: true, command: 'refresh', describe: 'GRUB on ESPs managed by proxmox-boot-tool' }, name);
  }
});

boot('no managed ESP (ext4/LVM root): GRUB from the root disk, the drop-in then update-grub; neither tool: a clear error', () => {
  const status = parseBootToolStatus(fixture('pbt-status-no-esp.txt'), 2);
  assert.equal(status, { managed: false, esps: [] });
  assert.equal(bootTargets(status, true), { kernelCmdline: false, grub: true, command: 'update-grub', describe: 'GRUB (no ESP managed by proxmox-boot-tool)' });
  assert.equal(parseBootToolStatus(undefined, 0), { managed: false, esps: [] }, 'proxmox-boot-tool not installed');
  assert.throws(() => bootTargets(status, false), /cannot tell how this host boots: proxmox-boot-tool manages no ESP .* and update-grub is not installed/);
  assert.throws(() => parseBootToolStatus("System currently booted with uefi\nWARN: /dev/disk/by-uuid/CE07-1118 does not exist - clean '/etc/kernel/proxmox-boot-uuids'! - skipping\n", 0), /none could be read/);
  assert.throws(() => parseBootToolStatus('Invalid/unknown command', 1), /proxmox-boot-tool status failed \(exit 1\)/);
});

boot.run();

const exporter = suite('proxmox-host: node-exporter and the web UI');

exporter("ARGS: the LAN address, Debian's textfile directory (where role hardening writes), the ZFS collector", () => {
  assert.is(argsLine('192.168.1.10'), 'ARGS="--web.listen-address=192.168.1.10:9100 --collector.textfile.directory=/var/lib/prometheus/node-exporter --collector.zfs"');
  assert.is(TEXTFILE_DIR, PENDING_UPDATES_METRIC_DIR, "hardening's pending-updates metric lands in the directory node-exporter reads");
  assert.is(defaultListenAddress('192.168.1.10', ['192.168.1.10', '100.101.102.103']), '192.168.1.10');
  assert.is(defaultListenAddress('', ['10.200.1.2']), '10.200.1.2', 'no default route (the lab): the only address');
  assert.is(defaultListenAddress('', ['10.0.0.2', '10.0.1.2']), undefined);
  assert.throws(() => listenAddress('pve', '', { route: '', addrs: ['10.0.0.2', '10.0.1.2'] }), /set node_exporter_listen/);
  assert.throws(() => listenAddress('pve', '192.168.9.9', { route: '10.0.0.2', addrs: ['10.0.0.2'] }), /node_exporter_listen 192.168.9.9 is not an address of pve/);
});

/** Runs a checked_command member in a stand-in of the toolkit's environment; returns what happened. */
function runCheckedCommand(member: string): string[] {
  const events: string[] = [];
  const Proxmox = { Utils: { API2Request: () => events.push('asked the API for the subscription'), getNoSubKeyHtml: () => '' } };
  const Ext = { Msg: { show: () => events.push('notice shown'), alert: () => undefined, WARNING: 0, OK: 1 } };
  const utils = new Function('Proxmox', 'Ext', 'gettext', `return ({\n${member}\n});`)(Proxmox, Ext, (s: string) => s) as { checked_command(cmd: () => void): void };
  utils.checked_command(() => events.push('command ran'));
  return events;
}

exporter('the subscription notice patch, on the toolkit 4 code and on PVE 9.0.5\'s: the command runs at once, once patched only once', () => {
  for (const name of ['proxmoxlib-checked-command-toolkit4.js', 'proxmoxlib-checked-command-pve9.js']) {
    const js = fixture(name);
    assert.is(noticeState(js), 'unpatched', name);
    assert.equal(runCheckedCommand(js), ['asked the API for the subscription'], name);
    const patched = patchSubscriptionNotice(js)!;
    assert.is(patched.split(PATCH_MARK).length, 2, name);
    assert.is(noticeState(patched), 'patched');
    assert.is(patchSubscriptionNotice(patched), null);
    assert.equal(runCheckedCommand(patched), ['command ran'], `${name}: no API request, no notice`);
  }
  assert.throws(() => patchSubscriptionNotice('Ext.define("Proxmox.Utils", {});'), /no single checked_command function/);
});

exporter.run();

const role = suite('proxmox-host: the role');

role('runs on pve, declares --upgrade and --reboot, documents every variable, rejects bad values', () => {
  assert.is(proxmoxHost.hosts, 'pve');
  assert.equal(proxmoxHost.flags?.map((f) => [f.name, f.type]), [['upgrade', 'boolean'], ['reboot', 'boolean']]);
  for (const key of Object.keys(proxmoxHost.defaults)) assert.ok(proxmoxHost.docs[key]?.description, `${key} has a description`);
  const bad = (over: Vars) => proxmoxHost.validate?.({ ...proxmoxHost.defaults, ...over });
  assert.is(bad({}), undefined);
  assert.is(bad({ igpu_mode: 'sriov' })?.key, 'igpu_mode');
  assert.is(bad({ igpu_blacklist_i915: true })?.key, 'igpu_blacklist_i915');
  assert.is(bad({ igpu_mode: 'passthrough', igpu_blacklist_i915: true }), undefined);
  assert.is(bad({ proxmox_repo_url: 'download.proxmox.com' })?.key, 'proxmox_repo_url');
  assert.is(bad({ proxmox_repo_url: 'file:///usr/local/lib/pve-simulator/apt-repo' }), undefined);
  assert.is(bad({ node_exporter_listen: 'pve.home.arpa' })?.key, 'node_exporter_listen');
  assert.is(bad({ node_exporter_listen: '192.168.1.10' }), undefined);
  assert.is(bad({ reboot_timeout_seconds: 5 })?.key, 'reboot_timeout_seconds');
});

role('without --upgrade the upgrade step is skipped saying how to ask for it; without --reboot the reboot step says why one is needed', async () => {
  const steps = proxmoxHostSteps(defaults, {});
  const upgrade = steps.find((s) => s.title === 'Full upgrade (apt-get dist-upgrade)')!;
  assert.is(upgrade.probe, undefined, 'no apt simulation on every run');
  const ctx = await context();
  assert.is(upgrade.when?.(ctx.facts), 'run with --upgrade to install all pending updates');
  const pending = steps.find((s) => s.title === 'Is a reboot needed?')!;
  const reboot = steps.find((s) => s.title === 'Reboot')!;
  await pending.check(ctx, { stdout: '@@proc\nroot=x quiet\n@@reboot-required\n@@running 6.8.12-9-pve\n@@newest 6.8.12-9-pve\n@@pin \n', code: 0 });
  assert.is(reboot.when?.(ctx.facts), 'REBOOT NEEDED: the running kernel lacks intel_iommu=on iommu=pt i915.enable_gvt=1 — reboot the host when convenient, or run again with --reboot');
  assert.is(await reboot.check(ctx, { stdout: '@@proc\nroot=x quiet\n', code: 0 }), null, 'never reboots without --reboot');
  const withFlag = proxmoxHostSteps(defaults, { reboot: true, upgrade: true });
  const r2 = withFlag.find((s) => s.title === 'Reboot')!;
  assert.match((await r2.check(ctx, { stdout: '@@proc\nroot=x quiet\n', code: 0 }))!.summary, /^reboot \(the running kernel lacks intel_iommu=on iommu=pt i915.enable_gvt=1\) and wait up to 600s/);
  assert.ok(withFlag.find((s) => s.title === 'Full upgrade (apt-get dist-upgrade)')!.probe);
});

role("verify's enterprise check (real sh, awk and grep on a temp sources dir) fails on a fresh PVE 8 or 9 file and passes once the role turned it off", () => {
  const c = verifyProxmoxHost(defaults).find((x) => x.title === 'no enabled entry points at the enterprise repository')!;
  const dir = mkdtempSync(join(tmpdir(), 'msh-test-verify-'));
  const run = () => {
    const r = spawnSync('sh', ['-c', c.script.replaceAll('/etc/apt/sources.list.d', dir).replaceAll('/etc/apt/sources.list ', `${dir}/none `)], { encoding: 'utf8' });
    return c.expect({ code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr });
  };
  try {
    assert.is(run(), undefined, 'nothing configured');
    for (const [name, off] of [
      ['pve8-ceph.list', disableOneLine],
      ['pve9-pve-enterprise.sources', disableDeb822],
    ] as const) {
      const path = join(dir, name);
      writeFileSync(path, fixture(name));
      assert.type(run(), 'string', `${name} as fresh is caught`);
      writeFileSync(path, off(fixture(name))!.text);
      assert.is(run(), undefined, `${name} turned off passes`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * A TEST DOUBLE of an SSH connection to a host that reboots (no host here may be rebooted): it answers the boot id,
 * runs the scheduled reboot, is unreachable for a few tries, then answers with a new boot id.
 */
class RebootingHostDouble implements Connector {
  readonly kind = 'ssh' as const;
  readonly target = 'root@pve-double:22';
  readonly stats = { connections: 0, commands: 0, roundTrips: 0 };
  commands: string[] = [];
  closes = 0;
  private bootId = 'boot-a';
  private downFor = 0;
  constructor(private readonly triesDown: number, private readonly comesBack = true) {}
  async connect() {}
  async verifyNewConnection() {}
  async close() {
    this.closes++;
  }
  async run(script: string): Promise<RunResult> {
    this.commands.push(script);
    if (this.downFor > 0) {
      this.downFor--;
      if (this.downFor === 0 && this.comesBack) this.bootId = 'boot-b';
      throw new UnreachableError('cannot connect to root@pve-double:22: connection refused');
    }
    if (script.includes('systemctl reboot')) {
      this.downFor = this.comesBack ? this.triesDown : Number.MAX_SAFE_INTEGER;
      return { code: 0, stdout: '', stderr: '' };
    }
    return { code: 0, stdout: `${this.bootId}\n`, stderr: '' };
  }
}

role('--reboot: schedules the reboot, waits through refused connections for a new boot id; gives up after the timeout; never on a local connection', async () => {
  const base = await context({ facts: { systemd: true } });
  const fast = { firstTryMs: 1, retryMs: 1 };
  const host = new RebootingHostDouble(3);
  const ctx = { ...base, conn: host };
  await rebootAndWait(ctx, 60, fast);
  assert.match(host.commands[1]!, /^systemd-run .*--on-active=3 .*systemctl reboot$/);
  assert.ok(host.closes >= 1, 'the old shared connection is dropped');
  assert.ok(ctx.logs.some((l) => l.endsWith('is back (boot id boot-b)')), ctx.logs.join('\n'));

  const never = new RebootingHostDouble(0, false);
  await rejects(rebootAndWait({ ...base, conn: never }, 0, fast), /did not answer SSH within 0s \(last: /);
  await rejects(rebootAndWait(base, 60, fast), /this run executes on the host itself, so it cannot wait for its own reboot: reboot the host by hand/);
});

role('run by the engine on a host that is not Proxmox (this machine, local connection): fails at its first step, saying why, changing nothing', async () => {
  const inventory = parseInventory('all:\n  children:\n    pve:\n      hosts:\n        box:\n          ansible_connection: local\n', 'inv.yml', buildSchema([proxmoxHost]));
  const opts: RunOptions = { inventory: 'inv.yml', envFile: '.env', check: false, diff: false, tags: [], skipTags: [], limit: [], verbosity: 0, json: true, yes: false, forks: 1, logDir: '', extra: {} };
  const plans = planRun(inventory, [proxmoxHost], { file: '.env', exists: false, values: {} }, opts);
  const events: RunEvent[] = [];
  const { exitCode, recap } = await runPlay(plans, { playbook: 'proxmox-host', checkMode: false, diff: false, yes: false, forks: 1 }, (e) => events.push(e));
  assert.is(exitCode, 2);
  assert.equal([recap[0]!.changed, recap[0]!.failed], [0, 1]);
  const steps = events.filter((e): e is Extract<RunEvent, { type: 'step' }> => e.type === 'step');
  assert.is(steps.length, 1, 'nothing after the first step ran');
  assert.is(steps[0]!.status, 'failed');
  assert.match(steps[0]!.message!, "box is not a Proxmox VE host: `pveversion` is missing or prints nothing. Role proxmox-host is for the Proxmox VE host only: the inventory group 'pve' must hold just that host");
});

role.run();
