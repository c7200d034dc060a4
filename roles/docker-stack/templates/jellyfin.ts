import type { ComposeService } from '../../../lib/compose/types.ts';
import { COMMON, healthcheck } from './common.ts';
import { traefikLabels } from './labels.ts';
import { CONTAINER, NETWORK, SERVICE } from './names.ts';

export const JELLYFIN_PORT = 8096;
export const RENDER_NODE = '/dev/dri/renderD128';

export interface JellyfinSettings {
  image: string;
  domain: string;
  uid: number;
  gid: number;
  configDir: string;
  cacheDir: string;
  mediaDir: string;
  /** The GID of the host's render group when Jellyfin gets the iGPU; undefined: no iGPU. */
  renderGid: number | undefined;
  /** tls_mode acme-dns: the router asks Traefik's ACME resolver for the certificate of the domain and *.domain. */
  acme?: boolean;
}

export const jellyfinHost = (domain: string) => `jellyfin.${domain}`;

/**
 * Jellyfin runs as uid:gid (Jellyfin's container docs recommend a non-root user), owns only its config and cache,
 * and reads the media read-only. The iGPU's render node is passed only when the host has one; the render group then
 * lets the non-root user open it.
 */
export function jellyfinService(s: JellyfinSettings): ComposeService {
  const gpu = s.renderGid !== undefined;
  return {
    image: s.image,
    container_name: CONTAINER[SERVICE.jellyfin],
    profiles: ['media'],
    ...COMMON,
    user: `${s.uid}:${s.gid}`,
    ...(gpu ? { group_add: [String(s.renderGid)], devices: [`${RENDER_NODE}:${RENDER_NODE}`] } : {}),
    environment: { JELLYFIN_PublishedServerUrl: `https://${jellyfinHost(s.domain)}` },
    expose: [String(JELLYFIN_PORT)],
    volumes: [
      { type: 'bind', source: s.configDir, target: '/config' },
      { type: 'bind', source: s.cacheDir, target: '/cache' },
      { type: 'bind', source: s.mediaDir, target: '/media', read_only: true },
    ],
    networks: [NETWORK.proxy.key],
    // /metrics (on when the monitoring role sets EnableMetrics) is for Prometheus on the proxy network, not the LAN.
    labels: traefikLabels({ name: SERVICE.jellyfin, host: jellyfinHost(s.domain), port: JELLYFIN_PORT, hiddenPaths: ['/metrics'], acmeDomain: s.acme ? s.domain : undefined }),
    // The image's own HEALTHCHECK does the same (curl is in the image); /health answers "Healthy".
    healthcheck: healthcheck(['CMD', 'curl', '-fsS', `http://localhost:${JELLYFIN_PORT}/health`], '60s'),
  };
}
