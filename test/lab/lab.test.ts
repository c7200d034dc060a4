/**
 * The lab, for real: builds (once) and boots the hosts, checks them over SSH, brings them down and checks that
 * nothing is left. Needs root and network access to deb.debian.org; not part of `npm test` (test/run.ts skips
 * test/lab). Run: node --import tsx test/lab/lab.test.ts
 */
import { existsSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnCollect } from '../../lib/connectors/process.ts';
import { loadInventory } from '../../lib/inventory/load.ts';
import { buildSchema } from '../../lib/inventory/schema.ts';
import { allRoles } from '../../roles/index.ts';
import { hostAddress, hostDir, labKeyFile, labKnownHostsFile, STANDIN_IMAGES, tapName, vethName, type LabHost, type VmHost } from './config.ts';
import { builtByUp, defaultLabConfig as cfg, down, ensureLabPrerequisites, status, up } from './lab.ts';
import { cachedBase } from './rootfs.ts';
import { cachedVmImage } from './vm-image.ts';

const lab = suite('lab');
const log = (line: string) => process.stdout.write(`    ${line}\n`);
const timings: string[] = [];

/**
 * ssh as a user would run it: the lab key, only the lab known_hosts, and no prompt allowed. The default timeout is
 * generous: apt in the TCG VM on a busy machine takes minutes.
 */
async function ssh(host: LabHost, command: string, timeoutMs = 300_000): Promise<{ code: number; out: string }> {
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

lab('up starts every host (building the bases and baking the VM images first when they are not cached)', async () => {
  const first = await up({ log });
  assert.equal(first.started, cfg.hosts.map((h) => h.name));
  for (const b of first.bases) {
    timings.push(b.built ? `first build (${b.release}, debootstrap + preparation): ${b.buildSeconds.toFixed(1)} s` : `first build (${b.release}): cached; it took ${b.buildSeconds.toFixed(1)} s when built`);
  }
  for (const i of first.images) {
    timings.push(i.built ? `VM image bake (${i.host}, kernel ${i.kernelVersion}): ${i.buildSeconds.toFixed(1)} s` : `VM image bake (${i.host}): cached; it took ${i.buildSeconds.toFixed(1)} s when baked`);
  }
  timings.push(`up${builtByUp(first).length ? ' including the builds' : ' (cached)'}: ${first.seconds.toFixed(1)} s`);
  for (const [name, secs] of Object.entries(first.bootSeconds)) timings.push(`${name}: start to SSH: ${secs.toFixed(1)} s`);
  // The lookups up makes before building: what it built is found there now, so the next up builds nothing (the
  // harness's up, next in test:lab, is that next up). Not proven by a second boot here: under TCG one costs minutes.
  for (const h of cfg.hosts) {
    const base = cachedBase(cfg, h.release);
    assert.ok(base, `base of ${h.release} is cached`);
    if (h.kind === 'vm') assert.ok(cachedVmImage(cfg, h, base), `image of ${h.name} is cached`);
  }
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

  if (host.kind === 'vm') vmTests(host);
  if (host.proxmoxSimulator) {
    lab(`${host.name}: the Proxmox CLI simulator answers`, async () => {
      const res = await ssh(host, 'pveversion && qm list && echo qm-ok');
      assert.is(res.code, 0, res.out);
      assert.match(res.out, /^pve-manager\/\d/m);
      assert.match(res.out, /^qm-ok$/m);
    });
  }

  lab(`${host.name}: ufw can be enabled and net sysctls written (what the hardening roles need)`, async () => {
    const res = await ssh(host, 'export DEBIAN_FRONTEND=noninteractive; apt-get install -y -q ufw >/dev/null && ufw allow 22/tcp >/dev/null && ufw --force enable && ufw status | head -1 && sysctl -w net.ipv4.conf.all.rp_filter=1');
    assert.is(res.code, 0, res.out);
    assert.match(res.out, /Status: active/);
    const after = await ssh(host, 'echo still-reachable');
    assert.is(after.out, 'still-reachable', 'a new SSH connection works with the firewall on');
  });
}

/** The Docker host: a real engine and Compose v2, and the stack's stand-in images (no registry is reachable here). */
function dockerTests(host: VmHost): void {
  lab(`${host.name}: Docker and Compose v2 run; the stand-in images are loaded`, async () => {
    const res = await ssh(host, "docker info --format 'driver={{.Driver}} cgroup={{.CgroupVersion}}' && docker compose version --short && docker image ls --format '{{.Repository}}:{{.Tag}}' | sort");
    assert.is(res.code, 0, res.out);
    assert.match(res.out, /^driver=overlay2 cgroup=2$/m);
    assert.match(res.out, /^v?[2-9]\.\d+/m, 'Compose v2 or later');
    for (const tag of Object.values(STANDIN_IMAGES)) assert.match(res.out, new RegExp(`^${tag}$`, 'm'));
  });

  lab(`${host.name}: a stand-in container answers its image's healthcheck (jellyfin: curl /health)`, async () => {
    const res = await ssh(host, `docker run -d --rm --name labtest ${STANDIN_IMAGES['jellyfin']} >/dev/null && sleep 2 && docker exec labtest curl -fsS http://localhost:8096/health; docker rm -f labtest >/dev/null`);
    assert.is(res.code, 0, res.out);
    assert.match(res.out, /^Healthy$/m);
  });
}

/** A VM host runs a real kernel: OpenZFS works on its blank disks; its ext4 disk shows a signature. */
function vmTests(host: VmHost): void {
  const blank = host.vm.disks.filter((d) => !d.ext4);
  const used = host.vm.disks.filter((d) => d.ext4);
  const byId = (serial: string) => `/dev/disk/by-id/virtio-${serial}`;

  if (host.vm.standinImages) dockerTests(host);
  if (!host.vm.packages.includes('zfs-dkms')) return;

  lab(`${host.name}: the zfs module loads and the extra disks exist by id`, async () => {
    const res = await ssh(host, `modprobe zfs && zpool version && uname -r && ls -l ${host.vm.disks.map((d) => byId(d.serial)).join(' ')}`);
    assert.is(res.code, 0, res.out);
    assert.match(res.out, /^zfs-kmod-\d/m);
    for (const d of host.vm.disks) assert.ok(res.out.includes(byId(d.serial)), `${byId(d.serial)} exists`);
  });

  if (blank.length >= 2) {
    lab(`${host.name}: a mirror pool on two blank disks is ONLINE (then destroyed)`, async () => {
      const t = Date.now();
      const res = await ssh(host, `zpool create -f labtest mirror ${byId(blank[0]!.serial)} ${byId(blank[1]!.serial)} && zpool status labtest; zpool destroy labtest`);
      assert.is(res.code, 0, res.out);
      assert.match(res.out, /state: ONLINE/);
      timings.push(`${host.name}: zpool create mirror + status + destroy: ${((Date.now() - t) / 1000).toFixed(1)} s`);
      const after = await ssh(host, 'zpool list -H -o name');
      assert.is(after.code, 0, after.out);
      assert.not.match(after.out, /labtest/, 'the test pool is gone: the zfs role creates its own');
    });
  }

  for (const d of used) {
    lab(`${host.name}: wipefs -n shows the ext4 signature of disk ${d.serial}`, async () => {
      const res = await ssh(host, `wipefs -n ${byId(d.serial)}`);
      assert.is(res.code, 0, res.out);
      assert.match(res.out, /\bext4\b/);
    });
  }
}

lab('the hosts reach each other through the controller (pve waits for the VM on services; Prometheus there scrapes pve)', async () => {
  const [a, b] = cfg.hosts;
  if (!a || !b) return;
  for (const [from, to] of [[a, b], [b, a]] as const) {
    const res = await ssh(from, `timeout 5 bash -c 'exec 3<>/dev/tcp/${hostAddress(cfg, to)}/22' && echo reached`);
    assert.match(res.out, /^reached$/m, `${from.name} -> ${to.name}:22: ${res.out}`);
  }
});

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
  // Every process the lab starts names its state or cache dir: nspawn --directory, qemu -pidfile, apt-cacher-ng -c.
  assert.equal(live.filter((l) => l.includes(cfg.cacheDir) || l.includes(cfg.stateDir)), [], 'no process of the lab (nspawn, qemu, apt-cacher-ng)');
  assert.equal(live.filter((l) => new RegExp(`ssh .*${cfg.networkPrefix.replace('.', '\\.')}\\.`).test(l)), [], 'no ssh to a lab host');
  const mounts = await sh('findmnt', ['-rn', '-o', 'TARGET,FSTYPE']);
  assert.equal(mounts.split('\n').filter((l) => l.startsWith(cfg.stateDir) || l.startsWith(cfg.cacheDir)), [], 'no mount of the lab');
  const links = (await sh('ip', ['-o', 'link', 'show'])).split('\n').map((l) => l.split(':')[1]?.trim().split('@')[0]);
  const labLinkNames = cfg.hosts.flatMap((h) => [vethName(h), tapName(h)]);
  assert.equal(links.filter((l) => l && labLinkNames.includes(l)), [], `no lab interface (${labLinkNames.join(', ')})`);
  for (const h of cfg.hosts) assert.not.ok(existsSync(hostDir(cfg, h)), `${hostDir(cfg, h)} (overlay, VM disks, seed) is gone`);
  const st = await status();
  assert.ok(st.hosts.every((h) => !h.running) && !st.aptProxy.running);
});

lab.run();
