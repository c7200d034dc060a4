/** playbooks/restore-drill.ts: the monthly restore drill, run now. The backup role must have converged on the host. */
import { defineRole } from '../../lib/api/role.ts';
import { reportSummary, runNowStep } from './run-now.ts';
import { HOST_LAYOUT } from './settings.ts';

export const restoreDrill = defineRole({
  name: 'restore-drill',
  description: 'Restores a sample of every backup set and the latest Immich database dump into a temporary directory, compares checksums, loads the dump into a throwaway Postgres',
  hosts: 'services',
  defaults: {},
  docs: {},
  steps: () => [runNowStep('drill', HOST_LAYOUT)],
  summary: (_v, facts) => reportSummary(facts.hostname),
});
