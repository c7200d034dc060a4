#!/usr/bin/env -S npx zx
import { main } from '../lib/cli/playbook.ts';
import { allRoles } from '../roles/index.ts';
import { vmServices, vmServicesCreate } from '../roles/vm-services/index.ts';

await main({
  name: 'vm-services',
  description: 'Reruns the services VM: created or reconciled on the Proxmox host (vm-services-create), then configured inside (vm-services).',
  roles: [vmServicesCreate, vmServices],
  allRoles,
});
