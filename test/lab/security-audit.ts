/**
 * Measures what the hardening role does for the lab's `services` host: ssh-audit (from the controller) and Lynis
 * (inside the host), before and after the role. Prints the figures the README's security section quotes.
 * Usage (root): node --import tsx test/lab/security-audit.ts
 */
import { spawnCollect } from '../../lib/connectors/process.ts';
import { defaultLabConfig, down, up } from './lab.ts';
import { findHost, hostAddress } from './config.ts';

const cfg = defaultLabConfig;
const host = findHost(cfg, 'services')!;
const address = hostAddress(cfg, host);
const out = (l: string) => process.stdout.write(`${l}\n`);

async function labSsh(command: string): Promise<string> {
  const r = await spawnCollect('npx', ['zx', 'playbooks/lab.ts', 'ssh', 'services', '--', command], { timeoutMs: 900_000 });
  return r.stdout + r.stderr;
}

async function measure(): Promise<{ fail: number; warn: number; lynis: string }> {
  const audit = await spawnCollect('ssh-audit', ['-n', address], { timeoutMs: 120_000 });
  const lines = audit.stdout.split('\n');
  const fail = lines.filter((l) => /\[fail\]/.test(l)).length;
  const warn = lines.filter((l) => /\[warn\]/.test(l)).length;
  const report = await labSsh('sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq lynis >/dev/null 2>&1; sudo lynis audit system --quick --no-colors 2>/dev/null | grep -i "hardening index"');
  const lynis = /Hardening index\s*:\s*(\d+)/i.exec(report)?.[1] ?? `? (${report.trim().slice(-200)})`;
  return { fail, warn, lynis };
}

async function converge(role: string): Promise<void> {
  const r = await spawnCollect('npx', ['zx', `playbooks/${role}.ts`, '-i', cfg.inventoryFile], { env: { ...process.env, CI: 'true' }, timeoutMs: 900_000 });
  if (r.code !== 0) throw new Error(`${role} failed: ${r.stdout.slice(-2000)}`);
}

await up({ reset: true, log: (l) => out(`  ${l}`) });
try {
  await converge('base');
  const before = await measure();
  await converge('hardening');
  const after = await measure();
  out('');
  out('| services (Debian 13, lab) | before hardening | after hardening |');
  out('|---|---|---|');
  out(`| ssh-audit: failures | ${before.fail} | ${after.fail} |`);
  out(`| ssh-audit: warnings | ${before.warn} | ${after.warn} |`);
  out(`| Lynis hardening index | ${before.lynis} | ${after.lynis} |`);
} finally {
  await down({});
}
