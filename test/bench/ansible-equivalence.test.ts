/**
 * bench/ansible/ must stay the same work as roles/base and roles/hardening (a host that is not Proxmox VE): the files it
 * writes are compared byte for byte with what our templates render (its Jinja templates rendered by python3-jinja2 with
 * the template module's settings: trim_blocks, trailing newline kept), and its UFW rules with ufwAllowRules.
 */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { spawnCollect } from '../../lib/connectors/process.ts';
import { defaults as baseDefaults } from '../../roles/base/defaults.ts';
import { cronDefaults } from '../../roles/base/templates/cron-default.ts';
import { journaldDropIn } from '../../roles/base/templates/journald.ts';
import { defaults as hardeningDefaults } from '../../roles/hardening/defaults.ts';
import { dockerUserRules } from '../../roles/hardening/templates/docker-user.ts';
import { jails, TRAEFIK_AUTH_FILTER } from '../../roles/hardening/templates/fail2ban.ts';
import { sshdDropIn } from '../../roles/hardening/templates/sshd.ts';
import { AUTO_UPGRADES } from '../../roles/hardening/templates/upgrades.ts';
import { ufwAllowRules } from '../../roles/hardening/ufw-rules.ts';
import { ufwRuleWords } from '../../lib/modules/ufw.ts';

const dir = new URL('../../bench/ansible/', import.meta.url).pathname;
const read = (p: string) => readFileSync(`${dir}${p}`, 'utf8');
const eq = suite('bench/ansible is the same work as roles/base and roles/hardening');

const RENDER = `
import json, sys, jinja2
req = json.load(sys.stdin)
env = jinja2.Environment(trim_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
print(env.from_string(req["template"]).render(**req["vars"]), end="")
`;

async function render(template: string, vars: Record<string, unknown>): Promise<string | undefined> {
  const res = await spawnCollect('python3', ['-c', RENDER], { input: JSON.stringify({ template, vars }), timeoutMs: 20_000 }).catch(() => undefined);
  if (!res || res.code !== 0) {
    if (/No module named 'jinja2'/.test(res?.stderr ?? 'no python3')) return undefined;
    throw new Error(`rendering failed: ${res?.stderr}`);
  }
  return res.stdout;
}

const skipped = (what: string) => console.warn(`  ${what}: python3-jinja2 missing, not compared`);

eq('the defaults are ours', () => {
  assert.equal(parse(read('roles/base/defaults/main.yml')), baseDefaults);
  const h = parse(read('roles/hardening/defaults/main.yml')) as Record<string, unknown>;
  for (const [k, v] of Object.entries(h)) assert.equal(v, hardeningDefaults[k as keyof typeof hardeningDefaults], k);
});

eq('sshd drop-in: same bytes, with and without AllowUsers/AllowGroups', async () => {
  for (const [users, groups, root] of [[[], [], 'no'], [['admin', 'ops'], ['ssh'], 'prohibit-password']] as [string[], string[], 'no' | 'prohibit-password'][]) {
    const got = await render(read('roles/hardening/templates/sshd-drop-in.j2'), { ssh_root_login: root, ssh_allow_users: users, ssh_allow_groups: groups });
    if (got === undefined) return skipped('sshd');
    assert.fixture(got, sshdDropIn({ permitRootLogin: root, allowUsers: users, allowGroups: groups }));
  }
});

eq('Fail2ban jails: same bytes, ignoring the SSH client', async () => {
  const vars = { fail2ban_bantime: '2h', fail2ban_maxretry: 4, traefik_access_log: '/srv/traefik/access.log' };
  for (const client of ['10.200.2.1', undefined]) {
    const env = client ? { SSH_CONNECTION: `${client} 51234 10.200.2.2 22` } : {};
    const got = await render(read('roles/hardening/templates/jails.j2'), { ...vars, ansible_env: env });
    if (got === undefined) return skipped('jails');
    assert.fixture(got, jails({ bantime: '2h', maxretry: 4, ignore: client ? [client] : [], proxmox: false, traefikAccessLog: '/srv/traefik/access.log' }));
  }
});

eq('base: cron and journald files, same bytes', async () => {
  const cron = await render(read('roles/base/templates/cron-default.j2'), { cron_log_level: 3 });
  const journald = await render(read('roles/base/templates/journald.j2'), { journald_max_use: '100M' });
  if (cron === undefined || journald === undefined) return skipped('base');
  assert.fixture(cron, cronDefaults({ logLevel: 3 }));
  assert.fixture(journald, journaldDropIn({ maxUse: '100M' }));
});

eq('static files and the DOCKER-USER block are ours', () => {
  assert.fixture(read('roles/hardening/files/traefik-auth.conf'), TRAEFIK_AUTH_FILTER);
  assert.fixture(read('roles/hardening/files/20auto-upgrades'), AUTO_UPGRADES);
  const tasks = parse(read('roles/hardening/tasks/main.yml')) as Record<string, unknown>[];
  const block = tasks.find((t) => 'ansible.builtin.blockinfile' in t)!['ansible.builtin.blockinfile'] as { block: string; marker: string };
  assert.fixture(block.block.replaceAll('{{ lan_cidr }}', '10.1.0.0/16'), `${dockerUserRules('10.1.0.0/16')}\n`);
  assert.is(block.marker, '# {mark} media-server-home docker-user');
});

eq('UFW: the same allow rules', () => {
  const tasks = parse(read('roles/hardening/tasks/main.yml')) as Record<string, unknown>[];
  const rules = tasks.find((t) => t.name === 'Firewall: UFW allows only the LAN and Tailscale')!.loop as Record<string, string>[];
  const lan = '10.1.0.0/16';
  const words = rules.map((r) =>
    ufwRuleWords({
      from: r.from?.replace('{{ lan_cidr }}', lan),
      on: r.iface,
      port: r.port?.replace('{{ ssh_port | string }}', '22'),
      proto: r.proto as 'tcp' | 'udp' | undefined,
    }),
  );
  assert.equal(words, ufwAllowRules({ lan_cidr: lan, ssh_port: 22 }).map(ufwRuleWords));
});

eq.run();
