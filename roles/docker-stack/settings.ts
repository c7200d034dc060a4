import { isAbsolute } from 'node:path';
import { parseIPv4 } from '../../lib/net/cidr.ts';
import { parseImageRef, unpinnedReason } from '../../lib/compose/image-ref.ts';
import { TLS_MODES, validateAcmeDns } from '../traefik/validate.ts';
import { DEFAULT_IMAGES, type defaults, type ImageName } from './defaults.ts';
import { ENV } from './templates/names.ts';

export type V = typeof defaults;

/** The parts of the stack, as Compose profiles. */
export const PROFILES = ['media', 'photos', 'proxy', 'monitoring'] as const;
export type Profile = (typeof PROFILES)[number];

export type Quicksync = 'auto' | 'true' | 'false';
const QUICKSYNC = ['auto', 'true', 'false'];
const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'];

/** The inventory's `images` over the defaults: an entry left out keeps its pinned default. */
export function stackImages(v: V): Record<ImageName, string> {
  return { ...DEFAULT_IMAGES, ...(v.images as Partial<Record<ImageName, string>>) };
}

export function enabledProfiles(v: V): Profile[] {
  return PROFILES.filter((p) => v.stack_profiles.includes(p));
}

/** IMMICH_VERSION: the tag the server image carries. */
export function immichVersion(v: V): string {
  return parseImageRef(stackImages(v).immich_server).tag ?? '';
}

/** tls_mode acme-dns: Traefik gets the certificate resolver and the DNS provider's credentials. */
export const usesAcme = (v: V) => v.tls_mode === 'acme-dns';

/** With ACME, the DNS provider's credentials as [name, value] (values from the controller's .env), in inventory order. */
export function acmeCredentials(v: V): [string, string][] {
  return usesAcme(v) ? Object.entries(v.acme_dns_env) : [];
}

type Problem = { key: keyof V & string; message: string; fix: string } | undefined;

export function validateDockerStack(v: V): Problem {
  const known = Object.keys(DEFAULT_IMAGES);
  for (const [name, ref] of Object.entries(v.images)) {
    if (!known.includes(name)) return { key: 'images', message: `unknown image "${name}"`, fix: `use the names ${known.join(', ')}` };
    if (typeof ref !== 'string') return { key: 'images', message: `images.${name} must be an image reference`, fix: 'e.g. traefik: traefik:v3.7.13' };
    const why = unpinnedReason(ref);
    if (why) return { key: 'images', message: `images.${name} "${ref}" is not pinned: ${why}`, fix: 'give a version tag (e.g. :v3.2.4) or a digest (@sha256:…)' };
  }
  const img = stackImages(v);
  const server = parseImageRef(img.immich_server).tag;
  const ml = parseImageRef(img.immich_ml).tag;
  if (!server) return { key: 'images', message: `images.immich_server "${img.immich_server}" has no tag: it gives IMMICH_VERSION`, fix: 'write it as <image>:<version>[@digest]' };
  // The machine-learning image may add a hardware suffix to the same version (v3.2.4-openvino).
  if (!ml || (ml !== server && !ml.startsWith(`${server}-`))) {
    return { key: 'images', message: `immich_server is ${server} but immich_ml is ${ml ?? 'untagged'}: Immich's two images must be the same version`, fix: `use immich-machine-learning:${server}` };
  }
  const bad = v.stack_profiles.filter((p) => !(PROFILES as readonly string[]).includes(p));
  if (bad.length) return { key: 'stack_profiles', message: `unknown part ${bad.map((b) => `"${b}"`).join(', ')}`, fix: `use some of: ${PROFILES.join(', ')}` };
  if (enabledProfiles(v).length === 0) return { key: 'stack_profiles', message: 'no part of the stack is enabled', fix: `list at least one of: ${PROFILES.join(', ')}` };
  if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(v.domain)) {
    return { key: 'domain', message: `"${v.domain}" is not a domain name`, fix: 'lower-case letters, digits, dots and dashes, e.g. home.arpa' };
  }
  for (const key of ['appdata_dir', 'compose_dir', 'traefik_dir', 'traefik_access_log', 'media_dir', 'photos_dir', 'immich_db_dir', 'monitoring_dir', 'prometheus_data_dir', 'grafana_data_dir'] as const) {
    if (!isAbsolute(v[key]) || v[key].length < 2 || /[\s$'"`\\]/.test(v[key])) return { key, message: `"${v[key]}" is not an absolute path without spaces or quotes`, fix: 'e.g. /mnt/tank/appdata' };
  }
  for (const key of ['jellyfin_quicksync', 'immich_quicksync'] as const) {
    if (!QUICKSYNC.includes(v[key])) return { key, message: `"${v[key]}" is not allowed`, fix: 'use auto, true or false' };
  }
  if (!Number.isInteger(v.stack_health_timeout_seconds) || v.stack_health_timeout_seconds < 10) {
    return { key: 'stack_health_timeout_seconds', message: `${v.stack_health_timeout_seconds} is too short`, fix: 'a whole number of seconds, at least 10 (default 300)' };
  }
  if (!Number.isInteger(v.stack_healthcheck_interval_seconds) || v.stack_healthcheck_interval_seconds < 10 || v.stack_healthcheck_interval_seconds > 3600) {
    return { key: 'stack_healthcheck_interval_seconds', message: `${v.stack_healthcheck_interval_seconds} is out of range`, fix: 'a whole number of seconds from 10 to 3600 (default 30)' };
  }
  for (const key of ['jellyfin_uid', 'jellyfin_gid'] as const) {
    if (!Number.isInteger(v[key]) || v[key] < 0) return { key, message: `${v[key]} is not a user or group id`, fix: 'a whole number, e.g. 1000' };
  }
  // Prometheus's own duration and size syntax (a number and one unit; Prometheus also takes combinations like 1d12h).
  if (!/^(\d+(ms|s|m|h|d|w|y))+$/.test(v.prometheus_retention_time)) {
    return { key: 'prometheus_retention_time', message: `"${v.prometheus_retention_time}" is not a Prometheus duration`, fix: 'a number and a unit (s, m, h, d, w, y), e.g. 90d' };
  }
  if (!/^\d+(B|KB|MB|GB|TB|PB|EB)$/.test(v.prometheus_retention_size)) {
    return { key: 'prometheus_retention_size', message: `"${v.prometheus_retention_size}" is not a Prometheus size`, fix: 'a whole number and a unit (B, KB, MB, GB, TB), e.g. 8GB' };
  }
  if (parseIPv4(v.node_exporter_services_address) === undefined) {
    return { key: 'node_exporter_services_address', message: `"${v.node_exporter_services_address}" is not an IPv4 address`, fix: "docker0's address on the VM, e.g. 172.17.0.1 (ip -4 addr show docker0)" };
  }
  if (!LOG_LEVELS.includes(v.traefik_log_level)) return { key: 'traefik_log_level', message: `"${v.traefik_log_level}" is not a log level`, fix: `use one of ${LOG_LEVELS.join(', ')}` };
  if (!TLS_MODES.includes(v.tls_mode)) return { key: 'tls_mode', message: `"${v.tls_mode}" is not a TLS mode`, fix: `use ${TLS_MODES.join(' or ')}` };
  if (usesAcme(v)) return validateAcmeDns(v) ?? validateAcmeEnv(v);
  return undefined;
}

/**
 * What the project's .env adds to role traefik's checks: the credentials sit beside the project's own variables, and
 * Compose reads COMPOSE_* and DOCKER_* variables of a .env as its own settings. Values are never quoted in messages.
 */
function validateAcmeEnv(v: V): Problem {
  const own: string[] = Object.values(ENV);
  for (const [name, value] of Object.entries(v.acme_dns_env)) {
    if (own.includes(name) || /^(COMPOSE|DOCKER)_/.test(name)) {
      return { key: 'acme_dns_env', message: `${name} cannot be passed to Traefik: the Compose project's .env uses that name itself (or Compose reads it as a setting)`, fix: 'use the variable names your DNS provider has in lego (go-acme.github.io/lego/dns)' };
    }
    if (typeof value !== 'string' || /[\n\r']/.test(value)) {
      return { key: 'acme_dns_env', message: `the value of ${name} has a quote or a line break, which the Compose project's .env cannot hold`, fix: `check ${name} in .env` };
    }
  }
  return undefined;
}
