#!/usr/bin/env -S npx zx
import { main } from '../lib/cli/playbook.ts';
import { dockerStack } from '../roles/docker-stack/index.ts';
import { allRoles } from '../roles/index.ts';

await main({ name: 'docker-stack', description: 'Reruns the docker-stack role: the Compose project rendered, validated and deployed until every container is healthy.', roles: [dockerStack], allRoles });
