/** The harness's table: one row per role, one column per phase, then the closing count line. */
export type PhaseResult = { status: 'pass' | 'fail' | 'skip'; detail?: string; seconds?: number };

export const PHASES = ['converge', 'idempotence', 'verify', 'check'] as const;
export type Phase = (typeof PHASES)[number];

export interface RoleResult {
  role: string;
  phases: Partial<Record<Phase, PhaseResult>>;
}

export function formatTable(results: RoleResult[]): string {
  const cell = (r?: PhaseResult) => (!r ? '—' : r.status === 'pass' ? `ok${r.seconds !== undefined ? ` ${r.seconds.toFixed(1)}s` : ''}` : r.status === 'skip' ? 'skipped' : 'FAILED');
  const rows = results.map((r) => [r.role, ...PHASES.map((p) => cell(r.phases[p]))]);
  const header = ['role', ...PHASES];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  const details = results.flatMap((r) =>
    PHASES.flatMap((p) => {
      const res = r.phases[p];
      return res && res.status !== 'pass' && res.detail ? [`  ${r.role} ${p}: ${res.detail}`] : [];
    }),
  );
  return [line(header), ...rows.map(line), ...(details.length ? ['', ...details] : [])].join('\n');
}

export function countLine(results: RoleResult[]): { passed: number; failed: number; text: string } {
  const all = results.flatMap((r) => Object.values(r.phases));
  const passed = all.filter((p) => p.status === 'pass').length;
  const failed = all.filter((p) => p.status === 'fail').length;
  const skipped = all.filter((p) => p.status === 'skip').length;
  return { passed, failed, text: `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}` };
}
