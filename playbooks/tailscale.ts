#!/usr/bin/env -S npx zx
import { main } from '../lib/cli/playbook.ts';
import { allRoles } from '../roles/index.ts';
import { tailscale } from '../roles/tailscale/index.ts';

await main({ name: 'tailscale', description: 'Reruns the tailscale role: install from its apt repository, join the tailnet once.', roles: [tailscale], allRoles });
