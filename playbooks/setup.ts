#!/usr/bin/env -S npx zx
/** First-time setup wizard: writes inventory/hosts.yml and .env. See `npx zx playbooks/setup.ts --help`. */
import { main } from './setup/main.ts';

const at = process.argv.findIndex((a, i) => i > 0 && (a.endsWith('/setup.ts') || a === 'setup.ts'));
await main(process.argv.slice(at >= 0 ? at + 1 : 2));
