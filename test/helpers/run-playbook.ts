import { spawnCollect } from '../../lib/connectors/process.ts';

/** Runs a playbook the way a user does (`npx zx playbooks/<name>.ts ...`), as a real child process. */
export function runPlaybookCli(name: string, args: string[], env: Record<string, string> = {}) {
  return spawnCollect('npx', ['zx', `playbooks/${name}.ts`, ...args], {
    env: { ...process.env, CI: 'true', NO_COLOR: '1', ...env },
    timeoutMs: 600_000,
  });
}
