/** The setup wizard's flags and help. */
import { parseArgs } from 'node:util';
import { InputError } from '../../lib/errors.ts';
import { closest } from '../../lib/inventory/suggest.ts';

export interface SetupOptions {
  help: boolean;
  answers?: string;
  inventory: string;
  envFile: string;
  overwrite: boolean;
  offline: boolean;
}

const FLAGS = {
  answers: { type: 'string' },
  inventory: { type: 'string', short: 'i' },
  secrets: { type: 'string', short: 'e' },
  // Kept for symmetry with the playbooks; Node.js 20 itself reads `--env-file` and stops when the file does not exist.
  'env-file': { type: 'string' },
  overwrite: { type: 'boolean' },
  offline: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const FLAG_HELP: [string, string][] = [
  ['    --answers <file.yml>', 'answer from this file, asking nothing (a missing answer takes its default); see inventory/answers.example.yml'],
  ['-i, --inventory <file>', 'the inventory to write (default inventory/hosts.yml)'],
  ['-e, --secrets <file>', 'the secrets file to write (default .env, mode 0600)'],
  ['    --overwrite', 'with --answers: replace an existing file that differs (otherwise the run refuses and shows the diff)'],
  ['    --offline', 'do not connect to the Proxmox host: no connection test, defaults not sized from it, disks typed as by-id paths'],
  ['-h, --help', 'this help'],
];

export function parseSetupArgs(argv: string[]): SetupOptions {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: FLAGS, strict: true, allowPositionals: false });
  } catch (err) {
    const msg = (err as Error).message;
    const flag = /'(-{1,2}[^' ]+)/.exec(msg)?.[1];
    const hint = flag ? closest(flag.replace(/^-+/, ''), Object.keys(FLAGS)) : undefined;
    throw new InputError(`bad command line: ${msg.split('\n')[0]}`, undefined, hint ? `did you mean --${hint}? (see --help)` : 'see --help for the flags');
  }
  const v = parsed.values;
  return {
    help: v.help === true,
    answers: v.answers,
    inventory: v.inventory ?? 'inventory/hosts.yml',
    envFile: v.secrets ?? v['env-file'] ?? '.env',
    overwrite: v.overwrite === true,
    offline: v.offline === true,
  };
}

export function setupHelp(): string {
  const width = Math.max(...FLAG_HELP.map(([f]) => f.length));
  return [
    'Usage: npx zx playbooks/setup.ts [flags]',
    '',
    'First-time setup: asks what a first install needs (the Proxmox host and SSH access, the network, the services VM,',
    "the domain, the time zone, the pool's disks, the parts to install, Tailscale, off-site backups, alerts), checks",
    'it as it goes, and writes the inventory (commented) and .env (mode 0600, generated passwords). An existing file is',
    'never replaced without showing the diff and asking. It ends with the next commands (--check first).',
    '',
    'Flags:',
    ...FLAG_HELP.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`),
    '',
    'Without a terminal (or with CI=true) it asks nothing: pass --answers FILE.',
    'Exit codes: 0 written · 1 bad input (flags, answers file; nothing written) · 2 a file differs and was not replaced',
    '(--answers without --overwrite) · 4 the Proxmox host could not be reached (nothing written) · 130 interrupted',
  ].join('\n');
}
