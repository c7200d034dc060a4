/**
 * Role traefik through the real runner on this machine (a local connection): the VM's files go to a temporary
 * traefik_dir, the controller's CA to a temporary tls_ca_dir. Real openssl, real files, real .env handling.
 */
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import type { Vars } from '../../lib/api/role.ts';
import { LocalConnector } from '../../lib/connectors/local.ts';
import { InputError } from '../../lib/errors.ts';
import { loadEnvFile } from '../../lib/inventory/env-file.ts';
import { parseInventory } from '../../lib/inventory/load.ts';
import { resolveRoleVars } from '../../lib/inventory/resolve.ts';
import { buildSchema } from '../../lib/inventory/schema.ts';
import { clearSecretsForTests, redact } from '../../lib/redact.ts';
import type { RunEvent } from '../../lib/runner/events.ts';
import type { RunOptions } from '../../lib/runner/options.ts';
import { planRun } from '../../lib/runner/plan.ts';
import { runPlay } from '../../lib/runner/run-play.ts';
import { apr1Verify } from '../../lib/crypto/apr1.ts';
import { basicAuthUsers } from '../../roles/traefik/basic-auth.ts';
import { traefik, traefikSummary } from '../../roles/traefik/index.ts';
import { hostPaths } from '../../roles/traefik/paths.ts';
import type { TraefikVars } from '../../roles/traefik/defaults.ts';
import { removeTempDir, tempDir } from '../helpers/steps.ts';

type StepEvent = Extract<RunEvent, { type: 'step' }>;
const PASSWORD = 'correct-horse-battery-staple';
const t = suite('role traefik');

let base: string;
let envFile: string;

function setup(password = PASSWORD): void {
  envFile = join(base, '.env');
  writeFileSync(envFile, `TRAEFIK_DASHBOARD_PASSWORD=${password}\n`, { mode: 0o600 });
}

/** Host vars of the one services host. */
function hostVars(extra: Record<string, string> = {}): Record<string, string> {
  return { traefik_dir: join(base, 'traefik'), tls_ca_dir: join(base, 'secrets', 'ca'), vm_ip: '192.168.1.20', ...extra };
}

async function run(opts: { check?: boolean; vars?: Record<string, string>; tagsList?: string } = {}) {
  const vars = hostVars(opts.vars);
  const lines = Object.entries(vars).map(([k, v]) => `          ${k}: ${v.startsWith('[') ? v : JSON.stringify(v)}`);
  const text = `all:\n  vars:\n    ansible_connection: local\n  children:\n    services:\n      hosts:\n        svc:\n          msh_state_dir: ${join(base, 'state')}\n${lines.join('\n')}\n`;
  const inventory = parseInventory(text, 'test.yml', buildSchema([traefik]));
  const options: RunOptions = {
    inventory: 'test.yml', envFile, check: opts.check ?? false, diff: true, tags: [], skipTags: [], limit: [], verbosity: 0,
    json: false, yes: false, forks: 1, logDir: join(base, 'logs'), extra: {},
  };
  const plans = planRun(inventory, [traefik], loadEnvFile(envFile), options);
  const events: RunEvent[] = [];
  const { exitCode } = await runPlay(plans, { playbook: 'test', checkMode: options.check, diff: true, yes: false, forks: 1 }, (e) => events.push(e));
  const steps = events.filter((e): e is StepEvent => e.type === 'step');
  const failed = steps.filter((s) => s.status === 'failed').map((s) => `${s.title}: ${s.message}`);
  return { exitCode, events, steps, failed, changed: steps.filter((s) => s.status === 'changed').map((s) => s.title), vars: plans[0]!.roles[0]!.vars as TraefikVars };
}

const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

t.before.each(() => {
  base = tempDir('msh-traefik-');
  setup();
});
t.after.each(() => {
  removeTempDir(base);
  clearSecretsForTests();
});

t('--check on a fresh machine says exactly what it would do and changes nothing, not even the CA on the controller', async () => {
  const r = await run({ check: true });
  assert.equal(r.failed, []);
  assert.is(r.exitCode, 0);
  assert.not.ok(existsSync(join(base, 'secrets')), 'no CA made in --check');
  assert.not.ok(existsSync(join(base, 'traefik')), 'nothing written on the host');
  const said = Object.fromEntries(r.steps.map((s) => [s.title, s.message ?? s.status]));
  assert.match(said['Local CA on the controller']!, /^create a local CA on this machine in .*\/secrets\/ca \(mode 0700\): ca\.key \(EC P-256, mode 0600\) and ca\.crt \("media-server-home local CA \(.+\)", 10 years, may sign only names under home\.arpa\)$/);
  assert.match(said['Server certificate on the controller']!, /^issue a certificate for .* \(EC P-256, 397 days\) into .*media-server\.crt, signed by the new CA$/);
  assert.match(said['Server key on the host']!, /^write .*\/certs\/media-server\.key from the key made with the certificate above \(made by an earlier step of this run\)$/);
  assert.match(said['TLS configuration (tls.yml)']!, /from the fingerprint of the certificate issued above/);
  assert.match(said['Dashboard password hash (dashboard-auth.yml)']!, /^create .*dashboard-auth\.yml/);
  assert.is(r.changed.length, r.steps.length - 1, 'everything but the openssl package (installed here) would change');
});

t('converges: files with their modes, then a second run and --check report 0 changed', async () => {
  const first = await run();
  assert.equal(first.failed, []);
  const p = hostPaths(first.vars.traefik_dir);
  for (const f of [p.tlsYml, p.middlewaresYml, p.dashboardYml, p.dashboardAuthYml]) assert.ok(parse(readFileSync(f, 'utf8')), `${f} parses`);
  assert.is(mode(p.key), '600');
  assert.is(mode(p.certs), '700');
  assert.is(mode(p.dashboardAuthYml), '600');
  assert.is(mode(p.cert), '644');
  assert.is(mode(join(base, 'secrets', 'ca')), '700');
  assert.is(mode(join(base, 'secrets', 'ca', 'ca.key')), '600');
  const cert = new X509Certificate(readFileSync(p.cert));
  assert.match(readFileSync(p.tlsYml, 'utf8'), new RegExp(`# certificate SHA-256 ${cert.fingerprint256}`));
  assert.ok(readFileSync(p.caCert).equals(readFileSync(join(base, 'secrets', 'ca', 'media-server-home-ca.crt'))));
  assert.ok(existsSync(join(base, 'secrets', 'ca', 'media-server-home-ca.der')));
  const [user] = basicAuthUsers(readFileSync(p.dashboardAuthYml, 'utf8'));
  assert.ok(apr1Verify(PASSWORD, user!.slice('admin:'.length)));

  const second = await run();
  assert.equal(second.changed, [], 'second run: 0 changed');
  const check = await run({ check: true });
  assert.equal(check.changed, [], '--check after converging: 0 changed');
  assert.is(check.exitCode, 0);
});

t('the private key and the password hash never reach the output; the key is redacted wherever it would appear', async () => {
  const r = await run();
  const key = readFileSync(join(base, 'secrets', 'ca', 'media-server.key'), 'utf8');
  const hash = basicAuthUsers(readFileSync(hostPaths(r.vars.traefik_dir).dashboardAuthYml, 'utf8'))[0]!.split(':')[1]!;
  const everything = JSON.stringify(r.events);
  const body = key.split('\n').filter((l) => l && !l.startsWith('-----'));
  for (const line of body) assert.not.ok(everything.includes(line), 'no line of the key in any event');
  assert.not.ok(everything.includes(hash), 'no password hash in any event');
  assert.not.ok(everything.includes(PASSWORD));
  const keyStep = r.steps.find((s) => s.title === 'Server key on the host')!;
  assert.match(keyStep.diff ?? '', /\(content hidden: holds secrets\)/);
  assert.is(redact(`leak: ${key}`), 'leak: ***');
  assert.is(redact(`one line: ${body[1]!}`), 'one line: ***');
});

t('the password hash is stable; a changed password in .env rewrites only dashboard-auth.yml', async () => {
  await run();
  const p = hostPaths(join(base, 'traefik'));
  const before = readFileSync(p.dashboardAuthYml, 'utf8');
  await run();
  assert.is(readFileSync(p.dashboardAuthYml, 'utf8'), before, 'same password: same salt, same file');
  setup('another-long-password');
  const r = await run();
  assert.equal(r.changed, ['Dashboard password hash (dashboard-auth.yml)']);
  assert.match(r.steps.find((s) => s.status === 'changed')!.message!, /new password hash \(the password in \.env does not match the one on the host\)/);
  assert.ok(apr1Verify('another-long-password', basicAuthUsers(readFileSync(p.dashboardAuthYml, 'utf8'))[0]!.slice(6)));
  assert.equal((await run()).changed, []);
});

t('new names: the certificate is issued again and copied, tls.yml changes with it; the CA stays', async () => {
  await run();
  const ca = readFileSync(join(base, 'secrets', 'ca', 'ca.crt'));
  const names = '["jellyfin", "photos", "grafana", "traefik", "music"]';
  const check = await run({ check: true, vars: { tls_names: names } });
  assert.equal(check.changed, ['Server certificate on the controller', 'Server certificate on the host', 'Server key on the host', 'TLS configuration (tls.yml)']);
  assert.match(check.steps.find((s) => s.title === 'Server certificate on the controller')!.message!, /the names changed \(\+music\.home\.arpa\)/);
  const r = await run({ vars: { tls_names: names } });
  assert.equal(r.changed, check.changed, '--check said exactly what the run did');
  assert.ok(readFileSync(join(base, 'secrets', 'ca', 'ca.crt')).equals(ca));
  assert.match(new X509Certificate(readFileSync(hostPaths(r.vars.traefik_dir).cert)).subjectAltName!, /DNS:music\.home\.arpa/);
});

t('the live HTTPS check passes against a real TLS server with the issued certificate, and fails with another CA', async () => {
  const r = await run();
  const p = hostPaths(r.vars.traefik_dir);
  const https = traefik.verify!(r.vars as Vars).find((c) => c.title.startsWith('HTTPS on 443'))!;
  // openssl s_server on 127.0.0.1:443 stands where Traefik's published port would be.
  const server = spawn('openssl', ['s_server', '-quiet', '-accept', '127.0.0.1:443', '-cert', p.cert, '-key', p.key, '-www'], { stdio: 'ignore' });
  try {
    const conn = new LocalConnector();
    for (let i = 0; i < 50 && (await conn.run('timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/443"')).code !== 0; i++) await new Promise((res) => setTimeout(res, 100));
    assert.is(https.expect(await conn.run(https.script)), undefined);
    // A CA the certificate does not chain to: every name fails, and the message says why.
    writeFileSync(p.caCert, readFileSync('/etc/ssl/certs/ca-certificates.crt'));
    const why = https.expect(await conn.run(https.script));
    assert.match(why ?? '', /FAILED jellyfin\.home\.arpa/);
    assert.match(why ?? '', /curl: \(60\)/);
  } finally {
    server.kill();
  }
});

t('a domain the CA was not made for is refused with the way out', async () => {
  await run();
  const r = await run({ vars: { domain: 'example.lan' } });
  assert.is(r.exitCode, 2);
  assert.match(r.failed[0]!, /may sign only names under the domain it was made for, not jellyfin\.example\.lan, .*: set domain back, or move .* away to make a new CA \(every device must then trust the new one\)/);
});

t('the verify checks pass on the converged files (run here with real openssl)', async () => {
  const r = await run();
  const conn = new LocalConnector();
  const skipped: string[] = [];
  for (const check of traefik.verify!(r.vars as Vars)) {
    if (check.skipUnless && (await conn.run(check.skipUnless.script)).code !== 0) {
      skipped.push(check.title);
      continue;
    }
    const res = await conn.run(check.script);
    assert.is(check.expect(res), undefined, check.title);
  }
  // No Docker here, so no Traefik container: only the live HTTPS check is skipped (the lab runs it against Traefik).
  assert.equal(skipped.map((s) => s.split(' (')[0]), ['HTTPS on 443 verifies with the local CA for jellyfin.home.arpa, photos.home.arpa, grafana.home.arpa, traefik.home.arpa']);
  // And they notice a broken host: a key that is not the certificate's.
  const p = hostPaths(r.vars.traefik_dir);
  writeFileSync(p.key, readFileSync(join(base, 'secrets', 'ca', 'ca.key')));
  const match = traefik.verify!(r.vars as Vars).find((c) => c.title.startsWith('the certificate matches'))!;
  assert.ok(match.expect(await conn.run(match.script)));
});

t('the summary: URLs, DNS records, hosts line, the CA files with their fingerprint and how to trust them', async () => {
  const r = await run();
  const lines = traefikSummary(r.vars);
  const text = lines.join('\n');
  assert.ok(lines.includes('  https://jellyfin.home.arpa'));
  assert.ok(lines.some((l) => l.startsWith('  https://traefik.home.arpa/dashboard/')));
  assert.ok(lines.includes('  photos.home.arpa.  IN  A  192.168.1.20'));
  assert.ok(lines.includes('  192.168.1.20  jellyfin.home.arpa photos.home.arpa grafana.home.arpa traefik.home.arpa'));
  const fp = new X509Certificate(readFileSync(join(base, 'secrets', 'ca', 'ca.crt'))).fingerprint256;
  assert.match(text, new RegExp(`SHA-256 fingerprint ${fp}`));
  for (const os of ['Android:', 'iOS/iPadOS:', 'Windows:', 'macOS:', 'Linux:']) assert.match(text, new RegExp(`^  ${os}`, 'm'));
  assert.match(text, /media-server-home-ca\.der/);
  assert.not.match(text, new RegExp(PASSWORD));
  const before = traefikSummary({ ...r.vars, tls_ca_dir: join(base, 'nowhere'), vm_ip: '' });
  assert.match(before.join('\n'), /Local CA: not made yet/);
  assert.match(before.join('\n'), /jellyfin\.home\.arpa\.  IN  A  <vm_ip>/);
});

t('TRAEFIK_DASHBOARD_PASSWORD is required from .env', () => {
  const inv = parseInventory('all:\n  children:\n    services:\n      hosts:\n        s1:\n', 'inv.yml', buildSchema([traefik]));
  try {
    resolveRoleVars(inv.hosts.get('s1')!, traefik, { file: '.env', exists: true, values: {} });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, InputError);
    assert.match((e as InputError).format(), /TRAEFIK_DASHBOARD_PASSWORD is required by role traefik but is not set/);
  }
});

t.run();
