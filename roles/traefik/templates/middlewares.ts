import { SECURITY_HEADERS } from '../names.ts';
import { renderDynamic } from './dynamic-config.ts';

/** One year, the value HSTS preload lists and most guides ask for. */
export const HSTS_SECONDS = 31_536_000;

/**
 * middlewares.yml: security headers for every service (Docker labels use `security-headers@file`).
 * browserXssFilter stays off: Traefik v3 still offers it, but the X-XSS-Protection header it sets is deprecated —
 * browsers removed their XSS auditors and MDN and OWASP advise against sending it.
 */
export function middlewaresYaml(): string {
  return renderDynamic(['Security headers, referred to as security-headers@file by the services\' Docker labels.'], {
    http: {
      middlewares: {
        [SECURITY_HEADERS]: {
          headers: {
            stsSeconds: HSTS_SECONDS,
            stsIncludeSubdomains: true,
            contentTypeNosniff: true,
            frameDeny: true,
            referrerPolicy: 'same-origin',
          },
        },
      },
    },
  });
}
