/**
 * The lab, for real: builds (once) and boots the hosts, checks them over SSH, brings them down and checks that
 * nothing is left. Needs root and network access to deb.debian.org; not part of `npm test` (test/run.ts skips
 * test/lab). Run: node --import tsx test/lab/lab.test.ts
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnCollect } from '../../lib/connectors/process.ts';
import { loadInventory } from '../../lib/inventory/load.ts';
import { buildSchema } from '../../lib/inventory/schema.ts';
import { allRoles } from '../../roles/index.ts';
import { hostAddress, labKeyFile, labKnownHostsFile, type LabHost } from './config.ts';
import { defaultLabConfig as cfg, down, ensureLabPrerequisites, status, up } from './lab.ts';
import { cachedBase } from './rootfs.ts';

const lab = suite('lab');
const log = (line: string) => process.stdout.write(`    ${line}\n`);
const timings: string[] = [];

/** ssh as a user would run it: the lab key, only the lab known_hosts, and no prompt allowed. */
async function ssh(host: LabHost, command: string, timeoutMs = 120_000): Promise<{ code: number; out: string }> {
  const res = await spawnCollect('ssh', [
    '-i', labKeyFile(cfg),
    '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${labKnownHostsFile(cfg)}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=5',
    '--', `root@${hostAddress(cfg, host)}`, command,
  ], { timeoutMs });
  return { code: res.code, out: (res.stdout + res.stderr).trim() };
}

async function sh(cmd: string, args: string[]): Promise<string> {
  const res = await spawnCollect(cmd, args);
  assert.is(res.code, 0, `${cmd} ${args.join(' ')}: ${res.stderr}`);
  return res.stdout;
}

lab.before(async () => {
  await ensureLabPrerequisites(log);
  await down({ log });
});

lab.after(async () => {
  await down({ log }).catch((e: unknown) => log(`cleanup: ${(e as Error).message}`));
  process.stdout.write(`\n  lab timings:\n${timings.map((t) => `    ${t}\n`).join('')}`);
});

lab('up starts every host (building the bases first when they are not cached)', async () => {
  const first = await up({ log });
  assert.equal(first.started, cfg.hosts.map((h) => h.name));
  for (const b of first.bases) {
    timings.push(b.built ? `first build (${b.release}, debootstrap + preparation): ${b.buildSeconds.toFixed(1)} s` : `first build (${b.release}): cached; it took ${b.buildSeconds.toFixed(1)} s when built`);
  }
  let cached = first;
  if (first.bases.some((b) => b.built)) {
    timings.push(`up including the build: ${first.seconds.toFixed(1)} s`);
    await down({ log });
    cached = await up({ log });
    assert.ok(cached.bases.every((b) => !b.built), 'the second up must use the cached bases');
  }
  timings.push(`up (cached bases, ${cfg.hosts.length} hosts to SSH): ${cached.seconds.toFixed(1)} s`);
  for (const h of cfg.hosts) assert.ok(cachedBase(cfg, h.release), `base of ${h.release} is cached`);
});

lab('up again reports the lab is up and starts nothing', async () => {
  const again = await up({ log });
  assert.ok(again.alreadyUp);
  assert.equal(again.started, []);
});

lab('the generated inventory loads with the project schema and lists every host at its address', () => {
  const inv = loadInventory(cfg.inventoryFile, buildSchema(allRoles));
  for (const h of cfg.hosts) {
    const host = inv.hosts.get(h.name);
    assert.ok(host, `${h.name} in the inventory`);
    assert.is(host.vars.ansible_host, hostAddress(cfg, h));
    // A host with an admin user (like the real VM's cloud-init user) is reached as it, with sudo.
    assert.is(host.vars.ansible_user, h.adminUser ?? 'root');
    assert.is(host.vars.ansible_become, h.adminUser ? true : undefined);
    assert.is(host.vars.ansible_ssh_private_key_file, '.ssh-state/lab_ed25519');
    assert.is(host.vars.msh_known_hosts_file, '.ssh-state/lab_known_hosts');
    assert.ok(inv.groups.get(h.name)?.has(h.name), `group ${h.name} holds host ${h.name}`);
  }
});

for (const host of cfg.hosts) {
  lab(`${host.name}: systemd is up, Debian ${host.release}, hostname ${host.name}, no route out`, async () => {
    const res = await ssh(host, 'systemctl is-system-running --wait; . /etc/os-release; echo "codename=$VERSION_CODENAME"; echo "hostname=$(hostname)"; ip route show default | sed "s/^/route=/"');
    assert.match(res.out, /^(running|degraded)$/m, res.out);
    assert.match(res.out, new RegExp(`^codename=${host.release}$`, 'm'));
    assert.match(res.out, new RegExp(`^hostname=${host.name}$`, 'm'));
    assert.not.match(res.out, /^route=/m, 'the host must have no default route');
  });

  lab(`${host.name}: apt installs hello through the proxy`, async () => {
    const t = Date.now();
    const res = await ssh(host, 'export DEBIAN_FRONTEND=noninteractive; apt-config dump Acquire::http::Proxy; apt-get update -q >/dev/null && apt-get install -y -q hello >/dev/null && hello');
    assert.is(res.code, 0, res.out);
    assert.match(res.out, `Acquire::http::Proxy "http://${cfg.networkPrefix}.${host.subnet}.1:${cfg.aptProxyPort}"`);
    assert.match(res.out, /^Hello, world!$/m);
    timings.push(`${host.name}: apt-get update + install hello: ${((Date.now() - t) / 1000).toFixed(1)} s`);
  });

  lab(`${host.name}: ufw can be enabled and net sysctls written (what the hardening roles need)`, async () => {
    const res = await ssh(host, 'export DEBIAN_FRONTEND=noninteractive; apt-get install -y -q ufw >/dev/null && ufw allow 22/tcp >/dev/null && ufw --force enable && ufw status | head -1 && sysctl -w net.ipv4.conf.all.rp_filter=1');
    assert.is(res.code, 0, res.out);
    assert.match(res.out, /Status: active/);
    const after = await ssh(host, 'echo still-reachable');
    assert.is(after.out, 'still-reachable', 'a new SSH connection works with the firewall on');
  });
}

lab('status shows every host up and answering SSH', async () => {
  const st = await status();
  for (const h of st.hosts) {
    assert.ok(h.running, `${h.name} running`);
    assert.ok(h.sshAnswers, `${h.name} answers ssh`);
  }
  assert.ok(st.aptProxy.running);
});

lab('down leaves no process, mount or interface of the lab', async () => {
  const res = await down({ log });
  timings.push(`down: ${res.seconds.toFixed(1)} s`);
  // Zombies (state Z) are exited processes our PID 1 has not reaped yet; they hold nothing.
  const ps = await sh('ps', ['-eo', 'pid=,stat=,args=']);
  const live = ps.split('\n').filter((l) => !/^\s*\d+\s+Z/.test(l));
  assert.equal(live.filter((l) => /systemd-nspawn/.test(l) && l.includes(cfg.stateDir)), [], 'no systemd-nspawn process of the lab');
  assert.equal(live.filter((l) => l.includes(cfg.cacheDir) || l.includes(cfg.stateDir)), [], 'no process of the lab (apt-cacher-ng)');
  assert.equal(live.filter((l) => new RegExp(`ssh .*${cfg.networkPrefix.replace('.', '\\.')}\\.`).test(l)), [], 'no ssh to a lab host');
  const mounts = await sh('findmnt', ['-rn', '-o', 'TARGET,FSTYPE']);
  assert.equal(mounts.split('\n').filter((l) => l.startsWith(cfg.stateDir) || l.startsWith(cfg.cacheDir)), [], 'no mount of the lab');
  const links = await sh('ip', ['-o', 'link', 'show']);
  assert.equal(links.split('\n').filter((l) => /^\d+: ve-/.test(l)), [], 'no ve-* interface');
  const st = await status();
  assert.ok(st.hosts.every((h) => !h.running) && !st.aptProxy.running);
});

lab.run();
