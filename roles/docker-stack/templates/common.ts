import type { ComposeHealthcheck, ComposeService } from '../../../lib/compose/types.ts';

/** Every healthcheck of these services run every `seconds` (and every sixth of it, at least 5 s, while starting). */
export function pacedHealthchecks(services: Record<string, ComposeService>, seconds: number): Record<string, ComposeService> {
  const paced = { interval: `${seconds}s`, start_interval: `${Math.max(5, Math.round(seconds / 6))}s` };
  return Object.fromEntries(Object.entries(services).map(([name, s]) => [name, s.healthcheck ? { ...s, healthcheck: { ...s.healthcheck, ...paced } } : s]));
}

/** What every service gets: restart unless stopped by hand, and rotated logs (json-file keeps `docker logs` working). */
export const COMMON: Pick<ComposeService, 'restart' | 'logging'> = {
  restart: 'unless-stopped',
  logging: { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } },
};

/**
 * A healthcheck probed every 5 s while the service starts (start_interval, Docker Engine 25+) and every 30 s after,
 * so a deploy learns quickly that a container is healthy; three failures in a row make it unhealthy.
 */
export function healthcheck(test: ComposeHealthcheck['test'], startPeriod: string): ComposeHealthcheck {
  return { test, interval: '30s', timeout: '10s', retries: 3, start_period: startPeriod, start_interval: '5s' };
}
