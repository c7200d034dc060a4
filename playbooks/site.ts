#!/usr/bin/env -S npx zx
import { main } from '../lib/cli/playbook.ts';
import { allRoles, siteRoles } from '../roles/index.ts';

await main({
  name: 'site',
  description: 'Installs everything: every role in order, on the hosts of its inventory group.',
  roles: siteRoles,
  allRoles,
});
