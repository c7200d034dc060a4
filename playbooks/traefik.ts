#!/usr/bin/env -S npx zx
import { main } from '../lib/cli/playbook.ts';
import { allRoles } from '../roles/index.ts';
import { traefik } from '../roles/traefik/index.ts';

await main({ name: 'traefik', description: "Reruns the traefik role: Traefik's dynamic configuration, the local CA and the certificate.", roles: [traefik], allRoles });
