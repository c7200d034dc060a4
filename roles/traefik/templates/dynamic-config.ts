/**
 * The part of Traefik v3's dynamic configuration (file provider) this role writes, typed after Traefik's reference
 * (doc.traefik.io/traefik/reference/routing-configuration/…: http/tls/tls-certificates, http/tls/tls-options,
 * http/middlewares/headers, http/middlewares/basicauth), and its rendering to YAML.
 */
import { stringify } from 'yaml';

export interface CertificatePair {
  certFile: string;
  keyFile: string;
}

export interface TlsOptions {
  minVersion?: 'VersionTLS12' | 'VersionTLS13';
  sniStrict?: boolean;
}

export interface TlsSection {
  certificates?: CertificatePair[];
  stores?: { default: { defaultCertificate?: CertificatePair } };
  options?: Record<string, TlsOptions>;
}

export interface HeadersMiddleware {
  headers: {
    stsSeconds?: number;
    stsIncludeSubdomains?: boolean;
    stsPreload?: boolean;
    contentTypeNosniff?: boolean;
    frameDeny?: boolean;
    referrerPolicy?: string;
    browserXssFilter?: boolean;
  };
}

export interface BasicAuthMiddleware {
  basicAuth: { users: string[]; realm?: string; removeHeader?: boolean };
}

export type Middleware = HeadersMiddleware | BasicAuthMiddleware;

export interface Router {
  rule: string;
  entryPoints: string[];
  service: string;
  middlewares?: string[];
  tls: { certResolver?: string; options?: string; domains?: { main: string; sans?: string[] }[] };
}

export interface DynamicConfig {
  http?: { routers?: Record<string, Router>; middlewares?: Record<string, Middleware> };
  tls?: TlsSection;
}

/** YAML with a header comment saying who manages the file and what it is for. */
export function renderDynamic(purpose: string[], config: DynamicConfig): string {
  const header = ['# Managed by media-server-home (role traefik): changes here are overwritten.', ...purpose.map((l) => `# ${l}`)].join('\n');
  return `${header}\n${stringify(config, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
