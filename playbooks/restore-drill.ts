#!/usr/bin/env -S npx zx
import { main } from '../lib/cli/playbook.ts';
import { restoreDrill } from '../roles/backup/drill.ts';
import { allRoles } from '../roles/index.ts';

await main({
  name: 'restore-drill',
  description: 'Runs the restore drill now on the services host (the unit its monthly timer starts) and prints its report; exits 2 when anything does not match.',
  roles: [restoreDrill],
  allRoles,
});
