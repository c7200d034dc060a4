import { renderCompose } from '../../lib/compose/render.ts';
import { useGpu, type HostGpu } from './host.ts';
import { acmeCredentials, enabledProfiles, immichVersion, stackImages, usesAcme, type V } from './settings.ts';
import { composeFile, type StackModel } from './templates/compose.ts';
import { envFile } from './templates/env.ts';

export const composePath = (v: V) => `${v.compose_dir}/compose.yml`;
export const envPath = (v: V) => `${v.compose_dir}/.env`;
export const jellyfinDirs = (v: V) => ({ config: `${v.appdata_dir}/jellyfin/config`, cache: `${v.appdata_dir}/jellyfin/cache` });

/** The typed model of the project for these variables on a host with this GPU. */
export function stackModel(v: V, gpu: HostGpu, host: string): StackModel {
  const img = stackImages(v);
  const jellyfinGpu = useGpu(v.jellyfin_quicksync, gpu, 'jellyfin_quicksync', host);
  const dirs = jellyfinDirs(v);
  const acme = usesAcme(v);
  return {
    traefik: {
      image: img.traefik,
      logLevel: v.traefik_log_level,
      traefikDir: v.traefik_dir,
      accessLog: v.traefik_access_log,
      ...(acme
        ? { acme: { resolver: { email: v.acme_email, provider: v.acme_dns_provider, domain: v.domain }, credentials: acmeCredentials(v).map(([name]) => name) } }
        : {}),
    },
    jellyfin: {
      image: img.jellyfin,
      domain: v.domain,
      uid: v.jellyfin_uid,
      gid: v.jellyfin_gid,
      configDir: dirs.config,
      cacheDir: dirs.cache,
      mediaDir: v.media_dir,
      renderGid: jellyfinGpu ? gpu.renderGid : undefined,
      acme,
    },
    immich: {
      serverImage: img.immich_server,
      mlImage: img.immich_ml,
      valkeyImage: img.valkey,
      postgresImage: img.postgres,
      domain: v.domain,
      gpu: useGpu(v.immich_quicksync, gpu, 'immich_quicksync', host),
      acme,
    },
    monitoring: {
      images: { prometheus: img.prometheus, grafana: img.grafana, cadvisor: img.cadvisor, nodeExporter: img.node_exporter, postgresExporter: img.postgres_exporter },
      domain: v.domain,
      monitoringDir: v.monitoring_dir,
      prometheusDataDir: v.prometheus_data_dir,
      grafanaDataDir: v.grafana_data_dir,
      retentionTime: v.prometheus_retention_time,
      retentionSize: v.prometheus_retention_size,
      nodeExporterAddress: v.node_exporter_services_address,
      photos: enabledProfiles(v).includes('photos'),
      acme,
    },
    healthcheckIntervalSeconds: v.stack_healthcheck_interval_seconds,
  };
}

export function renderStack(v: V, gpu: HostGpu, host: string): string {
  return renderCompose(composeFile(stackModel(v, gpu, host)));
}

export function renderEnv(v: V, dbPassword: string): string {
  return envFile({ profiles: enabledProfiles(v), immichVersion: immichVersion(v), photosDir: v.photos_dir, immichDbDir: v.immich_db_dir, dbPassword, acmeCredentials: acmeCredentials(v) });
}
