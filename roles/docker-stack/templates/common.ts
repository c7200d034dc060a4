import type { ComposeHealthcheck, ComposeService } from '../../../lib/compose/types.ts';

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
