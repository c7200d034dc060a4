/**
 * The docker-stack role's compose.yml: rendered from the typed model, read back with the yaml parser, checked for the
 * project's rules (pinned images, only Traefik publishing, internal backend, labels, healthchecks, profiles) and
 * validated against the Compose specification's JSON schema (test/fixtures/compose-spec/, see its README) with ajv.
 * The real `docker compose config` validates the same file in the lab; this machine has no Docker.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { validateCompose as validate } from '../helpers/compose-spec.ts';
import { parse } from 'yaml';
import { parseImageRef, unpinnedReason } from '../../lib/compose/image-ref.ts';
import { envRef, referencedVariables, renderCompose } from '../../lib/compose/render.ts';
import type { ComposeFile, ComposeService } from '../../lib/compose/types.ts';
import { parseDotenv } from '../../lib/compose/dotenv.ts';
import { defaults } from '../../roles/docker-stack/defaults.ts';
import { parseGpu, type HostGpu } from '../../roles/docker-stack/host.ts';
import { renderEnv, renderStack } from '../../roles/docker-stack/model.ts';
import { traefikArgs, traefikStaticConfig } from '../../roles/docker-stack/templates/traefik.ts';
import type { V } from '../../roles/docker-stack/settings.ts';

const t = suite('docker-stack: compose.yml');

const NO_GPU: HostGpu = { renderNode: false, renderGid: undefined };
const IGPU: HostGpu = { renderNode: true, renderGid: 993 };
const vars = (over: Partial<V> = {}): V => ({ ...defaults, ...over });
const load = (v: V = vars(), gpu: HostGpu = IGPU) => parse(renderStack(v, gpu, 'services')) as ComposeFile;
const services = (f: ComposeFile) => Object.entries(f.services) as [string, ComposeService][];

t('the rendered file is valid against the Compose specification schema, with and without the iGPU', () => {
  for (const gpu of [IGPU, NO_GPU]) {
    const doc = load(vars(), gpu);
    assert.ok(validate(doc), JSON.stringify(validate.errors));
  }
  // The schema really checks: a key Compose does not know is refused.
  const bad = load() as unknown as { services: Record<string, Record<string, unknown>> };
  bad.services['traefik']!['publish'] = ['80:80'];
  assert.not.ok(validate(bad));
  assert.match(JSON.stringify(validate.errors), /must NOT have additional properties/);
});

t('project name, every service pinned to the images variable, restart unless-stopped', () => {
  const f = load();
  assert.is(f.name, 'media-server');
  assert.equal(Object.keys(f.services), ['traefik', 'jellyfin', 'immich-server', 'immich-machine-learning', 'immich-valkey', 'immich-postgres', 'prometheus', 'grafana', 'cadvisor', 'node-exporter', 'postgres-exporter']);
  for (const [name, s] of services(f)) {
    assert.is(unpinnedReason(s.image), undefined, `${name}: ${s.image}`);
    assert.not.match(s.image, /:latest\b/);
    assert.is(s.restart, 'unless-stopped', name);
    assert.ok(s.healthcheck, `${name} has a healthcheck`);
    assert.ok(s.healthcheck!.test.length > 1 && ['CMD', 'CMD-SHELL'].includes(s.healthcheck!.test[0]), name);
  }
  const own = load(vars({ images: { jellyfin: 'msh-lab/jellyfin:standin' } }));
  assert.is(own.services['jellyfin']!.image, 'msh-lab/jellyfin:standin', 'an inventory entry replaces its default');
  assert.is(own.services['traefik']!.image, defaults.images['traefik'], 'entries left out keep their default');
});

t('only Traefik publishes, and only 80 and 443 on every address; the others expose', () => {
  const f = load();
  for (const [name, s] of services(f)) {
    if (name === 'traefik') {
      assert.equal(s.ports, [
        { target: 80, published: '80', protocol: 'tcp' },
        { target: 443, published: '443', protocol: 'tcp' },
      ]);
    } else if (name === 'node-exporter') {
      // In the host's network: it cannot publish; it listens on docker0's address only (the test below).
      assert.is(s.ports, undefined);
      assert.is(s.network_mode, 'host');
    } else {
      assert.is(s.ports, undefined, `${name} publishes nothing`);
      assert.ok(s.expose && s.expose.length > 0, `${name} exposes its port to the networks it is on`);
    }
  }
});

t('networks: proxy for Traefik and the web services, backend internal for Immich and its stores', () => {
  const f = load();
  assert.equal(f.networks, {
    proxy: { name: 'media-server_proxy' },
    backend: { name: 'media-server_backend', internal: true },
    egress: { name: 'media-server_egress' },
    monitoring: { name: 'media-server_monitoring' },
  });
  const nets = Object.fromEntries(services(f).map(([n, s]) => [n, s.networks]));
  assert.equal(nets, {
    traefik: ['proxy'],
    jellyfin: ['proxy'],
    'immich-server': ['proxy', 'backend'],
    'immich-machine-learning': ['backend', 'egress'],
    'immich-valkey': ['backend'],
    'immich-postgres': ['backend'],
    prometheus: ['proxy', 'monitoring'],
    grafana: ['proxy', 'monitoring'],
    cadvisor: ['monitoring'],
    'node-exporter': undefined,
    'postgres-exporter': ['backend', 'monitoring'],
  });
  assert.ok(traefikArgs(traefikStaticConfig({ image: 'x', logLevel: 'INFO', traefikDir: '/t', accessLog: '/t/logs/a.log' })).includes('--providers.docker.network=media-server_proxy'), "Traefik's docker provider names the proxy network by its engine-level name");
});

t('Traefik labels per web service: Host rule on the domain, websecure, TLS, the security headers, the port', () => {
  const f = load(vars({ domain: 'example.lan' }));
  assert.equal(f.services['jellyfin']!.labels, {
    'traefik.enable': 'true',
    // Jellyfin's /metrics is for Prometheus on the proxy network only.
    'traefik.http.routers.jellyfin.rule': 'Host(`jellyfin.example.lan`) && !PathPrefix(`/metrics`)',
    'traefik.http.routers.jellyfin.entrypoints': 'websecure',
    'traefik.http.routers.jellyfin.tls': 'true',
    'traefik.http.routers.jellyfin.middlewares': 'security-headers@file',
    'traefik.http.routers.jellyfin.service': 'jellyfin',
    'traefik.http.services.jellyfin.loadbalancer.server.port': '8096',
  });
  const immich = f.services['immich-server']!.labels!;
  assert.is(immich['traefik.http.routers.immich.rule'], 'Host(`photos.example.lan`)');
  assert.is(immich['traefik.http.services.immich.loadbalancer.server.port'], '2283');
  const grafana = f.services['grafana']!.labels!;
  assert.is(grafana['traefik.http.routers.grafana.rule'], 'Host(`grafana.example.lan`)');
  assert.is(grafana['traefik.http.services.grafana.loadbalancer.server.port'], '3000');
  for (const name of ['traefik', 'immich-machine-learning', 'immich-valkey', 'immich-postgres', 'prometheus', 'cadvisor', 'node-exporter', 'postgres-exporter']) assert.is(f.services[name]!.labels, undefined, `${name} is not routed`);
});

t("Traefik's static configuration as flags: redirect, entrypoints, providers, no insecure API, ping, metrics, access log", () => {
  const args = load().services['traefik']!.command!;
  for (const flag of [
    '--entryPoints.web.address=:80',
    '--entryPoints.web.http.redirections.entryPoint.to=websecure',
    '--entryPoints.web.http.redirections.entryPoint.scheme=https',
    '--entryPoints.websecure.address=:443',
    '--entryPoints.metrics.address=:8082',
    '--providers.docker.exposedByDefault=false',
    '--providers.docker.endpoint=unix:///var/run/docker.sock',
    '--providers.file.directory=/etc/traefik/dynamic',
    '--providers.file.watch=true',
    '--api.dashboard=true',
    '--api.insecure=false',
    '--ping=true',
    '--metrics.prometheus.entryPoint=metrics',
    '--accessLog.filePath=/logs/access.log',
    '--accessLog.format=common',
    '--log.level=INFO',
  ]) {
    assert.ok(args.includes(flag), flag);
  }
  assert.not.ok(args.some((a) => /api\.insecure=true/i.test(a)));
  const traefik = load().services['traefik']!;
  assert.equal(traefik.healthcheck!.test, ['CMD', 'traefik', 'healthcheck', '--ping', '--entryPoints.traefik.address=:8080']);
  assert.ok(args.includes('--entryPoints.traefik.address=:8080'), 'the healthcheck pings the entrypoint Traefik listens on');
});

t("Traefik's mounts: docker socket and its files read-only; the log directory is the one Fail2ban reads", () => {
  const mounts = load(vars({ traefik_access_log: '/srv/logs/traefik/access.log' })).services['traefik']!.volumes!;
  assert.equal(mounts, [
    { type: 'bind', source: '/var/run/docker.sock', target: '/var/run/docker.sock', read_only: true },
    { type: 'bind', source: '/mnt/tank/appdata/traefik/dynamic', target: '/etc/traefik/dynamic', read_only: true },
    { type: 'bind', source: '/mnt/tank/appdata/traefik/certs', target: '/certs', read_only: true },
    { type: 'bind', source: '/srv/logs/traefik', target: '/logs' },
  ]);
});

t('profiles per part', () => {
  const f = load();
  const profiles = Object.fromEntries(services(f).map(([n, s]) => [n, s.profiles]));
  assert.equal(profiles, {
    traefik: ['proxy'],
    jellyfin: ['media'],
    'immich-server': ['photos'],
    'immich-machine-learning': ['photos'],
    'immich-valkey': ['photos'],
    'immich-postgres': ['photos'],
    prometheus: ['monitoring'],
    grafana: ['monitoring'],
    cadvisor: ['monitoring'],
    'node-exporter': ['monitoring'],
    'postgres-exporter': ['monitoring'],
  });
  const noPhotos = load(vars({ stack_profiles: ['media', 'proxy', 'monitoring'] }));
  assert.is(noPhotos.services['postgres-exporter'], undefined, 'no Immich database, no postgres-exporter');
});

t('monitoring: pinned images, data on the VM disk, configuration read-only, retention flags, node-exporter on docker0 only', () => {
  const f = load(vars({ prometheus_retention_time: '30d', prometheus_retention_size: '4GB' }));
  const prom = f.services['prometheus']!;
  assert.is(prom.image, 'prom/prometheus:v3.13.2');
  assert.is(prom.user, '65534:65534');
  assert.equal(prom.command, ['--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.path=/prometheus', '--storage.tsdb.retention.time=30d', '--storage.tsdb.retention.size=4GB']);
  assert.equal(prom.volumes, [
    { type: 'bind', source: '/mnt/tank/appdata/monitoring/prometheus', target: '/etc/prometheus', read_only: true },
    { type: 'bind', source: '/var/lib/prometheus-data', target: '/prometheus' },
  ]);
  const grafana = f.services['grafana']!;
  assert.is(grafana.user, '472:0');
  assert.equal(grafana.environment, { GF_PATHS_CONFIG: '/etc/grafana-msh/grafana.ini' });
  assert.ok(grafana.volumes!.filter((m) => m.target !== '/var/lib/grafana').every((m) => m.read_only), 'Grafana cannot change its provisioning');
  assert.ok(grafana.volumes!.some((m) => m.source === '/var/lib/grafana-data' && m.target === '/var/lib/grafana' && !m.read_only));
  const node = f.services['node-exporter']!;
  assert.is(node.pid, 'host');
  assert.ok(node.command!.includes('--web.listen-address=172.17.0.1:9100'));
  assert.ok(node.command!.includes('--collector.textfile.directory=/textfile'));
  assert.equal(node.volumes![0], { type: 'bind', source: '/', target: '/host', read_only: true, bind: { propagation: 'rslave' } });
  assert.equal(node.volumes![1], { type: 'bind', source: '/var/lib/prometheus/node-exporter', target: '/textfile', read_only: true });
  assert.ok(node.command!.some((c) => c.endsWith('($$|/)')), 'the regex end-of-line is written $$: Compose passes one $ to node-exporter');
  const pgx = f.services['postgres-exporter']!;
  assert.equal(pgx.environment, { DATA_SOURCE_URI: 'immich-postgres:5432/immich?sslmode=disable&connect_timeout=2', DATA_SOURCE_USER: '${DB_USERNAME}', DATA_SOURCE_PASS: '${DB_PASSWORD}' });
  for (const name of ['prometheus', 'grafana', 'cadvisor', 'node-exporter', 'postgres-exporter']) {
    assert.ok(f.services[name]!.security_opt?.includes('no-new-privileges:true'), name);
    assert.is(f.services[name]!.healthcheck!.test[0], 'CMD-SHELL', name);
  }
});

t('Jellyfin: non-root user, media read-only, the iGPU and the host render group only when the host has it', () => {
  const withGpu = load(vars(), IGPU).services['jellyfin']!;
  assert.is(withGpu.user, '1000:1000');
  assert.equal(withGpu.devices, ['/dev/dri/renderD128:/dev/dri/renderD128']);
  assert.equal(withGpu.group_add, ['993']);
  assert.ok(withGpu.volumes!.some((m) => m.source === '/mnt/tank/media' && m.target === '/media' && m.read_only === true));
  assert.equal(withGpu.healthcheck!.test, ['CMD', 'curl', '-fsS', 'http://localhost:8096/health']);

  const without = load(vars(), NO_GPU).services['jellyfin']!;
  assert.is(without.devices, undefined);
  assert.is(without.group_add, undefined);
  assert.is(load(vars({ jellyfin_quicksync: 'false' }), IGPU).services['jellyfin']!.devices, undefined, 'false keeps the iGPU out');
  assert.throws(() => load(vars({ jellyfin_quicksync: 'true' }), NO_GPU), /jellyfin_quicksync is true but services has no \/dev\/dri\/renderD128/);
});

t('the GID comes from the host: the render group, else the render node', () => {
  assert.equal(parseGpu('render-gid=109\nrender-node-gid=109\n'), { renderNode: true, renderGid: 109 });
  assert.equal(parseGpu('render-node-gid=44\n'), { renderNode: true, renderGid: 44 }, 'no render group: the group of the node');
  assert.equal(parseGpu('render-gid=993\n'), { renderNode: false, renderGid: 993 }, 'a group but no device: no iGPU');
  assert.equal(parseGpu(''), NO_GPU);
});

t('Immich: v3 environment, the database and the upload location from the .env, healthchecks of the images', () => {
  const f = load();
  const server = f.services['immich-server']!;
  assert.equal(server.environment, {
    DB_HOSTNAME: 'immich-postgres',
    DB_USERNAME: '${DB_USERNAME}',
    DB_PASSWORD: '${DB_PASSWORD}',
    DB_DATABASE_NAME: '${DB_DATABASE_NAME}',
    REDIS_HOSTNAME: 'immich-valkey',
    IMMICH_MACHINE_LEARNING_URL: 'http://immich-machine-learning:3003',
    IMMICH_TELEMETRY_INCLUDE: 'all',
  });
  assert.equal(server.volumes![0], { type: 'bind', source: '${UPLOAD_LOCATION}', target: '/data' });
  assert.equal(server.depends_on, { 'immich-postgres': { condition: 'service_healthy' }, 'immich-valkey': { condition: 'service_healthy' } });
  assert.equal(server.healthcheck!.test, ['CMD', 'immich-healthcheck']);
  assert.equal(server.devices, ['/dev/dri:/dev/dri']);
  assert.is(load(vars(), NO_GPU).services['immich-server']!.devices, undefined);
  assert.equal(f.services['immich-machine-learning']!.healthcheck!.test, ['CMD', 'python3', 'healthcheck.py']);
  assert.is(f.services['immich-machine-learning']!.devices, undefined, 'the CPU build of machine learning gets no iGPU');
  const openvino = vars({ images: { immich_ml: 'ghcr.io/immich-app/immich-machine-learning:v3.2.4-openvino' } });
  assert.equal(load(openvino, IGPU).services['immich-machine-learning']!.devices, ['/dev/dri:/dev/dri']);
  assert.is(load(openvino, NO_GPU).services['immich-machine-learning']!.devices, undefined);
  assert.equal(f.services['immich-valkey']!.healthcheck!.test, ['CMD-SHELL', 'valkey-cli ping | grep -q PONG']);
  const pg = f.services['immich-postgres']!;
  assert.equal(pg.healthcheck!.test, ['CMD', 'pg_isready', '--dbname', '${DB_DATABASE_NAME}', '--username', '${DB_USERNAME}']);
  assert.equal(pg.volumes, [{ type: 'bind', source: '${DB_DATA_LOCATION}', target: '/var/lib/postgresql/data' }]);
  assert.is(pg.container_name, 'immich_postgres', 'the name the backup role dumps from');
});

t('every variable compose.yml interpolates is defined by the .env the role writes', () => {
  const text = renderStack(vars(), IGPU, 'services');
  const env = parseDotenv(renderEnv(vars(), 'A'.repeat(32)));
  const refs = referencedVariables(text);
  assert.equal(refs, ['DB_DATABASE_NAME', 'DB_DATA_LOCATION', 'DB_PASSWORD', 'DB_USERNAME', 'UPLOAD_LOCATION']);
  for (const r of refs) assert.ok(env[r], `${r} is set in .env`);
  assert.is(env['UPLOAD_LOCATION'], '/mnt/tank/photos');
  assert.is(env['DB_DATA_LOCATION'], '/var/lib/immich-postgres');
  assert.is(env['COMPOSE_PROFILES'], 'media,photos,proxy,monitoring');
  assert.is(env['IMMICH_VERSION'], 'v3.2.4');
  assert.not.match(text, /A{32}/, 'the password is never in compose.yml');
});

t('rendering refuses a stray $ (Compose would interpolate it) and keeps ${NAME} and $$', () => {
  const file = (value: string): ComposeFile => ({ name: 'p', services: { a: { image: 'a:1', environment: { X: value } } } });
  assert.match(renderCompose(file(envRef('DB_PASSWORD'))), /X: \$\{DB_PASSWORD\}/);
  assert.match(renderCompose(file('cost: $$5')), /cost: \$\$5/);
  assert.throws(() => renderCompose(file('pa$word')), /line \d+ has a "\$" that is not a \$\{NAME\} reference/);
  assert.throws(() => envRef('not valid'), /not a valid variable name/);
  assert.equal(referencedVariables('a ${A} b $B c $$C d ${D:-x}'), ['A', 'B', 'D']);
});

t('healthchecks: every 30 s (5 s while starting) by default; stack_healthcheck_interval_seconds paces them all', () => {
  const checks = (v: V) => Object.values((parse(renderStack(v, NO_GPU, 'services')) as ComposeFile).services).map((s) => s.healthcheck).filter((h) => h !== undefined);
  const byDefault = checks({ ...defaults });
  assert.ok(byDefault.length >= 10, 'every service of the stack has a healthcheck');
  assert.ok(byDefault.every((h) => h.interval === '30s' && h.start_interval === '5s'));
  const slow = checks({ ...defaults, stack_healthcheck_interval_seconds: 120 });
  assert.ok(slow.every((h) => h.interval === '120s' && h.start_interval === '20s' && h.timeout === '10s'));
  assert.equal(slow.map((h) => h.test), byDefault.map((h) => h.test), 'only the pace changes');
});

t('image references: pinned means a tag other than latest, or a digest', () => {
  assert.equal(parseImageRef('registry.local:5000/team/app:1.2@sha256:' + 'a'.repeat(64)), { repository: 'registry.local:5000/team/app', tag: '1.2', digest: 'sha256:' + 'a'.repeat(64) });
  assert.equal(parseImageRef('registry.local:5000/app'), { repository: 'registry.local:5000/app', tag: undefined, digest: undefined }, 'a registry port is not a tag');
  assert.is(unpinnedReason('traefik:v3.7.13'), undefined);
  assert.is(unpinnedReason('valkey/valkey@sha256:' + 'b'.repeat(64)), undefined);
  assert.is(unpinnedReason('msh-lab/jellyfin:standin'), undefined);
  assert.match(unpinnedReason('traefik')!, /neither a tag nor a digest/);
  assert.match(unpinnedReason('traefik:latest')!, /"latest" moves/);
  assert.match(unpinnedReason('registry.local:5000/app')!, /neither a tag nor a digest/);
  assert.match(unpinnedReason('app@sha256:short')!, /not a digest/);
  assert.match(unpinnedReason('')!, /empty/);
});

t.run();
