import { defaults as traefikDefaults, docs as traefikDocs } from '../traefik/defaults.ts';
import { HEALTHCHECK_SECONDS } from './templates/common.ts';

/**
 * Pinned images (checked November 2026):
 * - traefik: v3.7.13, the latest v3 release on github.com/traefik/traefik/releases (≥ v3.6.1 is needed for Docker 29).
 * - jellyfin: 10.11.11, "Latest" on github.com/jellyfin/jellyfin/releases/tag/v10.11.11.
 * - immich server and machine learning: v3.2.4 (Immich v3; both images must carry the same version).
 * - valkey and postgres: exactly the references of Immich's own docker/docker-compose.yml
 *   (github.com/immich-app/immich, commit 4cff61e035ac68376fc29793a719f87f9f0acd12): valkey 9 and the VectorChord
 *   Postgres 14 image, pinned by digest.
 * - monitoring (checked with Renovate's update PRs, which quote the upstream release notes):
 *   prometheus v3.13.2, the last patch of the 3.13 LTS line (3.13.0 released 2026-07-01 as LTS; 3.14.0 followed on
 *   2026-08-17); grafana 13.2.0 (2026-08-18, with a security fix; file provisioning still takes the classic dashboard
 *   JSON this project writes); cAdvisor v0.54.0, the first release published on ghcr.io (gcr.io gets no new tags);
 *   node-exporter v1.12.0; postgres-exporter v0.20.1 (2026-07-08).
 */
export const DEFAULT_IMAGES = {
  traefik: 'traefik:v3.7.13',
  jellyfin: 'jellyfin/jellyfin:10.11.11',
  immich_server: 'ghcr.io/immich-app/immich-server:v3.2.4',
  immich_ml: 'ghcr.io/immich-app/immich-machine-learning:v3.2.4',
  valkey: 'docker.io/valkey/valkey:9@sha256:546304417feac0874c3dd576e0952c6bb8f06bb4093ea0c9ca303c73cf458f63',
  postgres: 'ghcr.io/immich-app/postgres:14-vectorchord0.4.3-pgvectors0.2.0@sha256:bcf63357191b76a916ae5eb93464d65c07511da41e3bf7a8416db519b40b1c23',
  prometheus: 'prom/prometheus:v3.13.2',
  grafana: 'grafana/grafana:13.2.0',
  cadvisor: 'ghcr.io/google/cadvisor:v0.54.0',
  node_exporter: 'quay.io/prometheus/node-exporter:v1.12.0',
  postgres_exporter: 'quay.io/prometheuscommunity/postgres-exporter:v0.20.1',
};

export type ImageName = keyof typeof DEFAULT_IMAGES;

export const defaults = {
  domain: 'home.arpa',
  appdata_dir: '/mnt/tank/appdata',
  compose_dir: '/mnt/tank/appdata/compose',
  traefik_dir: '/mnt/tank/appdata/traefik',
  traefik_access_log: '/mnt/tank/appdata/traefik/logs/access.log',
  media_dir: '/mnt/tank/media',
  photos_dir: '/mnt/tank/photos',
  immich_db_dir: '/var/lib/immich-postgres',
  images: { ...DEFAULT_IMAGES } as Record<string, string>,
  stack_profiles: ['media', 'photos', 'proxy', 'monitoring'] as string[],
  stack_pull: true,
  stack_health_timeout_seconds: 300,
  stack_healthcheck_interval_seconds: HEALTHCHECK_SECONDS,
  jellyfin_quicksync: 'auto',
  immich_quicksync: 'auto',
  jellyfin_uid: 1000,
  jellyfin_gid: 1000,
  traefik_log_level: 'INFO',
  // Role traefik's keys (same defaults): with tls_mode acme-dns, Traefik's certificate resolver is static configuration,
  // which this role renders, with the DNS provider's credentials in the project's .env.
  tls_mode: traefikDefaults.tls_mode,
  acme_email: traefikDefaults.acme_email,
  acme_dns_provider: traefikDefaults.acme_dns_provider,
  acme_dns_env: { ...traefikDefaults.acme_dns_env } as Record<string, string>,
  monitoring_dir: '/mnt/tank/appdata/monitoring',
  prometheus_data_dir: '/var/lib/prometheus-data',
  grafana_data_dir: '/var/lib/grafana-data',
  prometheus_retention_time: '90d',
  prometheus_retention_size: '8GB',
  node_exporter_services_address: '172.17.0.1',
};

export const docs = {
  domain: { description: 'The local domain: services answer at jellyfin.<domain>, photos.<domain>, traefik.<domain> (home.arpa is reserved for home networks, RFC 8375).' },
  appdata_dir: { description: 'Application data on the pool, as the VM mounts it (Jellyfin config and cache go under it).' },
  compose_dir: { description: 'Where the Compose project (compose.yml and its .env, mode 0600) lives; `docker compose` run there manages the stack. Set it too when you move appdata_dir.' },
  traefik_dir: { description: "Traefik's files on the VM: dynamic/ (file provider), certs/ and logs/ under it, and acme/ (acme.json, mode 0600) with tls_mode acme-dns." },
  traefik_access_log: { description: "Traefik's access log on the VM, watched by Fail2ban's traefik-auth jail." },
  media_dir: { description: 'Your films, series and music, mounted read-only into Jellyfin at /media.' },
  photos_dir: { description: "Immich's upload location (UPLOAD_LOCATION): originals, thumbnails, encoded videos." },
  immich_db_dir: { description: "Immich's Postgres data, on the VM's own disk (Immich's database must not live on a network share); dumped nightly to the pool by the backup role." },
  images: {
    description:
      'Image of each service, pinned (a tag other than latest, or a digest): traefik, jellyfin, immich_server, immich_ml, valkey, postgres, prometheus, grafana, cadvisor, node_exporter, postgres_exporter. Entries you leave out keep their default.',
  },
  stack_profiles: {
    description:
      'Parts of the stack that run: media (Jellyfin), photos (Immich), proxy (Traefik), monitoring (Prometheus, Grafana and the exporters; started by the monitoring role once their configuration is written). Written to the .env as COMPOSE_PROFILES.',
  },
  stack_pull: { description: 'Pull missing images before starting the stack (false: the images must already be on the host, e.g. loaded with docker load).' },
  stack_healthcheck_interval_seconds: {
    description:
      "How often Docker runs each container's healthcheck (while a container starts: every sixth of that, at least 5 s). Each check starts a process in the container: raise it on a slow machine (the lab's emulated VM uses 120).",
  },
  stack_health_timeout_seconds: { description: 'How long a deploy waits for every container to report healthy before it fails, naming the container and showing its last log lines.' },
  jellyfin_quicksync: { description: 'Give Jellyfin the iGPU (/dev/dri/renderD128) for hardware transcoding: auto (when the VM has it), true (fail without it) or false.' },
  immich_quicksync: { description: 'Give Immich the iGPU (/dev/dri) for hardware video transcoding (and to an -openvino machine-learning image): auto, true or false.' },
  jellyfin_uid: { description: 'The user id Jellyfin runs as; it owns its config and cache, and must be able to read media_dir.' },
  jellyfin_gid: { description: 'The group id Jellyfin runs as.' },
  traefik_log_level: { description: "Traefik's log level: DEBUG, INFO, WARN or ERROR." },
  tls_mode: traefikDocs.tls_mode,
  acme_email: traefikDocs.acme_email,
  acme_dns_provider: traefikDocs.acme_dns_provider,
  acme_dns_env: traefikDocs.acme_dns_env,
  monitoring_dir: { description: "Prometheus's and Grafana's configuration on the pool (written by the monitoring role): prometheus/, grafana/." },
  prometheus_data_dir: { description: "Prometheus's time-series database, on the VM's own disk (a database does not belong on a network share); history is lost with the VM, the configuration is not." },
  grafana_data_dir: { description: "Grafana's database (users, preferences), on the VM's own disk; dashboards and data sources are provisioned from files and come back on every run." },
  prometheus_retention_time: { description: 'How long Prometheus keeps samples (e.g. 90d); the older ones go first, or earlier when prometheus_retention_size is reached.' },
  prometheus_retention_size: { description: "Most disk Prometheus's database may use on the VM (e.g. 8GB); units B, KB, MB, GB, TB (powers of 1024)." },
  node_exporter_services_address: {
    description:
      "The address node-exporter listens on in the VM (port 9100; it runs in the host's network to see the VM's own interfaces): default docker0's 172.17.0.1, which the containers reach and the LAN does not.",
  },
};
