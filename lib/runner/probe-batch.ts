import { randomBytes } from 'node:crypto';
import type { ProbeResult } from '../api/step.ts';
import type { Connector } from '../connectors/connector.ts';

/** Runs many steps' probes in one remote command and splits the output back per probe. */
export async function runProbes(conn: Connector, probes: Map<number, string>): Promise<Map<number, ProbeResult>> {
  const results = new Map<number, ProbeResult>();
  if (probes.size === 0) return results;
  const nonce = randomBytes(6).toString('hex');
  const mark = `@@msh-${nonce}`;
  const script = [...probes]
    .map(([id, probe]) => `printf '%s\\n' '${mark}:${id}'\n(\n${probe}\n)\nprintf '\\n%s:%s\\n' '${mark}:${id}' "$?"`)
    .join('\n');
  const res = await conn.run(script);
  const re = new RegExp(`${mark}:(\\d+)\\n([\\s\\S]*?)\\n${mark}:\\1:(\\d+)\\n`, 'g');
  for (const m of res.stdout.matchAll(re)) {
    results.set(Number(m[1]), { stdout: m[2] ?? '', code: Number(m[3]) });
  }
  const missing = [...probes.keys()].filter((id) => !results.has(id));
  if (missing.length > 0) {
    throw new Error(`probing the host failed (exit ${res.code}): ${res.stderr.trim().split('\n').slice(-5).join('; ') || 'no output'}`);
  }
  return results;
}
