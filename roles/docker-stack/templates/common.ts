import type { ComposeHealthcheck, ComposeService } from '../../../lib/compose/types.ts';

/** The default of stack_healthcheck_interval_seconds. */
export const HEALTHCHECK_SECONDS = 30;

/** A healthcheck run every `seconds`, and every sixth of it (at least 5 s) while the service starts. */
function healthcheckPace(seconds: number): Pick<ComposeHealthcheck, 'interval' | 'start_interval'> {
  return { interval: `${seconds}s`, start_interval: `${Math.max(5, Math.round(seconds / 6))}s` };
}

/** Every healthcheck of these services paced by healthcheckPace(seconds). */
export function pacedHealthchecks(services: Record<string, ComposeService>, seconds: number): Record<string, ComposeService> {
  const paced = healthcheckPace(seconds);
  return Object.fromEntries(Object.entries(services).map(([name, s]) => [name, s.healthcheck ? { ...s, healthcheck: { ...s.healthcheck, ...paced } } : s]));
}

/** What every service gets: restart unless stopped by hand, and rotated logs (json-file keeps `docker logs` working). */
export const COMMON: Pick<ComposeService, 'restart' | 'logging'> = {
  restart: 'unless-stopped',
  logging: { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } },
};

/**
 * A healthcheck at the default pace, every 5 s while the service starts (start_interval, Docker Engine 25+) and every
 * 30 s after, so a deploy learns quickly that a container is healthy; three failures in a row make it unhealthy.
 * composeFile re-paces them all from stack_healthcheck_interval_seconds.
 */
export function healthcheck(test: ComposeHealthcheck['test'], startPeriod: string): ComposeHealthcheck {
  const { interval, start_interval } = healthcheckPace(HEALTHCHECK_SECONDS);
  return { test, interval, timeout: '10s', retries: 3, start_period: startPeriod, start_interval };
}
