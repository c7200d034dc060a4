/**
 * How the docker-stack role decides what a deploy must do and waits for health, on `docker compose ps`, `config --hash`
 * and `docker ps` outputs. This machine has no Docker, so the outputs are HAND-WRITTEN fixtures in the documented
 * formats (test/fixtures/docker-stack/README.md says from which docs), to be re-recorded in the lab; where a running
 * engine is needed (the health wait), a TEST DOUBLE answers the commands from those fixtures.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { StepContext } from '../../lib/api/step.ts';
import type { RunResult } from '../../lib/connectors/connector.ts';
import { CONFIG_HASH_LABEL, parseComposePs, parseConfigHashes, parseLabels } from '../../lib/compose/ps.ts';
import { clearSecretsForTests, containsSecret } from '../../lib/redact.ts';
import { defaults } from '../../roles/docker-stack/defaults.ts';
import { deployDecision, type Observed } from '../../roles/docker-stack/deploy-decision.ts';
import { deployStep, engineStep, pullStep } from '../../roles/docker-stack/deploy.ts';
import { notReady, waitHealthy } from '../../roles/docker-stack/health.ts';
import { DOCKER_STACK_PARTS, MONITORING_PARTS, wantedServices } from '../../roles/docker-stack/services.ts';
import type { V } from '../../roles/docker-stack/settings.ts';
import { publishingProblems } from '../../roles/docker-stack/verify.ts';
import { removeTempDir, sh, tempDir } from '../helpers/steps.ts';

const t = suite('docker-stack: deploy decision and health wait');
const fixture = (name: string) => readFileSync(new URL(`../fixtures/docker-stack/${name}`, import.meta.url), 'utf8');
const v: V = { ...defaults };
const ALL = ['traefik', 'jellyfin', 'immich-postgres', 'immich-valkey', 'immich-machine-learning', 'immich-server'];

function imageIds(): Map<string, string> {
  return new Map(fixture('image-ids.txt').trim().split('\n').map((l) => l.split(' ') as [string, string]));
}
const observed = (ps: string, hashes = 'config-hash-all.txt'): Observed => ({
  containers: parseComposePs(fixture(ps)),
  hashes: parseConfigHashes(fixture(hashes)),
  imageIds: imageIds(),
});
const ctx = { host: 'services', log: () => undefined } as unknown as StepContext;

/** The deploy step's probe output as the host would print it, built from fixtures. */
function probeOutput(ps: string, hashes = 'config-hash-all.txt', password = 'Pw0rdFromTheHostsEnvFile1234567x'): string {
  const images = [...imageIds()].map(([ref, id]) => `@@image ${ref}\n${id}`).join('\n');
  return `@@password ${password}\n@@ps\n${fixture(ps)}@@ps-rc 0\n@@hash\n${fixture(hashes)}@@hash-rc 0\n${images}\n`;
}

t('ps JSON lines (Compose ≥ 2.21): every field the decision reads, labels from the k=v string', () => {
  const cs = parseComposePs(fixture('ps-converged.jsonl'));
  assert.equal(cs.map((c) => c.service), ALL);
  const traefik = cs[0]!;
  assert.is(traefik.name, 'traefik');
  assert.is(traefik.state, 'running');
  assert.is(traefik.health, 'healthy');
  assert.is(traefik.labels[CONFIG_HASH_LABEL], parseConfigHashes(fixture('config-hash-all.txt')).get('traefik'));
  assert.equal(traefik.publishers.filter((p) => p.publishedPort > 0).map((p) => `${p.url}:${p.publishedPort}`), ['0.0.0.0:80', ':::80', '0.0.0.0:443', ':::443']);
  const server = cs.find((c) => c.service === 'immich-server')!;
  assert.is(server.labels['com.docker.compose.depends_on'], 'immich-postgres:service_healthy:false,immich-valkey:service_healthy:false', 'a value with commas stays whole');
});

t('ps JSON array (Compose < 2.21, the example of the docs), empty output, and garbage', () => {
  const cs = parseComposePs(fixture('ps-docs-array.json'));
  assert.equal(
    cs.map((c) => [c.name, c.service, c.state, c.health, c.exitCode]),
    [
      ['example-bar-1', 'bar', 'exited', '', 0],
      ['example-foo-1', 'foo', 'running', '', 0],
    ],
  );
  assert.equal(cs[0]!.labels, {}, 'no labels in that format');
  assert.equal(parseComposePs(''), []);
  assert.equal(parseComposePs('[]'), []);
  assert.throws(() => parseComposePs('service "x" has neither an image nor a build context'), /not JSON: service "x"/);
  assert.equal(parseLabels({ a: 'b' }), { a: 'b' }, 'an object is taken as is');
  assert.is(parseConfigHashes(fixture('config-hash-media-proxy.txt')).size, 2);
});

t('converged stack: nothing to do, so a rerun reports 0 changed', async () => {
  assert.equal(deployDecision(wantedServices(v, DOCKER_STACK_PARTS), observed('ps-converged.jsonl')), { up: [], remove: [], notHealthy: [] });
  const step = deployStep(v);
  assert.is(await step.check(ctx, { stdout: probeOutput('ps-converged.jsonl'), code: 0 }), null);
});

t('drift: a missing, an exited, a reconfigured and a re-imaged container need up; a starting one needs waiting', () => {
  const d = deployDecision(wantedServices(v, DOCKER_STACK_PARTS), observed('ps-drift.jsonl'));
  assert.equal(d.up, ['jellyfin: configuration changed', 'immich-valkey: no container', 'immich-machine-learning: image changed', 'immich-server: exited']);
  assert.equal(d.notHealthy, [{ name: 'immich_postgres', health: 'starting' }]);
  assert.equal(d.remove, []);
});

t('the step says the exact commands it would run, in check mode too', async () => {
  const change = await deployStep(v).check(ctx, { stdout: probeOutput('ps-drift.jsonl'), code: 0 });
  assert.is(
    change!.summary,
    'cd /mnt/tank/appdata/compose && docker compose up -d --remove-orphans traefik jellyfin immich-postgres immich-valkey immich-machine-learning immich-server (jellyfin: configuration changed; immich-valkey: no container; immich-machine-learning: image changed; immich-server: exited); then wait up to 300s until every container is healthy: immich_postgres is starting',
  );
});

t('a part left out of stack_profiles: its containers are stopped and removed (compose keeps them otherwise)', async () => {
  const media = { ...v, stack_profiles: ['media', 'proxy'] };
  const d = deployDecision(wantedServices(media, DOCKER_STACK_PARTS), observed('ps-converged.jsonl', 'config-hash-media-proxy.txt'));
  assert.equal(d.remove, ['immich_postgres', 'immich_valkey', 'immich_machine_learning', 'immich_server']);
  assert.equal(d.up, []);
  const change = await deployStep(media).check(ctx, { stdout: probeOutput('ps-converged.jsonl', 'config-hash-media-proxy.txt'), code: 0 });
  assert.match(
    change!.summary,
    /^docker stop -t 30 immich_postgres immich_valkey immich_machine_learning immich_server && docker rm immich_postgres immich_valkey immich_machine_learning immich_server \(not in stack_profiles\); then wait/,
  );
});

t('the monitoring part: docker-stack neither starts nor removes its containers; the monitoring deploy starts only them', async () => {
  const base = observed('ps-converged.jsonl');
  const prom = { ...base.containers[0]!, name: 'prometheus', service: 'prometheus', labels: { [CONFIG_HASH_LABEL]: 'h-prom' } };
  const withProm: Observed = { ...base, containers: [...base.containers, prom], hashes: new Map([...base.hashes, ['prometheus', 'h-prom']]) };
  const keep = new Set(['prometheus', 'grafana', 'cadvisor', 'node-exporter', 'postgres-exporter']);
  assert.equal(deployDecision(wantedServices(v, DOCKER_STACK_PARTS), withProm, keep), { up: [], remove: [], notHealthy: [] });
  assert.equal(deployDecision(wantedServices(v, DOCKER_STACK_PARTS), withProm).remove, ['prometheus'], 'monitoring left out of stack_profiles: removed');
  assert.equal(
    wantedServices(v, MONITORING_PARTS).map((w) => w.service),
    ['prometheus', 'grafana', 'cadvisor', 'node-exporter', 'postgres-exporter'],
  );
  assert.equal(wantedServices({ ...v, stack_profiles: ['media', 'monitoring'] }, MONITORING_PARTS).map((w) => w.service), ['prometheus', 'grafana', 'cadvisor', 'node-exporter'], 'postgres-exporter only with photos');
  const monitoringDeploy = deployStep(v, undefined, MONITORING_PARTS, 'Monitoring up and healthy');
  assert.is(monitoringDeploy.title, 'Monitoring up and healthy');
  const change = await monitoringDeploy.check({ ...ctx, checkMode: true } as StepContext, { stdout: probeOutput('ps-converged.jsonl').replace('@@hash-rc 0', `${[...keep].map((k) => `${k} ${"0".repeat(64)}`).join('\n')}\n@@hash-rc 0`), code: 0 });
  assert.match(change!.summary, /^cd \/mnt\/tank\/appdata\/compose && docker compose up -d --remove-orphans prometheus grafana cadvisor node-exporter postgres-exporter \(prometheus: no container/);
  assert.not.match(change!.summary, /docker stop/, 'the other parts are kept');
});

t('.env and stack_profiles out of step: a clear error instead of a wrong decision', () => {
  assert.throws(() => deployDecision(wantedServices(v, DOCKER_STACK_PARTS), observed('ps-converged.jsonl', 'config-hash-media-proxy.txt')), /does not list the service immich-postgres: COMPOSE_PROFILES in the project's \.env does not match stack_profiles/);
});

t('a running but unhealthy container is waited for (and fails there with its logs), not recreated', async () => {
  const d = deployDecision(wantedServices(v, DOCKER_STACK_PARTS), observed('ps-unhealthy.jsonl'));
  assert.equal(d, { up: [], remove: [], notHealthy: [{ name: 'immich_server', health: 'unhealthy' }] });
  const change = await deployStep(v).check(ctx, { stdout: probeOutput('ps-unhealthy.jsonl'), code: 0 });
  assert.is(change!.summary, 'wait up to 300s until every container is healthy: immich_server is unhealthy');
});

t("the password in the host's .env is registered before the check can print anything", async () => {
  clearSecretsForTests();
  const pw = 'Zq8vK2mN4pR6sT1uW3xY5zA7bC9dE0fG';
  await deployStep(v).check(ctx, { stdout: probeOutput('ps-converged.jsonl', 'config-hash-all.txt', pw), code: 0 });
  assert.ok(containsSecret(`log line with ${pw}`));
  clearSecretsForTests();
});

t('stack_pull false and an image missing: a clear error naming it and the fix', async () => {
  const noPull = { ...v, stack_pull: false, images: { ...v.images, jellyfin: 'msh-lab/jellyfin:standin' } };
  const err = await Promise.resolve()
    .then(() => deployStep(noPull).check(ctx, { stdout: probeOutput('ps-converged.jsonl'), code: 0 }))
    .then(
    () => '',
    (e: Error) => e.message,
  );
  assert.is(err, 'msh-lab/jellyfin:standin (jellyfin) is not on services and stack_pull is false: load it (docker load -i <file>) or set stack_pull: true');
});

t('pull: only the services whose image is missing, as the exact command; skipped when stack_pull is false', async () => {
  const own = { ...v, images: { ...v.images, jellyfin: 'jellyfin/jellyfin:10.11.12' } };
  const present = [...imageIds()].map(([ref, id]) => `@@image ${ref}\n${id}`).join('\n');
  const step = pullStep(own);
  assert.is((await step.check(ctx, { stdout: `${present}\n@@image jellyfin/jellyfin:10.11.12\n`, code: 0 }))!.summary, 'cd /mnt/tank/appdata/compose && docker compose pull jellyfin');
  assert.is(await pullStep(v).check(ctx, { stdout: present, code: 0 }), null);
  assert.is(pullStep({ ...v, stack_pull: false }).when!({} as never), 'stack_pull is false (the images must already be on the host)');
});

t('engine check: clear errors for no docker, a stopped daemon, old versions; quiet when all is there', () => {
  const step = engineStep();
  const run = (stdout: string) => () => step.check(ctx, { stdout, code: 0 });
  assert.throws(run('@@missing docker\n'), /docker is not installed on services: run the vm-services role first/);
  assert.throws(run('@@engine Cannot connect to the Docker daemon at unix:///var/run/docker.sock\n@@compose 2.26.1\n'), /the Docker daemon on services does not answer \(Cannot connect/);
  assert.throws(run('@@engine 20.10.24+dfsg1\n@@compose 2.26.1\n'), /Docker Engine 20\.10\.24\+dfsg1 on services is older than 25/);
  assert.throws(run("@@engine 26.1.5+dfsg1\n@@compose docker: 'compose' is not a docker command.\n"), /Docker Compose v2 \(`docker compose`\) is not available/);
  assert.throws(run('@@engine 26.1.5+dfsg1\n@@compose 2.20.2\n'), /Docker Compose 2\.20\.2 on services is older than 2\.24/);
  assert.is(run('@@engine 26.1.5+dfsg1\n@@compose 2.26.1\n')(), null);
  assert.is(run('@@engine 29.0.1\n@@compose v2.40.3\n')(), null);
});

t('engine check: the real probe on this machine, which has no Docker daemon (at most the docker client)', async () => {
  const step = engineStep();
  const res = await sh(`(\n${step.probe}\n)`);
  const verdict = () => step.check(ctx, { stdout: res.stdout, code: res.code });
  if (res.stdout.startsWith('@@missing docker')) assert.throws(verdict, /docker is not installed on services/);
  else assert.throws(verdict, /the Docker daemon on services does not answer \(Cannot connect to the Docker daemon at unix:\/\/\/var\/run\/docker\.sock/);
});

/**
 * TEST DOUBLE of the docker command for the deploy step's real probe script: a shell script on PATH answering
 * `compose ps`, `compose config --hash` and `image inspect` from the fixtures (with a warning on stderr, as Compose
 * prints them), so the probe's shell and its parsing are tested together.
 */
async function runDeployProbe(opts: { failPs?: boolean } = {}) {
  const dir = tempDir('msh-stack-probe-');
  const fix = fileURLToPath(new URL('../fixtures/docker-stack/', import.meta.url));
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'compose'));
  writeFileSync(join(dir, 'compose/.env'), 'COMPOSE_PROFILES=media,photos,proxy\nDB_PASSWORD=Hq3kP9sVx2LmN7bR4tYw8zC1dF6gJ0aE\n');
  writeFileSync(
    join(dir, 'bin/docker'),
    [
      '#!/bin/sh',
      `F=${fix}`,
      'case "$*" in',
      `  "compose ps --all --format json") ${opts.failPs ? 'echo "no configuration file provided: not found" >&2; exit 14' : 'echo "WARN[0000] a warning Compose prints on stderr" >&2; cat "$F/ps-converged.jsonl"'};;`,
      '  "compose config --hash *") cat "$F/config-hash-all.txt";;',
      '  "image inspect --format {{.Id}} "*) ref=$(echo "$*" | cut -d" " -f5); grep -F "$ref " "$F/image-ids.txt" | cut -d" " -f2 | grep . || exit 1;;',
      '  *) echo "test double: unexpected docker $*" >&2; exit 99;;',
      'esac',
      '',
    ].join('\n'),
  );
  chmodSync(join(dir, 'bin/docker'), 0o755);
  const step = deployStep({ ...v, compose_dir: join(dir, 'compose') });
  const res = await sh(`PATH=${join(dir, 'bin')}:$PATH\n(\n${step.probe}\n)`);
  removeTempDir(dir);
  return { step, res };
}

t("the deploy probe's own shell against a docker test double: converged gives no change; a failure is named", async () => {
  clearSecretsForTests();
  const ok = await runDeployProbe();
  assert.not.match(ok.res.stdout, /WARN/, "Compose's warnings stay out of the JSON");
  assert.match(ok.res.stdout, /^@@image traefik:v3\.7\.13\nsha256:[0-9a-f]{64}$/m, 'image IDs read');
  assert.is(await deployStep({ ...v, stack_pull: false }).check(ctx, { stdout: ok.res.stdout, code: ok.res.code }), null, 'every image present, even for stack_pull false');
  assert.is(await ok.step.check(ctx, { stdout: ok.res.stdout, code: ok.res.code }), null);
  assert.ok(containsSecret('Hq3kP9sVx2LmN7bR4tYw8zC1dF6gJ0aE'), "the password in the project's .env was registered");
  clearSecretsForTests();
  const bad = await runDeployProbe({ failPs: true });
  assert.throws(() => bad.step.check(ctx, { stdout: bad.res.stdout, code: bad.res.code }), /docker compose ps failed in .*\/compose: no configuration file provided: not found/);
});

/** TEST DOUBLE of the host's docker: answers `docker compose ps` from a list of fixtures, one per poll, and `docker logs`. */
function fakeDocker(psFixtures: string[]) {
  const calls: string[] = [];
  let poll = 0;
  const run = async (script: string): Promise<RunResult> => {
    calls.push(script);
    if (script.includes('docker compose ps')) return { code: 0, stdout: fixture(psFixtures[Math.min(poll++, psFixtures.length - 1)]!), stderr: '' };
    if (script.startsWith('docker logs')) return { code: 0, stdout: 'Error: connect ECONNREFUSED 172.18.0.3:5432\n    at TCPConnectWrap.afterConnect\n', stderr: '' };
    return { code: 127, stdout: '', stderr: `unexpected: ${script}` };
  };
  return { run, calls };
}

t('health wait: polls until every container is healthy, logging what it waits for', async () => {
  const docker = fakeDocker(['ps-starting.jsonl', 'ps-starting.jsonl', 'ps-converged.jsonl']);
  const logs: string[] = [];
  let clock = 0;
  await waitHealthy(docker.run, { dir: '/mnt/tank/appdata/compose', services: ALL, timeoutMs: 300_000, intervalMs: 5000, log: (m) => logs.push(m), sleep: async (ms) => void (clock += ms), now: () => clock });
  assert.is(docker.calls.length, 3);
  assert.is(docker.calls[0], 'cd /mnt/tank/appdata/compose && docker compose ps --all --format json');
  assert.equal(logs, ['waiting: immich_server is starting'], 'said once, not at every poll');
});

t('health wait: past the timeout it fails naming the container, with its last 20 log lines', async () => {
  const docker = fakeDocker(['ps-unhealthy.jsonl']);
  let clock = 0;
  const err = await waitHealthy(docker.run, { dir: '/d', services: ALL, timeoutMs: 30_000, intervalMs: 5000, log: () => undefined, sleep: async (ms) => void (clock += ms), now: () => clock }).then(
    () => '',
    (e: Error) => e.message,
  );
  assert.ok(docker.calls.includes('docker logs --tail 20 immich_server 2>&1'));
  assert.match(err, /^container immich_server \(service immich-server\) is unhealthy after 30s; its last 20 log lines:\nError: connect ECONNREFUSED 172\.18\.0\.3:5432\n {4}at TCPConnectWrap\.afterConnect\n\(fix the cause, then run again; docker logs immich_server shows more\)$/);
  assert.is(docker.calls.filter((c) => c.includes('compose ps')).length, 7, 'polled every 5 s for 30 s');
});

t('not ready: missing, exited (with its exit code), unhealthy; no healthcheck counts as ready when running', () => {
  const cs = parseComposePs(fixture('ps-drift.jsonl'));
  assert.equal(
    notReady(ALL, cs).map((p) => `${p.name} ${p.why}`),
    ['immich_postgres is starting', 'immich-valkey has no container', 'immich_server is exited (exit code 137)'],
  );
  assert.equal(notReady(['foo'], parseComposePs(fixture('ps-docs-array.json'))), [], 'running without healthcheck');
});

t('verify: only Traefik publishes, only 80/443 on every address', () => {
  assert.equal(publishingProblems(fixture('docker-ps-ports.txt'), true), []);
  assert.equal(publishingProblems(fixture('docker-ps-ports-leak.txt'), true), ['jellyfin publishes 0.0.0.0:8096', 'jellyfin publishes [::]:8096', 'immich_postgres publishes 127.0.0.1:5432']);
  assert.equal(publishingProblems('jellyfin\t8096/tcp\n', true), ['traefik does not publish 0.0.0.0:80', 'traefik does not publish 0.0.0.0:443']);
  assert.equal(publishingProblems('jellyfin\t8096/tcp\n', false), [], 'without the proxy part nothing is published at all');
  assert.equal(publishingProblems('traefik\t:::80->80/tcp, :::443->443/tcp\n', true), [], "older Docker's IPv6 notation");
});

t.run();
