/**
 * Debian's real prometheus-node-exporter (bookworm's package, fetched with `apt-get download` and unpacked into a
 * temp dir, not installed) run with the role's ARGS on 127.0.0.1: the flags are the binary's, the role's verify checks
 * pass against it. And why the role installs it without Recommends: the Recommended collectors package writes
 * apt_upgrades_pending beside role hardening's metric of the same name, and node-exporter drops one of them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LocalConnector } from '../../lib/connectors/local.ts';
import { PENDING_UPDATES_SCRIPT } from '../../roles/hardening/templates/upgrades.ts';
import { defaults } from '../../roles/proxmox-host/defaults.ts';
import { nodeExporterArgs, TEXTFILE_DIR } from '../../roles/proxmox-host/templates/node-exporter.ts';
import { verifyProxmoxHost } from '../../roles/proxmox-host/verify.ts';
import { removeTempDir, shOk, tempDir } from '../helpers/steps.ts';

const dir = tempDir('msh-test-node-exporter-');
let binary = '';
let collectorsApt = '';

const test = suite('proxmox-host: Debian\'s node-exporter with the role\'s ARGS');

test.before(async () => {
  await shOk(`cd ${dir} && apt-get download prometheus-node-exporter prometheus-node-exporter-collectors >/dev/null 2>&1 && for d in *.deb; do dpkg-deb -x "$d" root; done`);
  binary = join(dir, 'root/usr/bin/prometheus-node-exporter');
  collectorsApt = readFileSync(join(dir, 'root/usr/share/prometheus-node-exporter-collectors/apt_info.py'), 'utf8');
});
test.after(() => removeTempDir(dir));

/** Starts the binary with these arguments; resolves once /metrics answers. */
async function start(args: string[], port: number): Promise<{ child: ChildProcess; log: () => string }> {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (b: Buffer) => (log += b));
  child.stderr!.on('data', (b: Buffer) => (log += b));
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`node-exporter exited ${child.exitCode}: ${log}`);
    const ok = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.ok, () => false);
    if (ok) return { child, log: () => log };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error(`node-exporter did not answer on 127.0.0.1:${port}: ${log}`);
}

test("the role's ARGS (on 127.0.0.1:9100, a temp textfile dir): the binary takes them, and the role's verify checks pass", async () => {
  const textfiles = join(dir, 'textfile');
  mkdirSync(textfiles);
  writeFileSync(join(textfiles, 'msh_test.prom'), '# HELP msh_test_value A test metric.\n# TYPE msh_test_value gauge\nmsh_test_value 42\n');
  const args = nodeExporterArgs('127.0.0.1').replace(TEXTFILE_DIR, textfiles).split(' ');
  assert.ok(args.includes('--collector.zfs'));
  const ne = await start(args, 9100);
  try {
    const metrics = await (await fetch('http://127.0.0.1:9100/metrics')).text();
    assert.match(metrics, /^msh_test_value 42$/m);
    assert.match(metrics, /^node_textfile_scrape_error 0$/m);
    assert.match(metrics, /^node_scrape_collector_success\{collector="zfs"\} [01]$/m, 'the ZFS collector is on');
    const conn = new LocalConnector();
    const checks = verifyProxmoxHost({ ...defaults, node_exporter_listen: '127.0.0.1' });
    for (const title of ['node-exporter listens on the LAN address, port 9100', 'its /metrics has the textfile collector, reading without errors']) {
      const c = checks.find((x) => x.title === title)!;
      assert.is(c.expect(await conn.run(c.script)), undefined, title);
    }
  } finally {
    ne.child.kill();
  }
});

test("hardening's apt_upgrades_pending and the collectors package's cannot share the textfile directory: one is dropped with an error", async () => {
  const help = (source: string) => /HELP apt_upgrades_pending ([^\n"]+)/.exec(source)?.[1];
  const hardeningHelp = help(PENDING_UPDATES_SCRIPT);
  const collectorsHelp = help(collectorsApt);
  assert.ok(hardeningHelp && collectorsHelp && hardeningHelp !== collectorsHelp, `${hardeningHelp} / ${collectorsHelp}`);
  const textfiles = join(dir, 'clash');
  mkdirSync(textfiles);
  writeFileSync(join(textfiles, 'apt-pending.prom'), `# HELP apt_upgrades_pending ${hardeningHelp}\n# TYPE apt_upgrades_pending gauge\napt_upgrades_pending{kind="all"} 3\n`);
  writeFileSync(join(textfiles, 'apt.prom'), `# HELP apt_upgrades_pending ${collectorsHelp}\n# TYPE apt_upgrades_pending gauge\napt_upgrades_pending{arch="amd64",origin="Debian:bookworm/stable"} 3\n`);
  const ne = await start(['--web.listen-address=127.0.0.1:19109', `--collector.textfile.directory=${textfiles}`], 19109);
  try {
    const metrics = await (await fetch('http://127.0.0.1:19109/metrics')).text();
    assert.is(metrics.split('\n').filter((l) => l.startsWith('apt_upgrades_pending{')).length, 1, 'only one of the two series is served');
    await new Promise((r) => setTimeout(r, 200));
    assert.match(ne.log(), /collected metric apt_upgrades_pending .* has help/);
  } finally {
    ne.child.kill();
  }
});

test.run();
