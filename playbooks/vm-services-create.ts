#!/usr/bin/env -S npx zx
import { main } from '../lib/cli/playbook.ts';
import { allRoles } from '../roles/index.ts';
import { vmServicesCreate } from '../roles/vm-services/index.ts';

await main({ name: 'vm-services-create', description: 'Reruns only the Proxmox side of the services VM: image, qm create or reconcile, start, wait for SSH.', roles: [vmServicesCreate], allRoles });
