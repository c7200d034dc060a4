import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnCollect } from '../../lib/connectors/process.ts';
import type { HostRecap } from '../../lib/runner/events.ts';
import { ansibleChangedTasks, ansibleInventory, ansibleRecap, changedSteps, formatTable, hostCounters, median, runChanged, runEnd, totalChanged, type BenchResult } from '../../bench/lib.ts';
import { parse } from 'yaml';

const b = suite('bench: statistics, parsing, table');

const recap = (host: string, roles: [string, number][]): HostRecap => ({
  host, ok: 3, changed: 0, failed: 0, skipped: 1, unreachable: false, seconds: 2,
  connections: 1, commands: 1 + roles.length, roundTrips: 2 + roles.reduce((n, [, r]) => n + r, 0),
  setup: { connections: 1, commands: 1, roundTrips: 2 },
  roles: roles.map(([role, roundTrips]) => ({ role, roundTrips, commands: roundTrips, connections: 0, seconds: 0.5 })),
});

b('median: odd, even, unsorted', () => {
  assert.is(median([5, 1, 3]), 3);
  assert.is(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

b('runEnd finds the recap among JSON lines and other output', () => {
  const end = { type: 'run-end', recap: [recap('pve', [['base', 1]])], exitCode: 0, seconds: 3 };
  const out = ['{"type":"run-start"}', 'not json', JSON.stringify(end), ''].join('\n');
  assert.equal(runEnd(out), end);
  assert.is(runEnd('nothing'), undefined);
});

b('totalChanged and runChanged add the changed steps of every host; no run-end is undefined, not 0', () => {
  const hosts = [{ ...recap('pve', [['base', 1]]), changed: 2 }, { ...recap('services', [['base', 1]]), changed: 3 }];
  assert.is(totalChanged(hosts), 5);
  assert.is(totalChanged([]), 0);
  assert.is(runChanged(JSON.stringify({ type: 'run-end', recap: hosts, exitCode: 0, seconds: 1 })), 5);
  assert.is(runChanged('{"type":"run-start"}'), undefined);
});

b('ansibleRecap reads PLAY RECAP', () => {
  const out = `TASK [x] ***\nok: [services]\n\nPLAY RECAP *********\nservices                   : ok=21   changed=0    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0   \n`;
  assert.equal(ansibleRecap(out), [{ host: 'services', ok: 21, changed: 0, unreachable: 0, failed: 0 }]);
});

b('which steps and tasks changed: ours from the --json events, Ansible from its default output', () => {
  const ours = [
    JSON.stringify({ type: 'step', host: 'services', role: 'hardening', index: 5, title: 'Firewall: UFW allows only the LAN and Tailscale', status: 'changed', message: 'ufw: delete "allow 41641/udp"', ms: 9 }),
    JSON.stringify({ type: 'step', host: 'services', role: 'base', index: 0, title: 'Set time zone', status: 'ok', ms: 1 }),
    JSON.stringify({ type: 'handler', host: 'services', role: 'hardening', name: 'reload ufw', status: 'changed' }),
  ].join('\n');
  assert.equal(changedSteps(ours), ['services hardening: Firewall: UFW allows only the LAN and Tailscale — ufw: delete "allow 41641/udp"', 'services hardening: handler reload ufw']);
  const ansible = [
    'TASK [hardening : Firewall: UFW default policies] ******',
    "ok: [services] => (item={'direction': 'incoming', 'policy': 'deny'})",
    "changed: [services] => (item={'direction': 'routed', 'policy': 'deny'})",
    '',
    'TASK [hardening : Fail2ban jails] ****',
    'ok: [services]',
    'RUNNING HANDLER [hardening : Reload ufw] ****',
    'changed: [services]',
  ].join('\n');
  assert.equal(ansibleChangedTasks(ansible), ["services hardening : Firewall: UFW default policies ({'direction': 'routed', 'policy': 'deny'})", 'services hardening : Reload ufw']);
});

b('hostCounters: per-role maximum and the ≤2 target', () => {
  const [a, c] = hostCounters([recap('pve', [['base', 1], ['zfs', 2]]), recap('services', [['base', 1], ['docker-stack', 3]])]);
  assert.is(a!.maxRoundTripsPerRole, 2);
  assert.ok(a!.meetsTarget);
  assert.is(c!.maxRoundTripsPerRole, 3);
  assert.not.ok(c!.meetsTarget);
  assert.is(c!.setupRoundTrips, 2);
});

b('the table shows medians, ratios, counters and targets', () => {
  const r: BenchResult = {
    time: '2026-01-01T00:00:00Z', host: 'services', runs: 5,
    ours: { firstConverge: { runs: [60], median: 60 }, rerunSameRoles: { runs: [2], median: 2 }, rerunSite: { runs: [9], median: 9 }, checkSite: { runs: [8], median: 8 }, counters: hostCounters([recap('services', [['base', 1]])]) },
    ansible: { version: 'ansible-playbook [core 2.14.18]', firstConverge: { runs: [90], median: 90 }, rerun: { runs: [14], median: 14 } },
    ratios: { firstConverge: 1.5, rerun: 7 },
    targets: { roundTripsPerRole: true, speedup: true },
  };
  const t = formatTable(r);
  assert.match(t, /\(b\) no-change rerun, base \+ hardening on services\s+2\.0s\s+14\.0s\s+7\.0×/);
  assert.match(t, 'services: base 1');
  assert.match(t, '≤2 round trips per role per host: met');
});

b('the Ansible inventory: same host, port, user, key, known_hosts, become and role variables', () => {
  const text = ansibleInventory('services', { ansible_host: '10.200.2.2', ansible_user: 'admin', ansible_become: true, ansible_ssh_private_key_file: '/k' }, { lan_cidr: '10.200.0.0/16', ssh_allow_users: [] }, '/kh');
  const v = (parse(text) as { all: { hosts: Record<string, Record<string, unknown>> } }).all.hosts.services!;
  assert.equal(v, {
    ansible_host: '10.200.2.2', ansible_port: 22, ansible_user: 'admin', ansible_become: true, ansible_ssh_private_key_file: '/k',
    ansible_ssh_common_args: '-o UserKnownHostsFile=/kh -o StrictHostKeyChecking=yes', lan_cidr: '10.200.0.0/16', ssh_allow_users: [],
  });
});

b('npm run bench without a lab inventory exits 2 and says how to start the lab', async () => {
  const res = await spawnCollect(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--inventory', '/nonexistent/lab.yml'], { timeoutMs: 60_000 });
  assert.is(res.code, 2, res.stderr);
  assert.match(res.stderr, 'npx zx playbooks/lab.ts up');
});

b.run();
