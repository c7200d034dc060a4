#!/usr/bin/env -S npx zx
import { main } from '../lib/cli/playbook.ts';
import { allRoles } from '../roles/index.ts';
import { zfs } from '../roles/zfs/index.ts';

await main({ name: 'zfs', description: 'Reruns the zfs role: the pool, its datasets, ARC cap, snapshots, scrub and sharing to the VM.', roles: [zfs], allRoles });
