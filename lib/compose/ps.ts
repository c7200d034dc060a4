/**
 * Reading `docker compose ps --all --format json` and `docker compose config --hash '*'`.
 * Compose before 2.21 prints one JSON array; later versions print one JSON object per line. The fields are the
 * ContainerContext ones of Compose's cmd/formatter/container.go: Labels is one "k=v,k=v" string there (an object in
 * some versions), Health is "" for a container without a healthcheck.
 */

export interface ComposeContainer {
  name: string;
  service: string;
  project: string;
  /** created, running, restarting, paused, exited, removing, dead. */
  state: string;
  /** healthy, unhealthy, starting, or "" when the container has no healthcheck. */
  health: string;
  exitCode: number;
  labels: Record<string, string>;
  publishers: { url: string; targetPort: number; publishedPort: number; protocol: string }[];
}

export const CONFIG_HASH_LABEL = 'com.docker.compose.config-hash';
/** The image ID Compose created the container from (set by Compose v2 for its recreate decision). */
export const IMAGE_ID_LABEL = 'com.docker.compose.image';

export function parseComposePs(output: string): ComposeContainer[] {
  const text = output.trim();
  if (text === '') return [];
  let rows: unknown[];
  try {
    rows = text.startsWith('[') ? (JSON.parse(text) as unknown[]) : text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown);
  } catch {
    throw new Error(`docker compose ps printed something that is not JSON: ${text.split('\n')[0]?.slice(0, 200)}`);
  }
  return rows.map(toContainer);
}

function toContainer(row: unknown): ComposeContainer {
  const r = (row ?? {}) as Record<string, unknown>;
  const str = (k: string) => (typeof r[k] === 'string' ? (r[k] as string) : '');
  const publishers = Array.isArray(r['Publishers']) ? (r['Publishers'] as Record<string, unknown>[]) : [];
  return {
    name: str('Name'),
    service: str('Service'),
    project: str('Project'),
    state: str('State'),
    health: str('Health'),
    exitCode: typeof r['ExitCode'] === 'number' ? r['ExitCode'] : 0,
    labels: parseLabels(r['Labels']),
    publishers: publishers.map((p) => ({
      url: String(p['URL'] ?? ''),
      targetPort: Number(p['TargetPort'] ?? 0),
      publishedPort: Number(p['PublishedPort'] ?? 0),
      protocol: String(p['Protocol'] ?? ''),
    })),
  };
}

/** Labels as an object, or from the "k=v,k=v" string (a value may hold commas: split only before a "key="). */
export function parseLabels(labels: unknown): Record<string, string> {
  if (labels && typeof labels === 'object') {
    return Object.fromEntries(Object.entries(labels as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
  }
  if (typeof labels !== 'string' || labels === '') return {};
  const out: Record<string, string> = {};
  for (const part of labels.split(/,(?=[A-Za-z0-9][A-Za-z0-9._\/-]*=)/)) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/** `docker compose config --hash '*'`: one "service hash" line per service of the active profiles. */
export function parseConfigHashes(output: string): Map<string, string> {
  const hashes = new Map<string, string>();
  for (const line of output.split('\n')) {
    const m = /^(\S+)\s+([0-9a-f]{16,})$/.exec(line.trim());
    if (m) hashes.set(m[1]!, m[2]!);
  }
  return hashes;
}
