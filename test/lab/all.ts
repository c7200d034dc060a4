/**
 * `npm run test:lab`, in the order that needs the fewest lab boots (a TCG VM takes minutes to boot): the lab's own
 * tests (which bring it up from nothing and down), then the harness on fresh hosts, kept up, then the other lab tests
 * (lock-out guard, disk safety, a failed deploy) on the converged hosts, then down. Each part prints its own
 * "N passed, N failed" line (.ci/run sums them); the exit code is non-zero when any part failed.
 */
import { spawn } from 'node:child_process';
import { seconds } from './exec.ts';

const root = new URL('../..', import.meta.url).pathname;

function part(args: string[]): Promise<number> {
  process.stdout.write(`\n== ${args.join(' ')}\n`);
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: root, stdio: 'inherit' });
    child.on('close', (code) => {
      process.stdout.write(`== ${args.join(' ')}: exit ${code}, ${seconds(started)}\n`);
      resolve(code ?? 1);
    });
  });
}

let failed = 0;
failed += (await part(['test/run.ts', '--lab', 'test/lab/lab.test.ts'])) === 0 ? 0 : 1;
failed += (await part(['test/lab/harness.ts', '--keep'])) === 0 ? 0 : 1;
failed += (await part(['test/run.ts', '--lab', '!test/lab/lab.test.ts'])) === 0 ? 0 : 1;
// Not a test: what the parts above left running.
if ((await part(['test/lab/down.ts'])) !== 0) failed += 1;
process.exitCode = failed > 0 ? 1 : 0;
