/**
 * The Proxmox firewall (cluster.fw) of role hardening, and NFS: policy_in is DROP, so when role zfs exports the datasets
 * to the services VM over NFS, the rules must let the VM (and only the VM) reach NFSv4 on TCP 2049; otherwise nothing
 * about NFS appears. Whether the host exports over NFS is decided from the facts at check time, as role zfs decides it.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Vars } from '../../lib/api/role.ts';
import { buildSchema } from '../../lib/inventory/schema.ts';
import { defaults } from '../../roles/hardening/defaults.ts';
import { exportsNfs, hardening, pveFirewall } from '../../roles/hardening/index.ts';
import { clusterFirewall } from '../../roles/hardening/templates/pve-firewall.ts';
import { zfs } from '../../roles/zfs/index.ts';
import { exportLines } from '../../roles/zfs/templates/exports.ts';
import { check, context } from '../helpers/steps.ts';

const t = suite('role hardening: the Proxmox firewall and NFS');

type V = typeof defaults;
const vars = (over: Partial<V> = {}): V => ({ ...defaults, ...over });
const PVE_83 = 'pve-manager/8.3.5/dac3aa88bac3f300 (running kernel: 6.8.12-8-pve)';
const PVE_84 = 'pve-manager/8.4.1/2a5fa54a8503f96d (running kernel: 6.8.12-9-pve)';
const PVE_9 = 'pve-manager/9.0.3/025864202ebb6109 (running kernel: 6.14.8-2-pve)';

/** cluster.fw as it was before NFS was considered: the rules without NFS must stay exactly these. */
const WITHOUT_NFS = `# Managed by media-server-home (role hardening).
[OPTIONS]
enable: 1
policy_in: DROP
policy_out: ACCEPT

[RULES]
IN ACCEPT -source 192.168.1.0/24 -p tcp -dport 22 -log nolog # SSH from the LAN
IN ACCEPT -source 192.168.1.0/24 -p tcp -dport 8006 -log nolog # web UI from the LAN
IN ACCEPT -i tailscale0 -p tcp -dport 22 -log nolog # SSH over Tailscale
IN ACCEPT -i tailscale0 -p tcp -dport 8006 -log nolog # web UI over Tailscale
IN ACCEPT -source 192.168.1.0/24 -p tcp -dport 9100 -log nolog # node-exporter, for Prometheus in the VM
IN ACCEPT -source 192.168.1.0/24 -p icmp -log nolog # ping from the LAN
`;
const NFS_LINE = "IN ACCEPT -source 192.168.1.20 -p tcp -dport 2049 -log nolog # NFSv4 from the services VM (the datasets' exports)";

t('cluster.fw without NFS: unchanged, nothing on 2049, 111 or mountd', () => {
  assert.is(clusterFirewall({ lanCidr: '192.168.1.0/24', sshPort: 22 }), WITHOUT_NFS);
  assert.not.match(WITHOUT_NFS, /2049|111|mountd/);
});

t('cluster.fw with NFS: one rule, TCP 2049 from the VM address only (NFSv4: no rpcbind, no mountd); the rest as before', () => {
  const text = clusterFirewall({ lanCidr: '192.168.1.0/24', sshPort: 22, nfsClient: '192.168.1.20' });
  const lines = text.split('\n');
  assert.equal(lines.filter((l) => l.includes('2049')), [NFS_LINE]);
  assert.is(lines.filter((l) => l !== NFS_LINE).join('\n'), WITHOUT_NFS, 'only the NFS line is added');
  assert.not.match(text, /dport 111\b|mountd|-p udp/);
  assert.ok(lines.indexOf(NFS_LINE) > lines.indexOf('[RULES]'));
});

t('the host exports over NFS exactly when role zfs would: zfs_share nfs, or auto before Proxmox VE 8.4', () => {
  const cases: [string, string, boolean][] = [
    ['nfs', PVE_9, true],
    ['nfs', PVE_83, true],
    ['auto', PVE_83, true],
    ['auto', PVE_84, false],
    ['auto', PVE_9, false],
    ['virtiofs', PVE_9, false],
    ['none', PVE_83, false],
    ['auto', '', false],
    ['nfs', '', false],
  ];
  for (const [share, version, nfs] of cases) assert.is(exportsNfs(share, version).nfs, nfs, `${share} on ${version || 'no Proxmox'}`);
  assert.match(exportsNfs('auto', PVE_83).why, /predates directory mappings \(8\.4\)$/, "role zfs's own reason");
});

t('the step decides at check time from the facts: the VM let in on 2049 only when the datasets go over NFS', async () => {
  const diff = async (v: V, pveVersion: string) => (await check(pveFirewall(v), await context({ facts: { pveVersion } })))!.diff ?? '';
  const v = vars({ vm_ip: '192.168.1.20' });
  assert.ok((await diff({ ...v, zfs_share: 'auto' }, PVE_83)).includes(`+${NFS_LINE}\n`), 'auto before 8.4: NFS');
  assert.ok((await diff({ ...v, zfs_share: 'nfs' }, PVE_9)).includes(`+${NFS_LINE}\n`), 'zfs_share nfs');
  assert.not.match(await diff({ ...v, zfs_share: 'auto' }, PVE_9), /2049/, 'virtiofs: no NFS rule');
  assert.not.match(await diff({ ...v, zfs_share: 'none' }, PVE_83), /2049/, 'nothing shared: no NFS rule');
  try {
    await check(pveFirewall(vars({ zfs_share: 'nfs', vm_ip: '' })), await context({ facts: { pveVersion: PVE_9 } }));
    assert.unreachable('NFS without vm_ip is refused');
  } catch (e) {
    assert.match((e as Error).message, /shared over NFS \(zfs_share is nfs\), and vm_ip is not set: set vm_ip/);
  }
  const step = hardening.steps(vars() as unknown as Vars, {}).find((s) => s.title === 'Firewall: Proxmox allows SSH and the web UI only from the LAN and Tailscale');
  assert.ok(step, 'the role runs this step (same title as before)');
});

t('hardening reads vm_ip and zfs_share as role zfs does (same defaults); a bad vm_ip is refused', () => {
  assert.is(defaults.vm_ip, zfs.defaults['vm_ip']);
  assert.is(defaults.zfs_share, zfs.defaults['zfs_share']);
  assert.equal(buildSchema([zfs, hardening]).get('zfs_share')!.roles, ['zfs', 'hardening']);
  assert.equal(buildSchema([zfs, hardening]).get('vm_ip')!.roles, ['zfs', 'hardening']);
  assert.is(hardening.validate?.({ ...hardening.defaults, vm_ip: '192.168.1.20' }), undefined);
  assert.equal(hardening.validate?.({ ...hardening.defaults, vm_ip: '192.168.1' })?.key, 'vm_ip');
});

t("verify: where the host exports to the VM, cluster.fw admits NFS from the VM's address alone", () => {
  const find = (v: V) => hardening.verify!(v as unknown as Vars).find((c) => c.title.includes('admits NFS'));
  assert.is(find(vars()), undefined, 'no vm_ip: no NFS check');
  const c = find(vars({ vm_ip: '192.168.1.20' }))!;
  assert.is(c.title, '/etc/pve/firewall/cluster.fw admits NFS (TCP 2049) from 192.168.1.20 alone');
  // Skipped unless zfs's exports name the VM: the pattern is what exportLines writes.
  assert.match(c.skipUnless!.script, /command -v pveversion/);
  assert.ok(c.skipUnless!.script.includes("' 192.168.1.20(' /etc/exports"), c.skipUnless!.script);
  assert.ok(exportLines([{ path: '/mnt/tank/media', client: '192.168.1.20' }]).includes(' 192.168.1.20('));
  const run = (stdout: string) => c.expect({ code: 0, stdout, stderr: '' });
  assert.is(run(clusterFirewall({ lanCidr: '192.168.1.0/24', sshPort: 22, nfsClient: '192.168.1.20' })), undefined);
  assert.is(run(WITHOUT_NFS), 'NFS rules for nobody');
  assert.is(run(`${WITHOUT_NFS}IN ACCEPT -p tcp -dport 2049 -log nolog\n`), 'NFS rules for any address');
  assert.is(run(`${WITHOUT_NFS}IN ACCEPT -source 192.168.1.0/24 -p tcp -dport 2049 -log nolog\n`), 'NFS rules for 192.168.1.0/24');
  assert.match(c.expect({ code: 1, stdout: '', stderr: 'No such file' })!, /cannot read/);
});

t.run();
