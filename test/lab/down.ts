/** Brings the lab down (what `npx zx playbooks/lab.ts down` does), for scripts. */
import { down } from './lab.ts';

const res = await down({ log: (l) => process.stdout.write(`  ${l}\n`) });
process.stdout.write(`lab down in ${res.seconds.toFixed(1)}s\n`);
