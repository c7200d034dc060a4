import type { Emit, RunEvent } from '../runner/events.ts';
import { formatRecap } from './recap.ts';
import { formatSummaries } from './summaries.ts';
import { colourDiff, style } from './style.ts';

/** One line per event: for CI, pipes and logs. */
export function plainRenderer(write: (line: string) => void, verbosity: number): Emit {
  const summaries: Extract<RunEvent, { type: 'summary' }>[] = [];
  return (e: RunEvent) => {
    switch (e.type) {
      case 'run-start':
        write(playHeader(e.playbook, e.checkMode, e.hosts));
        break;
      case 'host-start':
        if (verbosity > 0) write(`[${e.host}] connecting to ${e.target}`);
        break;
      case 'host-unreachable':
        write(style.red(`[${e.host}] UNREACHABLE: ${e.message}`));
        break;
      case 'host-error':
        write(style.red(`[${e.host}] FAILED before any step: ${e.message}`));
        break;
      case 'role-start':
        write(style.bold(`[${e.host}] ${e.role}`));
        break;
      case 'step': {
        const label = { ok: style.green('ok'), changed: style.yellow('changed'), skipped: style.dim('skipped'), failed: style.red('FAILED') }[e.status];
        const detail = e.message ? `: ${e.message}` : '';
        if (e.status === 'ok' && verbosity === 0) write(`[${e.host}]   ${e.title} … ${label}`);
        else write(`[${e.host}]   ${e.title} … ${label}${detail}${verbosity > 1 ? style.dim(` (${e.ms} ms)`) : ''}`);
        if (e.diff) write(indent(colourDiff(e.diff.trimEnd())));
        break;
      }
      case 'role-end':
        if (verbosity > 1) write(style.dim(`[${e.host}]   ${e.role}: ${plural(e.cost.roundTrips, 'round trip')}, ${plural(e.cost.connections, 'new connection')} (${e.cost.seconds.toFixed(1)} s)`));
        break;
      case 'handler':
        write(`[${e.host}]   handler ${e.name} … ${e.status === 'failed' ? style.red('FAILED') : e.status === 'changed' ? style.yellow('ran') : style.dim('skipped')}${e.message ? `: ${e.message}` : ''}`);
        break;
      case 'log':
        if (verbosity >= e.level) write(style.dim(`[${e.host}]   ${e.message}`));
        break;
      case 'run-end':
        write('');
        write(formatRecap(e.recap, e.exitCode, e.seconds));
        if (summaries.length > 0) write(`\n${formatSummaries(summaries)}`);
        break;
      case 'summary':
        summaries.push(e);
        break;
      default:
        break;
    }
  };
}

export function playHeader(playbook: string, checkMode: boolean, hosts: string[]): string {
  return style.bold(`PLAY ${playbook}${checkMode ? ' (check mode: nothing will be changed)' : ''} on ${hosts.join(', ')}`);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n');
}
