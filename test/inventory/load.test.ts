import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { InputError } from '../../lib/errors.ts';
import { loadEnvFile } from '../../lib/inventory/env-file.ts';
import { loadInventory, parseInventory } from '../../lib/inventory/load.ts';
import { resolveRoleVars } from '../../lib/inventory/resolve.ts';
import { buildSchema } from '../../lib/inventory/schema.ts';
import { allRoles } from '../../roles/index.ts';
import { base } from '../../roles/base/index.ts';
import { clearSecretsForTests, redact } from '../../lib/redact.ts';

const schema = buildSchema(allRoles);
const parse = (text: string) => parseInventory(text, 'hosts.yml', schema);

/** Parses and returns the InputError's formatted text (fails when parsing succeeds). */
function errorOf(text: string): string {
  try {
    parse(text);
  } catch (e) {
    assert.instance(e, InputError);
    return (e as InputError).format();
  }
  assert.unreachable('expected an InputError');
  return '';
}

const inv = suite('inventory');

inv('reads hosts, groups and vars with Ansible precedence', () => {
  const i = parse(`
all:
  vars:
    timezone: Etc/UTC
    cron_log_level: 1
  children:
    pve:
      vars:
        timezone: Europe/Paris
      hosts:
        pve1:
          ansible_host: 10.0.0.1
          cron_log_level: 3
    services:
      children:
        docker:
          vars:
            timezone: Europe/Berlin
          hosts:
            svc1:
      vars:
        timezone: America/New_York
`);
  assert.equal([...i.hosts.keys()].sort(), ['pve1', 'svc1']);
  const pve1 = i.hosts.get('pve1')!;
  assert.is(pve1.vars.timezone, 'Europe/Paris');
  assert.is(pve1.vars.cron_log_level, 3);
  assert.is(pve1.vars.ansible_host, '10.0.0.1');
  assert.equal(pve1.groups, ['all', 'pve']);
  // child group (depth 3) wins over its parent group (depth 2), whatever the order in the file
  assert.is(i.hosts.get('svc1')!.vars.timezone, 'Europe/Berlin');
  assert.equal([...i.groups.get('services')!], ['svc1']);
  assert.equal([...i.groups.get('all')!].sort(), ['pve1', 'svc1']);
  assert.equal(pve1.origins.timezone, { file: 'hosts.yml', line: 9, column: 19 });
});

inv('host vars win over group vars; role defaults fill the rest', () => {
  const i = parse(`all:\n  vars:\n    timezone: Etc/UTC\n  hosts:\n    h1:\n      timezone: Asia/Tokyo\n`);
  const vars = resolveRoleVars(i.hosts.get('h1')!, base, { file: '.env', exists: false, values: {} });
  assert.is(vars.timezone, 'Asia/Tokyo');
  assert.equal(vars.base_packages, base.defaults.base_packages);
});

inv('unknown variable: file, line, column and the likely fix', () => {
  const msg = errorOf(`all:\n  hosts:\n    h1:\n      timezon: Europe/Paris\n`);
  assert.is(msg, 'hosts.yml:4:7: unknown variable "timezon"\n  fix: did you mean "timezone"? (every variable is listed in inventory/example.yml)');
});

inv('unknown variable with no close name', () => {
  assert.match(errorOf(`all:\n  vars:\n    frobnicate: 1\n  hosts:\n    h1:\n`), 'hosts.yml:3:5: unknown variable "frobnicate"\n  fix: remove it;');
});

inv('wrong type names the expected type', () => {
  assert.match(errorOf(`all:\n  hosts:\n    h1:\n      ansible_port: "twenty-two"\n`), 'hosts.yml:4:21: "ansible_port" must be a number, not a string');
  assert.match(errorOf(`all:\n  hosts:\n    h1:\n      base_packages: curl\n`), 'hosts.yml:4:22: "base_packages" must be a list, not a string');
});

inv('enum values are checked', () => {
  assert.match(errorOf(`all:\n  hosts:\n    h1:\n      ansible_connection: winrm\n`), 'hosts.yml:4:27: "ansible_connection" is "winrm"; allowed: ssh, local');
});

inv('unknown group key', () => {
  assert.is(errorOf(`all:\n  host:\n    h1:\n`), 'hosts.yml:2:3: unknown key "host" in group "all"\n  fix: a group holds only hosts, children, vars; did you mean "hosts"?');
});

inv('top level must be all', () => {
  assert.match(errorOf(`pve:\n  hosts:\n    h1:\n`), 'hosts.yml:1:1: unknown top-level key "pve"');
  assert.match(errorOf(`- a\n- b\n`), 'hosts.yml:1:1: the inventory must be a mapping with the single key "all"');
});

inv('YAML syntax errors carry their position', () => {
  // yaml reports an unclosed quote where the file ends
  assert.is(
    errorOf(`all:\n  hosts:\n    h1:\n      timezone: "Europe/Paris\n`),
    'hosts.yml:5:1: invalid YAML: Missing closing "quote\n  fix: fix the YAML syntax at that place (indentation, a missing colon or quote)',
  );
  assert.match(errorOf(`all:\n  hosts:\n    h1:\n      timezone: Etc/UTC\n     cron_log_level: 1\n`), 'hosts.yml:5:1: invalid YAML: All mapping items must start at the same column');
});

inv('duplicate keys are an error, not silence', () => {
  assert.match(errorOf(`all:\n  hosts:\n    h1:\n      timezone: Etc/UTC\n      timezone: Europe/Paris\n`), /^hosts\.yml:5:7: invalid YAML: Map keys must be unique/);
});

inv('a host with no value for a var', () => {
  assert.match(errorOf(`all:\n  hosts:\n    h1:\n      timezone:\n`), 'hosts.yml:4:7: "timezone" has no value');
});

inv('no host at all', () => {
  assert.match(errorOf(`all:\n  vars:\n    timezone: Etc/UTC\n`), 'the inventory lists no host');
});

inv('a host may share its group\'s name, as in Ansible', () => {
  const i = parse(`all:\n  children:\n    pve:\n      hosts:\n        pve:\n`);
  assert.equal([...i.groups.get('pve')!], ['pve']);
  assert.equal(i.hosts.get('pve')!.groups, ['all', 'pve']);
});

inv('group loops are refused', () => {
  // YAML anchors are the only way to write a loop; the same group name nested in itself is the plain case.
  assert.match(errorOf(`all:\n  children:\n    a:\n      children:\n        a:\n          hosts:\n            h1:\n`), 'group "a" contains itself');
});

inv('a missing inventory file says how to create one', () => {
  try {
    loadInventory('/nonexistent/hosts.yml', schema);
    assert.unreachable();
  } catch (e) {
    assert.is((e as InputError).format(), '/nonexistent/hosts.yml: inventory file not found\n  fix: create it from inventory/example.yml, or pass another with -i <file>');
  }
});

inv('inventory/example.yml parses and documents every key the tool reads', () => {
  const example = loadInventory('inventory/example.yml', schema);
  assert.ok(example.hosts.size >= 2);
  const text = readFileSync('inventory/example.yml', 'utf8');
  for (const key of schema.keys()) assert.ok(text.includes(`${key}:`), `example.yml does not document ${key}`);
});


inv.run();

const env = suite('.env');

const dir = mkdtempSync(join(tmpdir(), 'msh-env-'));
const write = (name: string, text: string, mode = 0o600) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  chmodSync(p, mode);
  return p;
};

env.after.each(() => clearSecretsForTests());

env('values are loaded and registered for redaction', () => {
  const f = write('a.env', 'TAILSCALE_AUTHKEY=tskey-auth-abc123\n# comment\nDB_PASSWORD="s3cretPass"\n');
  const e = loadEnvFile(f);
  assert.equal(e.values, { TAILSCALE_AUTHKEY: 'tskey-auth-abc123', DB_PASSWORD: 's3cretPass' });
  assert.is(redact('tailscale up --authkey tskey-auth-abc123 pw=s3cretPass'), 'tailscale up --authkey *** pw=***');
});

env('a .env readable by others is refused with the chmod fix', () => {
  const f = write('b.env', 'A=secretvalue\n', 0o644);
  try {
    loadEnvFile(f);
    assert.unreachable();
  } catch (e) {
    assert.is((e as InputError).format(), `${f}: holds secrets but its mode is 0644 (readable by others)\n  fix: chmod 600 ${f}`);
  }
});

env('a malformed line names its line number', () => {
  const f = write('c.env', 'A=1\nthis is not a variable\n');
  try {
    loadEnvFile(f);
    assert.unreachable();
  } catch (e) {
    assert.is((e as InputError).format(), `${f}:2:1: line is not NAME=value\n  fix: write secrets as NAME=value, one per line (quote values with spaces)`);
  }
});

env('a missing .env is not an error until a variable is needed', () => {
  const e = loadEnvFile(join(dir, 'none.env'));
  assert.is(e.exists, false);
});

env('${VAR} in the inventory comes from .env; a missing one points at the inventory line', () => {
  const i = parse(`all:\n  hosts:\n    h1:\n      timezone: \${TZ_NAME}\n`);
  const host = i.hosts.get('h1')!;
  assert.is(resolveRoleVars(host, base, { file: '.env', exists: true, values: { TZ_NAME: 'Europe/Rome' } }).timezone, 'Europe/Rome');
  try {
    resolveRoleVars(host, base, { file: '.env', exists: true, values: {} });
    assert.unreachable();
  } catch (e) {
    assert.is((e as InputError).format(), 'hosts.yml:4:17: ${TZ_NAME} is used here but TZ_NAME is not set in .env\n  fix: add a line TZ_NAME=<value> to .env (chmod 600)');
  }
});

env('a role that requires an .env variable fails before anything runs', () => {
  const i = parse(`all:\n  hosts:\n    h1:\n`);
  const role = { ...base, name: 'needs-key', requiredEnv: ['TAILSCALE_AUTHKEY'] };
  try {
    resolveRoleVars(i.hosts.get('h1')!, role, { file: '.env', exists: false, values: {} });
    assert.unreachable();
  } catch (e) {
    assert.match((e as InputError).format(), '.env: TAILSCALE_AUTHKEY is required by role needs-key but is not set');
  }
});

env.run();
