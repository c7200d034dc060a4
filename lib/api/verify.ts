import type { RunResult } from '../connectors/connector.ts';
import { shq } from '../connectors/shell.ts';

/**
 * A read-only assertion about a converged host, run by the lab harness after a role (our Molecule "verify").
 * `expect` returns undefined when the host is right, else what is wrong.
 */
export interface VerifyCheck {
  title: string;
  script: string;
  expect(result: RunResult): string | undefined;
  /** Skip on hosts where this holds, saying why (e.g. a feature the lab cannot run). */
  skipUnless?: { script: string; reason: string };
}

const output = (r: RunResult) => (r.stdout + r.stderr).trim().split('\n').slice(-5).join(' | ');

export function commandSucceeds(title: string, script: string): VerifyCheck {
  return { title, script, expect: (r) => (r.code === 0 ? undefined : `exit ${r.code}: ${output(r)}`) };
}

export function outputMatches(title: string, script: string, pattern: RegExp): VerifyCheck {
  return {
    title,
    script,
    expect: (r) => (r.code !== 0 ? `exit ${r.code}: ${output(r)}` : pattern.test(r.stdout) ? undefined : `output ${JSON.stringify(r.stdout.trim().slice(0, 200))} does not match ${pattern}`),
  };
}

export function fileContains(path: string, text: string): VerifyCheck {
  return {
    title: `${path} contains ${JSON.stringify(text)}`,
    script: `cat ${shq(path)}`,
    expect: (r) => (r.code !== 0 ? `cannot read ${path}: ${output(r)}` : r.stdout.includes(text) ? undefined : `${path} does not contain ${JSON.stringify(text)}`),
  };
}

export function serviceActive(unit: string): VerifyCheck {
  return outputMatches(`${unit} is active`, `systemctl is-active ${shq(unit)} || true`, /^active$/m);
}

export function portListening(port: number, proto: 'tcp' | 'udp' = 'tcp'): VerifyCheck {
  return outputMatches(`${proto} port ${port} is listening`, `ss -Hln${proto === 'tcp' ? 't' : 'u'} 'sport = :${port}'`, new RegExp(`:${port}\\b`));
}
