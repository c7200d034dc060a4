import { renderDotenv } from '../../../lib/compose/dotenv.ts';
import type { Profile } from '../settings.ts';
import { DB_DATABASE_NAME, DB_USERNAME, ENV } from './names.ts';

export interface EnvSettings {
  profiles: Profile[];
  immichVersion: string;
  photosDir: string;
  immichDbDir: string;
  /** Generated once on the host, A-Za-z0-9 (Immich's rule for DB_PASSWORD), then kept. */
  dbPassword: string;
  /** tls_mode acme-dns: the DNS provider's credentials for Traefik, [name, value], from acme_dns_env. */
  acmeCredentials?: [string, string][];
}

/** The project's .env: what compose.yml interpolates, in Immich's own variable names. Mode 0600: it holds a secret. */
export function envFile(s: EnvSettings): string {
  const acme = s.acmeCredentials ?? [];
  return renderDotenv(
    [
      'Written by media-server-home (role docker-stack); set parts and images in the inventory, not here.',
      'Holds the Immich database password: keep it 0600 and back it up; never change DB_PASSWORD (the database keeps',
      'the password it was created with). IMMICH_VERSION records the version of images.immich_server.',
      ...(acme.length ? [`${acme.map(([n]) => n).join(', ')}: the DNS provider's credentials for Traefik (acme_dns_env; change them in your .env).`] : []),
    ],
    [
      [ENV.profiles, s.profiles.join(',')],
      [ENV.immichVersion, s.immichVersion],
      [ENV.uploadLocation, s.photosDir],
      [ENV.dbDataLocation, s.immichDbDir],
      [ENV.dbUsername, DB_USERNAME],
      [ENV.dbDatabaseName, DB_DATABASE_NAME],
      [ENV.dbPassword, s.dbPassword],
      ...acme,
    ],
  );
}
