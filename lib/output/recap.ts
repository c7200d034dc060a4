import type { HostRecap } from '../runner/events.ts';
import { style } from './style.ts';

/** The end-of-run table, one row per host. */
export function formatRecap(recap: HostRecap[], exitCode: number, seconds: number): string {
  const header = ['host', 'ok', 'changed', 'failed', 'skipped', 'unreachable', 'time'];
  const rows = recap.map((r) => [r.host, String(r.ok), String(r.changed), String(r.failed), String(r.skipped), r.unreachable ? '1' : '0', `${r.seconds.toFixed(1)}s`]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const colour = (r: HostRecap, text: string) => (r.failed > 0 || r.unreachable ? style.red(text) : r.changed > 0 ? style.yellow(text) : style.green(text));
  const verdict = exitCode === 0 ? style.green('ok') : exitCode === 4 ? style.red('host unreachable') : style.red('failed');
  return [
    style.bold('RECAP'),
    line(header),
    ...recap.map((r, i) => colour(r, line(rows[i]!))),
    `${verdict} in ${seconds.toFixed(1)}s (exit ${exitCode})`,
  ].join('\n');
}
