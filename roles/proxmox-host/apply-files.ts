/**
 * Boot files and the command that makes them count (proxmox-boot-tool refresh, update-grub, update-initramfs),
 * written so that a run interrupted between the two is finished by the next one: a marker file on the host says the
 * command is still owed, and the step's check sees it.
 */
import { dirname } from 'node:path';
import type { StepContext } from '../../lib/api/step.ts';
import { assertOk } from '../../lib/connectors/connector.ts';
import { shq } from '../../lib/connectors/shell.ts';
import { contentDiff } from '../../lib/modules/diff.ts';
import type { FileState } from '../../lib/modules/file-state.ts';
import { writeFileAtomic } from '../../lib/modules/index.ts';

export interface FileWrite {
  path: string;
  /** The new content; null removes the file. */
  content: string | null;
  /** What the probe found (absent files have kind "absent"). */
  existing: FileState;
  /** One phrase for the summary, e.g. "add intel_iommu=on to /etc/kernel/cmdline". */
  summary: string;
}

export function writesDiff(writes: FileWrite[]): string | undefined {
  const diffs = writes.map((w) => contentDiff(w.path, w.existing.kind === 'file' ? (w.existing.content ?? null) : null, w.content === null ? Buffer.alloc(0) : Buffer.from(w.content)));
  return diffs.length ? diffs.join('') : undefined;
}

/** Writes (or removes) the files, then runs `command`; the marker stays on the host until the command succeeded. */
export async function writeThenRun(ctx: StepContext, writes: FileWrite[], command: string | undefined, marker: string): Promise<void> {
  if (command) assertOk(await ctx.conn.run(`mkdir -p ${shq(dirname(marker))} && touch ${shq(marker)}`), `marking ${command} as owed`);
  for (const w of writes) {
    if (w.content === null) {
      assertOk(await ctx.conn.run(`rm -f ${shq(w.path)}`), `removing ${w.path}`);
      continue;
    }
    const e = w.existing;
    const own = e.kind === 'file' ? { owner: e.owner, group: e.group, mode: e.mode } : { owner: 'root', group: 'root', mode: '0644' };
    assertOk(await ctx.conn.run(`mkdir -p ${shq(dirname(w.path))}`), `creating ${dirname(w.path)}`);
    await writeFileAtomic(ctx.conn, w.path, Buffer.from(w.content), own);
  }
  if (!command) return;
  const res = await ctx.conn.run(command);
  for (const line of `${res.stdout}\n${res.stderr}`.trim().split('\n').filter(Boolean).slice(-20)) ctx.log(line);
  if (res.code !== 0) {
    const detail = (res.stderr.trim() || res.stdout.trim()).split('\n').slice(-6).join('\n');
    throw new Error(
      `the files are written, but \`${command}\` failed (exit ${res.code})${detail ? `: ${detail}` : ''} — fix that and run again: the next run runs \`${command}\` again`,
    );
  }
  assertOk(await ctx.conn.run(`rm -f ${shq(marker)}`), `clearing ${marker}`);
}
