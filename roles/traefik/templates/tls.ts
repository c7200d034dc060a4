import { CERTS_DIR_IN_CONTAINER, SERVER_CERT_NAME } from '../names.ts';
import { renderDynamic, type DynamicConfig } from './dynamic-config.ts';

export interface TlsFileSettings {
  /** The server certificate from the local CA; absent with ACME (Traefik then stores its own certificates). */
  localCert?: { sha256Fingerprint: string };
}

/** The certificate pair as Traefik's container sees it. */
export const containerCertificate = () => ({
  certFile: `${CERTS_DIR_IN_CONTAINER}/${SERVER_CERT_NAME}.crt`,
  keyFile: `${CERTS_DIR_IN_CONTAINER}/${SERVER_CERT_NAME}.key`,
});

/**
 * tls.yml: TLS 1.2 at least, and with the local CA its certificate, also as the default one (clients without SNI or
 * with a name not covered). Traefik watches only this directory, not certs/, and reads the certificate when it loads
 * this file: the fingerprint comment changes the file whenever the certificate is renewed, so Traefik picks it up.
 */
export function tlsYaml(s: TlsFileSettings): string {
  const config: DynamicConfig = { tls: { options: { default: { minVersion: 'VersionTLS12' } } } };
  const purpose = ['TLS options (minimum TLS 1.2) for every router.'];
  if (s.localCert) {
    const pair = containerCertificate();
    config.tls = { certificates: [pair], stores: { default: { defaultCertificate: pair } }, ...config.tls };
    purpose.push('Certificate from the local CA, also the default one.', `certificate SHA-256 ${s.localCert.sha256Fingerprint}`);
  }
  return renderDynamic(purpose, config);
}
