import { defineRole } from '../../lib/api/role.ts';
import { defaults, docs } from './defaults.ts';
import { deployStep, engineStep, pullStep, validateStep } from './deploy.ts';
import { directorySteps } from './directories.ts';
import { composeFileStep, envFileStep, type PendingFiles } from './files.ts';
import { validateDockerStack } from './settings.ts';
import { verifyDockerStack } from './verify.ts';

export const dockerStack = defineRole({
  name: 'docker-stack',
  description: 'The Compose project media-server: Traefik, Jellyfin, Immich (server, machine learning, Valkey, Postgres), deployed and healthy',
  hosts: 'services',
  defaults,
  docs,
  validate: validateDockerStack,
  steps: (v) => {
    const pending: PendingFiles = new Set();
    return [engineStep(), ...directorySteps(v), envFileStep(v, pending), composeFileStep(v, pending), validateStep(v), pullStep(v), deployStep(v, pending)];
  },
  verify: verifyDockerStack,
});
