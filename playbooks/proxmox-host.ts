#!/usr/bin/env -S npx zx
import { main } from '../lib/cli/playbook.ts';
import { allRoles } from '../roles/index.ts';
import { proxmoxHost } from '../roles/proxmox-host/index.ts';

await main({ name: 'proxmox-host', description: 'Reruns the proxmox-host role: repositories, updates (--upgrade), iGPU/IOMMU kernel options, node-exporter.', roles: [proxmoxHost], allRoles });
