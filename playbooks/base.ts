#!/usr/bin/env -S npx zx
import { main } from '../lib/cli/playbook.ts';
import { base } from '../roles/base/index.ts';
import { allRoles } from '../roles/index.ts';

await main({ name: 'base', description: 'Reruns the base role: time zone, base packages, cron and journald settings.', roles: [base], allRoles });
