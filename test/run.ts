/**
 * Runs every test file under test/ (uvu) and ends with the line "N passed, N failed", which uvu does not print.
 * Usage: node --import tsx test/run.ts [--lab] [dir-or-pattern | !pattern-to-leave-out]
 * test/lab/ (the lab's own tests, which start containers and VMs) runs only with --lab, and then only it.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { seconds } from './lab/exec.ts';

const root = new URL('..', import.meta.url).pathname;
const lab = process.argv.includes('--lab');
const filter = process.argv.slice(2).find((a) => a !== '--lab');

function findTests(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'lab' && !lab ? [] : findTests(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

const files = findTests(join(root, 'test'))
  .map((f) => relative(root, f))
  .filter((f) => (lab ? f.startsWith('test/lab/') : true) && (!filter || (filter.startsWith('!') ? !f.includes(filter.slice(1)) : f.includes(filter))))
  .sort();

let passed = 0;
let failed = 0;
for (const file of files) {
  const started = Date.now();
  // One process per file: suites that start servers or change global state cannot leak into each other.
  const output = await new Promise<{ code: number; text: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (b: Buffer) => {
      text += b;
      process.stdout.write(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      text += b;
      process.stderr.write(b);
    });
    child.on('close', (code) => resolve({ code: code ?? 1, text }));
  });
  // uvu prints "Total: N" and "Passed: N" per file.
  const plain = output.text.replace(/\x1b\[[0-9;]*m/g, '');
  const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  const ok = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  const skipped = Number(/Skipped:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  passed += ok;
  const fileFailed = Math.max(total - ok - skipped, 0) + (output.code !== 0 && total - ok - skipped === 0 ? 1 : 0);
  failed += fileFailed;
  process.stdout.write(`${fileFailed === 0 ? 'PASS' : 'FAIL'} ${file} (${seconds(started)})\n`);
}
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exitCode = failed > 0 || files.length === 0 ? 1 : 0;
