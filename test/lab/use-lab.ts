/** For a lab test suite: the lab is brought up before it (if it is not up yet) and, if the suite started it, down after. */
import type { Test } from 'uvu';
import { defaultLabConfig, down, isRunning, up } from './lab.ts';

export function useLab(t: Test, cleanup: () => Promise<unknown> = async () => undefined): void {
  let startedHere = false;
  t.before(async () => {
    startedHere = !defaultLabConfig.hosts.every((h) => isRunning(h.name));
    // uvu does not report an error thrown by a hook: print it, or the suite ends as 0 passed with no reason.
    await up({}).catch((e: Error) => {
      console.error(`lab up failed: ${e.message}`);
      throw e;
    });
  });
  t.after(async () => {
    await cleanup();
    if (startedHere) await down({});
  });
}
