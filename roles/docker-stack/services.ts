import type { ImageName } from './defaults.ts';
import type { WantedService } from './deploy-decision.ts';
import { enabledProfiles, PROFILES, stackImages, type Profile, type V } from './settings.ts';
import { SERVICE, type ServiceKey } from './templates/names.ts';

/** Which part each service belongs to, which entry of `images` it runs, and another part it needs to exist at all. */
export const STACK_SERVICES: { service: ServiceKey; profile: Profile; image: ImageName; alsoNeeds?: Profile }[] = [
  { service: SERVICE.traefik, profile: 'proxy', image: 'traefik' },
  { service: SERVICE.jellyfin, profile: 'media', image: 'jellyfin' },
  { service: SERVICE.postgres, profile: 'photos', image: 'postgres' },
  { service: SERVICE.valkey, profile: 'photos', image: 'valkey' },
  { service: SERVICE.immichMl, profile: 'photos', image: 'immich_ml' },
  { service: SERVICE.immichServer, profile: 'photos', image: 'immich_server' },
  { service: SERVICE.prometheus, profile: 'monitoring', image: 'prometheus' },
  { service: SERVICE.grafana, profile: 'monitoring', image: 'grafana' },
  { service: SERVICE.cadvisor, profile: 'monitoring', image: 'cadvisor' },
  { service: SERVICE.nodeExporter, profile: 'monitoring', image: 'node_exporter' },
  { service: SERVICE.postgresExporter, profile: 'monitoring', image: 'postgres_exporter', alsoNeeds: 'photos' },
];

/**
 * The parts the monitoring role starts, once it has written their configuration (Prometheus does not start without
 * its configuration file, and the role runs after docker-stack); docker-stack starts the others.
 */
export const MONITORING_PARTS: readonly Profile[] = ['monitoring'];
export const DOCKER_STACK_PARTS: readonly Profile[] = PROFILES.filter((p) => !MONITORING_PARTS.includes(p));

/** The services of the enabled parts among `parts`, with the image each must run. */
export function wantedServices(v: V, parts: readonly Profile[] = PROFILES): WantedService[] {
  const profiles = enabledProfiles(v);
  const img = stackImages(v);
  return STACK_SERVICES.filter((s) => parts.includes(s.profile) && profiles.includes(s.profile) && (!s.alsoNeeds || profiles.includes(s.alsoNeeds))).map((s) => ({
    service: s.service,
    image: img[s.image],
  }));
}
