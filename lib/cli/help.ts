import type { Role } from '../api/role.ts';
import { FLAG_HELP, type ExtraFlag } from './args.ts';

export function helpText(name: string, description: string, roles: Role[], extra: ExtraFlag[]): string {
  const flags = [...FLAG_HELP, ...extra.map((f): [string, string] => [`    --${f.name}${f.type === 'string' ? ' <value>' : ''}`, f.description])];
  const width = Math.max(...flags.map(([f]) => f.length));
  return [
    `Usage: npx zx playbooks/${name}.ts [flags]`,
    '',
    description,
    '',
    'Roles, in order:',
    ...roles.map((r) => `  ${r.name.padEnd(14)} on group "${r.hosts}": ${r.description}`),
    '',
    'Flags:',
    ...flags.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`),
    '',
    'Exit codes: 0 ok · 1 bad input (nothing ran) · 2 a step failed · 4 a host was unreachable',
    'Every run is logged as JSON lines under logs/. Secrets from .env never appear in output or logs.',
  ].join('\n');
}
