import type { ComposeFile, ComposeService } from '../../../lib/compose/types.ts';
import { pacedHealthchecks } from './common.ts';
import { immichMlService, immichServerService, postgresService, valkeyService, type ImmichSettings } from './immich.ts';
import { jellyfinService, type JellyfinSettings } from './jellyfin.ts';
import { monitoringServices, type MonitoringSettings } from './monitoring.ts';
import { NETWORK, PROJECT, SERVICE } from './names.ts';
import { traefikService, type TraefikSettings } from './traefik.ts';

export interface StackModel {
  traefik: TraefikSettings;
  jellyfin: JellyfinSettings;
  immich: ImmichSettings;
  monitoring: MonitoringSettings;
  healthcheckIntervalSeconds: number;
}

/**
 * The whole project. Every service is in the file; the .env's COMPOSE_PROFILES picks the parts that run, so
 * `docker compose up -d` in the project directory does what the role does.
 */
export function composeFile(m: StackModel): ComposeFile {
  const services: Record<string, ComposeService> = pacedHealthchecks({
    [SERVICE.traefik]: traefikService(m.traefik),
    [SERVICE.jellyfin]: jellyfinService(m.jellyfin),
    [SERVICE.immichServer]: immichServerService(m.immich),
    [SERVICE.immichMl]: immichMlService(m.immich),
    [SERVICE.valkey]: valkeyService(m.immich),
    [SERVICE.postgres]: postgresService(m.immich),
    ...monitoringServices(m.monitoring),
  }, m.healthcheckIntervalSeconds);
  return {
    name: PROJECT,
    services,
    networks: {
      [NETWORK.proxy.key]: { name: NETWORK.proxy.name },
      [NETWORK.backend.key]: { name: NETWORK.backend.name, internal: true },
      [NETWORK.egress.key]: { name: NETWORK.egress.name },
      [NETWORK.monitoring.key]: { name: NETWORK.monitoring.name },
    },
    volumes: { 'model-cache': {} },
  };
}
