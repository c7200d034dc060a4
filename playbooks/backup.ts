#!/usr/bin/env -S npx zx
import { main } from '../lib/cli/playbook.ts';
import { backup } from '../roles/backup/index.ts';
import { allRoles } from '../roles/index.ts';

await main({
  name: 'backup',
  description: 'Reruns the backup role: restic, its repositories and password, the backup, check and drill timers; --now <schedule> runs one now.',
  roles: [backup],
  allRoles,
});
