import type { Change, Step } from '../api/step.ts';
import { assertOk } from '../connectors/connector.ts';
import { shq } from '../connectors/shell.ts';
import { editProbe, planEdit, writeEdit, type EditChange } from './edit-file.ts';
import { ensureLine } from './line-in-file.ts';
import { stepMeta, type StepOptions } from './step-options.ts';

export interface SysctlOptions extends StepOptions {
  /** e.g. "net.ipv4.ip_forward". */
  name: string;
  value: string | number;
  /** The file that sets it at boot. */
  file?: string;
  /** Also set the running kernel's value (sysctl -w). */
  live?: boolean;
}

interface SysctlChange extends Change {
  edit?: EditChange;
  live?: boolean;
}

const LIVE_MISSING = 'live-missing';

/** A kernel parameter: a `name = value` line in a sysctl.d file, and the live value. */
export function sysctl(opts: SysctlOptions): Step {
  if (!/^[A-Za-z0-9_.\/-]+$/.test(opts.name)) throw new Error(`sysctl: "${opts.name}" is not a kernel parameter name`);
  const value = normalize(String(opts.value));
  if (value === '' || /[\n#;]/.test(String(opts.value))) throw new Error(`sysctl ${opts.name}: value must be a non-empty single line without # or ;`);
  const path = opts.file ?? '/etc/sysctl.d/99-media-server-home.conf';
  const live = opts.live ?? true;
  const line = `${opts.name} = ${value}`;
  const re = new RegExp(`^\\s*${opts.name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\s*=`);
  const n = shq(opts.name);
  return {
    ...stepMeta(opts, `sysctl ${line}`),
    // First line: the live value on one line (tabs and newlines as spaces), then the file's state.
    probe: [
      `if v=$(sysctl -n ${n} 2>/dev/null); then printf 'live=%s\\n' "$(printf %s "$v" | tr '\\t\\n' '  ')"; else echo ${LIVE_MISSING}; fi`,
      editProbe(path),
    ].join('\n'),
    async check(ctx, probe): Promise<SysctlChange | null> {
      const out = probe?.stdout ?? '';
      const first = out.slice(0, out.indexOf('\n') + 1 || out.length);
      const edit = await planEdit(ctx, path, out.slice(first.length), true, (text) => ensureLine(text, line, re));
      let liveFrom: string | undefined;
      if (live) {
        if (!first.startsWith('live=')) throw new Error(`kernel parameter ${opts.name} does not exist on this host (is the kernel module that provides it loaded?)`);
        const current = normalize(first.slice('live='.length));
        if (current !== value) liveFrom = current;
      }
      if (!edit && liveFrom === undefined) return null;
      const parts = [edit ? `write ${path}` : '', liveFrom !== undefined ? `live value ${liveFrom} → ${value}` : ''].filter(Boolean);
      return { summary: `${line}: ${parts.join(', ')}`, diff: edit?.diff, edit: edit ?? undefined, live: liveFrom !== undefined };
    },
    async apply(ctx, c) {
      const change = c as SysctlChange;
      if (change.edit) await writeEdit(ctx.conn, change.edit);
      if (change.live) assertOk(await ctx.conn.run(`sysctl -w ${shq(`${opts.name}=${value}`)}`), `sysctl -w ${opts.name}=${value}`);
    },
  };
}

function normalize(v: string): string {
  return v.trim().split(/\s+/).join(' ');
}
