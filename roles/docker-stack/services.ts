import type { ImageName } from './defaults.ts';
import type { WantedService } from './deploy-decision.ts';
import { enabledProfiles, stackImages, type Profile, type V } from './settings.ts';
import { SERVICE, type ServiceKey } from './templates/names.ts';

/** Which part each service belongs to and which entry of `images` it runs. */
export const STACK_SERVICES: { service: ServiceKey; profile: Profile; image: ImageName }[] = [
  { service: SERVICE.traefik, profile: 'proxy', image: 'traefik' },
  { service: SERVICE.jellyfin, profile: 'media', image: 'jellyfin' },
  { service: SERVICE.postgres, profile: 'photos', image: 'postgres' },
  { service: SERVICE.valkey, profile: 'photos', image: 'valkey' },
  { service: SERVICE.immichMl, profile: 'photos', image: 'immich_ml' },
  { service: SERVICE.immichServer, profile: 'photos', image: 'immich_server' },
];

/** The services of the enabled parts, with the image each must run. */
export function wantedServices(v: V): WantedService[] {
  const profiles = enabledProfiles(v);
  const img = stackImages(v);
  return STACK_SERVICES.filter((s) => profiles.includes(s.profile)).map((s) => ({ service: s.service, image: img[s.image] }));
}
