/**
 * tls_mode acme-dns through role docker-stack: the inventory's ACME keys (shared with role traefik) reach Traefik's
 * static configuration in compose.yml (the resolver's arguments, the storage directory mounted at /acme), the DNS
 * provider's credentials reach the container only as ${NAME} references to the project's .env (which holds the values),
 * and every router names the resolver. With the default tls_mode local-ca none of it appears (the other docker-stack
 * tests check that file byte for byte). No Docker here: the file is checked against the Compose specification's schema.
 */
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { validateCompose as validate } from '../helpers/compose-spec.ts';
import { parse } from 'yaml';
import type { Vars } from '../../lib/api/role.ts';
import { parseDotenv } from '../../lib/compose/dotenv.ts';
import { referencedVariables } from '../../lib/compose/render.ts';
import type { ComposeFile } from '../../lib/compose/types.ts';
import { parseInventory } from '../../lib/inventory/load.ts';
import { resolveRoleVars } from '../../lib/inventory/resolve.ts';
import { buildSchema } from '../../lib/inventory/schema.ts';
import { clearSecretsForTests, registerSecret } from '../../lib/redact.ts';
import { defaults } from '../../roles/docker-stack/defaults.ts';
import { acmeStorageFile } from '../../roles/docker-stack/directories.ts';
import type { HostGpu } from '../../roles/docker-stack/host.ts';
import { dockerStack } from '../../roles/docker-stack/index.ts';
import { renderEnv, renderStack } from '../../roles/docker-stack/model.ts';
import type { V } from '../../roles/docker-stack/settings.ts';
import { monitoring } from '../../roles/monitoring/index.ts';
import { acmeStaticArgs } from '../../roles/traefik/acme.ts';
import { traefik } from '../../roles/traefik/index.ts';
import { check, conn, removeTempDir, runStep, tempDir } from '../helpers/steps.ts';

const t = suite('docker-stack: tls_mode acme-dns');
const root = tempDir('msh-stack-acme-');

const NO_GPU: HostGpu = { renderNode: false, renderGid: undefined };
/** What the role gets once the inventory's "${CF_DNS_API_TOKEN}" is resolved from the controller's .env. */
const TOKEN = 'cf-token-from-the-env-file';
const ACME = {
  tls_mode: 'acme-dns',
  domain: 'home.example.com',
  acme_email: 'me@example.com',
  acme_dns_provider: 'cloudflare',
  acme_dns_env: { CF_DNS_API_TOKEN: TOKEN },
};
const vars = (over: Partial<V> = {}): V => ({ ...defaults, ...ACME, ...over });
const text = (v: V = vars()) => renderStack(v, NO_GPU, 'services');
const load = (v: V = vars()) => parse(text(v)) as ComposeFile;

t.before.each(() => clearSecretsForTests());
t.after(() => {
  clearSecretsForTests();
  removeTempDir(root);
});

t('the file is valid against the Compose specification schema', () => {
  assert.ok(validate(load()), JSON.stringify(validate.errors));
});

t("Traefik's command: the static configuration, then the resolver's arguments (e-mail, DNS-01 provider, storage on /acme)", () => {
  const args = load().services['traefik']!.command!;
  const acme = acmeStaticArgs({ email: 'me@example.com', provider: 'cloudflare', domain: 'home.example.com' });
  assert.equal(args.slice(-acme.length), acme, 'role traefik\'s acmeStaticArgs, as it renders them');
  for (const flag of [
    '--certificatesresolvers.acme.acme.email=me@example.com',
    '--certificatesresolvers.acme.acme.dnschallenge.provider=cloudflare',
    '--certificatesresolvers.acme.acme.storage=/acme/acme.json',
    '--entrypoints.websecure.http.tls.certresolver=acme',
    '--entrypoints.websecure.http.tls.domains[0].main=home.example.com',
    '--entrypoints.websecure.http.tls.domains[0].sans=*.home.example.com',
  ]) {
    assert.ok(args.includes(flag), flag);
  }
  assert.ok(args.includes('--entryPoints.websecure.address=:443'), 'the rest of the static configuration is still there');
  assert.not.ok(args.some((a) => a.includes('caserver')), "Let's Encrypt's production server (no staging)");
});

t('the ACME directory is mounted read-write at /acme; the other mounts are unchanged', () => {
  const mounts = load().services['traefik']!.volumes!;
  assert.equal(mounts, [
    { type: 'bind', source: '/var/run/docker.sock', target: '/var/run/docker.sock', read_only: true },
    { type: 'bind', source: '/mnt/tank/appdata/traefik/dynamic', target: '/etc/traefik/dynamic', read_only: true },
    { type: 'bind', source: '/mnt/tank/appdata/traefik/certs', target: '/certs', read_only: true },
    { type: 'bind', source: '/mnt/tank/appdata/traefik/logs', target: '/logs' },
    { type: 'bind', source: '/mnt/tank/appdata/traefik/acme', target: '/acme' },
  ]);
  assert.is(load(vars({ traefik_dir: '/srv/traefik' })).services['traefik']!.volumes!.at(-1)!.source, '/srv/traefik/acme');
});

t("the credentials: references to the project's .env in compose.yml, their values only in the .env", () => {
  const v = vars({ acme_dns_env: { CF_DNS_API_TOKEN: TOKEN, CF_ZONE_API_TOKEN: 'zone-token-value' } });
  const compose = text(v);
  assert.equal((parse(compose) as ComposeFile).services['traefik']!.environment, { CF_DNS_API_TOKEN: '${CF_DNS_API_TOKEN}', CF_ZONE_API_TOKEN: '${CF_ZONE_API_TOKEN}' });
  assert.not.ok(compose.includes(TOKEN), 'the token is never in compose.yml');
  assert.not.ok(compose.includes('zone-token-value'));
  const envText = renderEnv(v, 'A'.repeat(32));
  const env = parseDotenv(envText);
  assert.is(env['CF_DNS_API_TOKEN'], TOKEN);
  assert.is(env['CF_ZONE_API_TOKEN'], 'zone-token-value');
  assert.is(env['DB_PASSWORD'], 'A'.repeat(32), 'the database password stays');
  for (const name of referencedVariables(compose)) assert.ok(env[name], `${name} is set in .env`);
  assert.match(envText, /^# CF_DNS_API_TOKEN, CF_ZONE_API_TOKEN: the DNS provider's credentials for Traefik/m);
  assert.ok(envText.endsWith('DB_PASSWORD=' + 'A'.repeat(32) + '\nCF_DNS_API_TOKEN=' + TOKEN + '\nCF_ZONE_API_TOKEN=zone-token-value\n'), 'after the project\'s own variables');
  assert.is(parseDotenv(renderEnv(vars({ acme_dns_env: { CF_DNS_API_TOKEN: 'a b$c' } }), 'A'.repeat(32)))['CF_DNS_API_TOKEN'], 'a b$c', 'quoted: Compose takes it literally');
  for (const service of Object.values((parse(compose) as ComposeFile).services)) {
    if (service.container_name !== 'traefik') assert.not.ok(service.environment && 'CF_DNS_API_TOKEN' in service.environment, 'only Traefik gets the credentials');
  }
});

t('every router names the resolver and the one wildcard certificate', () => {
  const f = load();
  for (const [service, router] of [['jellyfin', 'jellyfin'], ['immich-server', 'immich'], ['grafana', 'grafana']] as const) {
    const labels = f.services[service]!.labels!;
    const r = `traefik.http.routers.${router}`;
    assert.is(labels[`${r}.tls`], 'true', service);
    assert.is(labels[`${r}.tls.certresolver`], 'acme', service);
    assert.is(labels[`${r}.tls.domains[0].main`], 'home.example.com', service);
    assert.is(labels[`${r}.tls.domains[0].sans`], '*.home.example.com', service);
    assert.is(labels[`${r}.middlewares`], 'security-headers@file', service);
  }
});

t('with tls_mode local-ca: no resolver, no credentials, no /acme mount, no certresolver label', () => {
  const v = vars({ tls_mode: 'local-ca', domain: 'home.arpa' });
  const compose = text(v);
  const f = parse(compose) as ComposeFile;
  assert.not.match(compose, /certresolver|certificatesresolvers|\/acme|CF_DNS_API_TOKEN/i);
  assert.is(f.services['traefik']!.environment, undefined);
  assert.not.ok(renderEnv(v, 'A'.repeat(32)).includes(TOKEN), 'the credentials are not copied when ACME is off');
  assert.is(compose, renderStack({ ...defaults }, NO_GPU, 'services'), 'ACME keys set but unused change nothing');
});

t('validation: the ACME checks of role traefik, plus what the .env of the project cannot take; values never quoted', () => {
  const bad = (over: Vars) => dockerStack.validate?.({ ...dockerStack.defaults, ...ACME, ...over });
  assert.equal(bad({ tls_mode: 'letsencrypt' })!.key, 'tls_mode');
  assert.match(bad({ domain: 'home.arpa' })!.message, /no public CA issues certificates for home\.arpa/);
  assert.equal(bad({ acme_email: '' })!.key, 'acme_email');
  assert.equal(bad({ acme_dns_provider: '' })!.key, 'acme_dns_provider');
  assert.match(bad({ acme_dns_env: {} })!.message, /credentials/);
  assert.match(bad({})!.message, /CF_DNS_API_TOKEN is not taken from \.env/, 'a value typed into the inventory is refused');
  registerSecret(TOKEN);
  assert.is(bad({}), undefined);
  for (const name of ['DB_PASSWORD', 'COMPOSE_PROFILES', 'COMPOSE_FILE', 'DOCKER_HOST']) {
    const p = bad({ acme_dns_env: { [name]: TOKEN } });
    assert.is(p?.key, 'acme_dns_env', name);
    assert.match(p!.message, new RegExp(`^${name} cannot be passed to Traefik`));
  }
  registerSecret("it's-a-token");
  const quote = bad({ acme_dns_env: { CF_DNS_API_TOKEN: "it's-a-token" } })!;
  assert.match(quote.message, /the value of CF_DNS_API_TOKEN has a quote or a line break/);
  assert.not.match(quote.message + quote.fix, /it's-a-token/);
  assert.is(dockerStack.validate?.({ ...dockerStack.defaults, tls_mode: 'local-ca', acme_dns_env: { DB_PASSWORD: 'x' } }), undefined, 'unused with local-ca');
});

t('from the inventory: docker-stack, traefik and monitoring read the same keys; the secret comes from .env', () => {
  const inv = parseInventory(
    [
      'all:',
      '  children:',
      '    services:',
      '      hosts:',
      '        vm:',
      '      vars:',
      '        tls_mode: acme-dns',
      '        domain: home.example.com',
      '        acme_email: me@example.com',
      '        acme_dns_provider: cloudflare',
      '        acme_dns_env: {CF_DNS_API_TOKEN: "${CF_DNS_API_TOKEN}"}',
    ].join('\n'),
    'hosts.yml',
    buildSchema([dockerStack, traefik, monitoring]),
  );
  registerSecret(TOKEN); // loadEnvFile registers every value of .env
  const env = { file: '.env', exists: true, values: { CF_DNS_API_TOKEN: TOKEN, TRAEFIK_DASHBOARD_PASSWORD: 'a-long-enough-password', GRAFANA_ADMIN_PASSWORD: 'a-long-enough-password' } };
  const host = inv.hosts.get('vm')!;
  const stack = resolveRoleVars(host, dockerStack, env) as unknown as V;
  assert.equal(stack.acme_dns_env, { CF_DNS_API_TOKEN: TOKEN });
  assert.is(dockerStack.validate?.(stack as unknown as Vars), undefined);
  const tr = resolveRoleVars(host, traefik, env);
  for (const key of ['tls_mode', 'domain', 'acme_email', 'acme_dns_provider', 'acme_dns_env']) assert.equal(tr[key], (stack as unknown as Vars)[key], key);
  assert.is(resolveRoleVars(host, monitoring, env)['tls_mode'], 'acme-dns', 'monitoring reads docker-stack\'s keys');
  assert.equal(load(stack).services['traefik']!.environment, { CF_DNS_API_TOKEN: '${CF_DNS_API_TOKEN}' });
  for (const key of ['tls_mode', 'acme_email', 'acme_dns_provider', 'acme_dns_env'] as const) {
    assert.equal(dockerStack.defaults[key], traefik.defaults[key], `${key}: the same default as role traefik`);
    assert.equal(dockerStack.docs[key], traefik.docs[key], `${key}: the same description as role traefik`);
  }
});

t('steps: the ACME directory and acme.json only with acme-dns, before the .env and compose.yml', () => {
  const titles = (v: V) => dockerStack.steps(v as unknown as Vars, {}).map((s) => s.title);
  const acme = titles(vars());
  const at = acme.indexOf("Traefik's ACME directory (root, 0700)");
  assert.ok(at > 0);
  assert.is(acme[at + 1], "Traefik's ACME storage /mnt/tank/appdata/traefik/acme/acme.json (0600)");
  assert.ok(at + 1 < acme.indexOf('Compose .env with the database password (/mnt/tank/appdata/compose/.env, 0600)'));
  assert.not.ok(titles({ ...defaults }).some((s) => s.includes('ACME')));
  const noProxy = dockerStack.steps({ ...vars(), stack_profiles: ['media'] } as unknown as Vars, {}).find((s) => s.title.startsWith("Traefik's ACME storage"))!;
  assert.is(noProxy.when!({} as never), 'part proxy is not in stack_profiles');
});

t('acme.json for real: created empty at 0600, a looser mode narrowed with the content kept, then nothing to do', async () => {
  const dir = join(root, 'acme');
  mkdirSync(dir);
  const path = join(dir, 'acme.json');
  const first = await runStep(acmeStorageFile(path));
  assert.match(first.change!.summary, /create .*acme\.json, empty, mode 0600/);
  assert.is(statSync(path).mode & 0o777, 0o600);
  assert.is(readFileSync(path, 'utf8'), '');
  writeFileSync(path, '{"acme":{}}');
  chmodSync(path, 0o644);
  const fix = await runStep(acmeStorageFile(path));
  assert.is(fix.change!.summary, `update ${path}: mode 0644 → 0600 (Traefik refuses a looser acme.json)`);
  assert.is(statSync(path).mode & 0o777, 0o600);
  assert.is(readFileSync(path, 'utf8'), '{"acme":{}}', 'Traefik\'s account and certificates are kept');
  assert.is(await check(acmeStorageFile(path)), null);
  const notFile = join(root, 'acme-dir.json');
  mkdirSync(notFile);
  try {
    await check(acmeStorageFile(notFile));
    assert.unreachable('a directory in its place is refused');
  } catch (e) {
    assert.match((e as Error).message, /exists and is not a regular file/);
  }
});

t('verify: acme.json 0600 and the credentials in the container, by name only', () => {
  const checks = dockerStack.verify!(vars() as unknown as Vars);
  const store = checks.find((c) => c.title === '/mnt/tank/appdata/traefik/acme/acme.json is mode 0600')!;
  assert.ok(store);
  assert.is(store.expect({ code: 0, stdout: '600\n', stderr: '' }), undefined);
  assert.ok(store.expect({ code: 0, stdout: '644\n', stderr: '' }));
  const creds = checks.find((c) => c.title.startsWith("Traefik's container has the DNS provider's credentials CF_DNS_API_TOKEN"))!;
  assert.ok(creds);
  assert.not.match(creds.script, new RegExp(TOKEN));
  assert.is(creds.expect({ code: 0, stdout: 'PATH\nCF_DNS_API_TOKEN\n', stderr: '' }), undefined);
  assert.is(creds.expect({ code: 0, stdout: 'PATH\n', stderr: '' }), 'not set or empty in the container: CF_DNS_API_TOKEN');
  const none = dockerStack.verify!({ ...defaults } as unknown as Vars).map((c) => c.title);
  assert.not.ok(none.some((c) => /acme|credentials/i.test(c)), 'local-ca: no ACME checks');
});

t('verify: the credentials script prints names, never values (run here on a fake docker inspect output)', async () => {
  const creds = dockerStack.verify!(vars() as unknown as Vars).find((c) => c.title.startsWith("Traefik's container has"))!;
  const bin = join(root, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'docker'), `#!/bin/sh\nprintf 'PATH=/usr/bin\\nCF_DNS_API_TOKEN=${TOKEN}\\nEMPTY=\\n'\n`, { mode: 0o755 });
  const r = await conn.run(`PATH=${bin}:$PATH\n${creds.script}`);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.stdout.split('\n').filter(Boolean), ['PATH', 'CF_DNS_API_TOKEN']);
  assert.not.match(r.stdout, new RegExp(TOKEN));
  assert.is(creds.expect(r), undefined);
});

t.run();
