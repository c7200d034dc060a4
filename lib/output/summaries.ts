import type { RunEvent } from '../runner/events.ts';
import { style } from './style.ts';

type SummaryEvent = Extract<RunEvent, { type: 'summary' }>;

/** The roles' summaries, printed after the recap: one block per role, identical lines of several hosts shown once. */
export function formatSummaries(events: SummaryEvent[]): string {
  const byRole = new Map<string, { hosts: string[]; lines: string[] }>();
  for (const e of events) {
    const block = byRole.get(e.role) ?? { hosts: [], lines: [] };
    block.hosts.push(e.host);
    for (const line of e.lines) if (!block.lines.includes(line)) block.lines.push(line);
    byRole.set(e.role, block);
  }
  return [...byRole].map(([role, b]) => [style.bold(`${role} (${[...b.hosts].sort().join(', ')})`), ...b.lines].join('\n')).join('\n\n');
}
