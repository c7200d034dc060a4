/**
 * The subset of the Compose specification (https://github.com/compose-spec/compose-spec/blob/main/spec.md) this project
 * writes, as TypeScript types. Field names are the spec's own (snake_case), so a model renders to YAML as is.
 * Strings are Compose strings: `${NAME}` is interpolated from the project's .env; a literal `$` must be written `$$`.
 */

export interface ComposeFile {
  /** The project name (`docker compose` uses it unless -p overrides it). */
  name: string;
  services: Record<string, ComposeService>;
  networks?: Record<string, ComposeNetwork>;
  volumes?: Record<string, ComposeVolume>;
}

export type RestartPolicy = 'no' | 'always' | 'on-failure' | 'unless-stopped';

export interface ComposeService {
  image: string;
  container_name?: string;
  profiles?: string[];
  restart?: RestartPolicy;
  /** Overrides the image's CMD; a list, so no shell parsing is involved. */
  command?: string[];
  user?: string;
  group_add?: (string | number)[];
  environment?: Record<string, string>;
  /** Published ports: reachable from outside the host. */
  ports?: ComposePort[];
  /** Ports other containers on a shared network may use; nothing is published. */
  expose?: string[];
  volumes?: ComposeMount[];
  devices?: string[];
  networks?: string[];
  labels?: Record<string, string>;
  healthcheck?: ComposeHealthcheck;
  depends_on?: Record<string, { condition: 'service_started' | 'service_healthy' | 'service_completed_successfully' }>;
  security_opt?: string[];
  shm_size?: string;
  /** "host": the container shares the host's network stack (then it has no networks and exposes nothing). */
  network_mode?: 'host';
  /** "host": the container sees the host's processes. */
  pid?: 'host';
  logging?: { driver: string; options?: Record<string, string> };
}

export interface ComposePort {
  target: number;
  published: string;
  protocol: 'tcp' | 'udp';
  /** Absent: every address of the host (0.0.0.0 and ::). */
  host_ip?: string;
}

export type ComposeMount =
  | { type: 'bind'; source: string; target: string; read_only?: boolean; bind?: { propagation?: 'rslave' | 'rprivate' } }
  | { type: 'volume'; source: string; target: string; read_only?: boolean };

export interface ComposeHealthcheck {
  /** ["CMD", exe, args…] runs without a shell; ["CMD-SHELL", "script"] runs with /bin/sh -c. */
  test: ['CMD', ...string[]] | ['CMD-SHELL', string];
  interval: string;
  timeout: string;
  retries: number;
  start_period: string;
  /** Probe interval during start_period (Docker Engine 25+). */
  start_interval?: string;
}

export interface ComposeNetwork {
  /** The engine-level name; without it Compose uses "<project>_<key>". */
  name?: string;
  driver?: string;
  /** No route out of the network: containers on it reach only each other. */
  internal?: boolean;
}

export type ComposeVolume = Record<string, never>;
