import { parseArgs } from 'node:util';
import { InputError } from '../errors.ts';
import { closest } from '../inventory/suggest.ts';
import type { RunOptions } from '../runner/options.ts';
import type { ExtraFlag } from '../api/role.ts';

export type { ExtraFlag };

const FLAGS = {
  inventory: { type: 'string', short: 'i' },
  secrets: { type: 'string', short: 'e' },
  // Kept for existing scripts; Node.js 20 itself reads `--env-file` (and stops when the file does not exist).
  'env-file': { type: 'string' },
  check: { type: 'boolean', short: 'C' },
  diff: { type: 'boolean', short: 'D' },
  tags: { type: 'string', short: 't', multiple: true },
  'skip-tags': { type: 'string', multiple: true },
  limit: { type: 'string', short: 'l', multiple: true },
  'start-at': { type: 'string' },
  verbose: { type: 'boolean', short: 'v', multiple: true },
  json: { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  forks: { type: 'string', short: 'f' },
  'log-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const FLAG_HELP: [string, string][] = [
  ['-i, --inventory <file>', 'inventory to use (default inventory/hosts.yml)'],
  ['-e, --secrets <file>', 'secrets file (default .env; must be mode 0600); --env-file also works for a file that exists'],
  ['-C, --check', 'change nothing; report exactly what would change'],
  ['-D, --diff', 'show file diffs of what changes (with --check: what would change)'],
  ['-t, --tags <a,b>', 'run only steps with these tags (a role name is a tag)'],
  ['    --skip-tags <a,b>', 'skip steps with these tags'],
  ['-l, --limit <host|group>', 'run only on these hosts or groups (comma-separated)'],
  ['    --start-at <step>', 'start at the step with this title ("role:title" also works)'],
  ['-v, -vv', 'more output: -v step details, -vv timings'],
  ['    --json', 'print events as JSON lines instead of the progress view'],
  ['-y, --yes', 'answer yes to confirmations (they still name their target in the log)'],
  ['-f, --forks <n>', 'hosts to run at once (default 5)'],
  ['    --log-dir <dir>', 'where the JSON-lines run logs go (default logs/)'],
  ['-h, --help', 'this help'],
];

const list = (values: string[] | undefined) => (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);

export function parseCli(argv: string[], extra: ExtraFlag[] = []): RunOptions & { help: boolean } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = { ...FLAGS };
  for (const f of extra) options[f.name] = { type: f.type, multiple: f.multiple ?? false };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (err) {
    const msg = (err as Error).message;
    const flag = /'(-{1,2}[^' ]+)/.exec(msg)?.[1];
    const hint = flag ? closest(flag.replace(/^-+/, ''), Object.keys(options)) : undefined;
    throw new InputError(`bad command line: ${msg.split('\n')[0]}`, undefined, hint ? `did you mean --${hint}? (see --help)` : 'see --help for the flags');
  }
  const v = parsed.values as Record<string, string | boolean | (string | boolean)[] | undefined>;
  const forksText = (v.forks as string | undefined) ?? '5';
  const forks = Number(forksText);
  if (!Number.isInteger(forks) || forks < 1) throw new InputError(`--forks ${forksText}: not a whole number ≥ 1`, undefined, 'e.g. --forks 5');
  const verbose = ((v.verbose as boolean[] | undefined) ?? []).length;
  const extraValues: RunOptions['extra'] = {};
  for (const f of extra) {
    const value = v[f.name];
    if (value !== undefined) extraValues[f.name] = value as string | boolean | string[];
  }
  return {
    help: v.help === true,
    inventory: (v.inventory as string | undefined) ?? 'inventory/hosts.yml',
    envFile: (v.secrets as string | undefined) ?? (v['env-file'] as string | undefined) ?? '.env',
    check: v.check === true,
    diff: v.diff === true,
    tags: list(v.tags as string[] | undefined),
    skipTags: list(v['skip-tags'] as string[] | undefined),
    limit: list(v.limit as string[] | undefined),
    startAt: v['start-at'] as string | undefined,
    verbosity: Math.min(verbose, 2) as 0 | 1 | 2,
    json: v.json === true,
    yes: v.yes === true,
    forks,
    logDir: (v['log-dir'] as string | undefined) ?? 'logs',
    extra: extraValues,
  };
}
