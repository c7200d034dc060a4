#!/usr/bin/env -S npx zx
import { main } from '../lib/cli/playbook.ts';
import { hardening } from '../roles/hardening/index.ts';
import { allRoles } from '../roles/index.ts';

await main({ name: 'hardening', description: 'Reruns the hardening role: SSH keys only, firewall, Fail2ban, security updates.', roles: [hardening], allRoles });
