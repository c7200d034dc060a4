#!/usr/bin/env -S npx zx
import { main } from '../lib/cli/playbook.ts';
import { allRoles } from '../roles/index.ts';
import { monitoring } from '../roles/monitoring/index.ts';

await main({ name: 'monitoring', description: "Reruns the monitoring role: Prometheus's and Grafana's configuration, the dashboards and the monitoring containers.", roles: [monitoring], allRoles });
