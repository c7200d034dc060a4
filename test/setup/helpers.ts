/** Shared by the setup wizard's tests: a captured run of runSetup on real temp files. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSetup, type SetupOverrides } from '../../playbooks/setup/main.ts';

export interface Captured {
  code: number;
  out: string;
  err: string;
}

export async function setup(argv: string[], o: SetupOverrides = {}, terminal = false): Promise<Captured> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runSetup(argv, { out: (l) => out.push(l), err: (l) => err.push(l), terminal }, { timezone: 'Europe/Paris', defaultKey: '~/.ssh/id_ed25519', ...o });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

export function workDir(): { dir: string; answers(text: string): string; inv: string; env: string } {
  const dir = mkdtempSync(join(tmpdir(), 'msh-setup-'));
  return {
    dir,
    inv: join(dir, 'inventory', 'hosts.yml'),
    env: join(dir, '.env'),
    answers(text: string) {
      const file = join(dir, 'answers.yml');
      writeFileSync(file, text);
      return file;
    },
  };
}
