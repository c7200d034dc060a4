/** The openssl command line on the controller: node:crypto makes keys and reads certificates, but cannot sign them. */
import { spawnCollect } from '../connectors/process.ts';

/** Runs `openssl <args>` without a shell; throws saying what failed (and how to install openssl when it is missing). */
export async function openssl(args: string[], what: string): Promise<string> {
  let res;
  try {
    res = await spawnCollect('openssl', args, { timeoutMs: 60_000 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`${what}: the openssl command is not installed on this machine (the controller): install it (Debian/Ubuntu: apt-get install openssl)`);
    }
    throw e;
  }
  if (res.code !== 0) {
    const detail = res.stderr.trim().split('\n').slice(-4).join('; ');
    throw new Error(`${what}: openssl ${args[0]} failed (exit ${res.code})${detail ? `: ${detail}` : ''}`);
  }
  return res.stdout;
}

/** `-subj` text for a subject with only a common name; openssl reads / + = as separators unless escaped. */
export function subjectWithCn(commonName: string): string {
  return `/CN=${commonName.replace(/[\\/+=]/g, (c) => `\\${c}`)}`;
}
