/** The iGPU's kernel modules at boot (modules-load.d) and, for passthrough if asked, i915 kept off (modprobe.d). */
import type { Change, Step } from '../../lib/api/step.ts';
import { shq } from '../../lib/connectors/shell.ts';
import { fileStateProbe, parseFileState } from '../../lib/modules/file-state.ts';
import { file } from '../../lib/modules/index.ts';
import { writesDiff, writeThenRun, type FileWrite } from './apply-files.ts';
import { sections } from '../../lib/modules/probe-sections.ts';
import type { IgpuMode } from './defaults.ts';
import type { HostPaths } from './paths.ts';
import { I915_BLACKLIST, igpuModules, modulesLoadConf } from './templates/kernel-cmdline.ts';

/** /etc/modules-load.d/…: the list depends on the running kernel (vfio_virqfd before 6.2), so it is made at check time. */
export function modulesLoadStep(mode: IgpuMode, path: string): Step {
  const title = `Kernel modules for the iGPU at boot (igpu_mode ${mode})`;
  if (mode === 'none') return absentFile(title, path, ['boot']);
  const inner = (kernel: string) => file({ path, content: modulesLoadConf(mode, kernel), mode: '0644', owner: 'root', group: 'root' });
  return {
    title,
    tags: ['boot'],
    probe: inner('').probe,
    check(ctx, probe) {
      const change = inner(ctx.facts.kernel).check(ctx, probe) as Change | null;
      return change ? { ...change, summary: `${change.summary}: ${igpuModules(mode, ctx.facts.kernel).join(' ')}, loaded from the next boot` } : null;
    },
    apply: (ctx, change) => inner(ctx.facts.kernel).apply(ctx, change),
  };
}

interface InitramfsChange extends Change {
  writes: FileWrite[];
}

/** `blacklist i915` in modprobe.d (only passthrough with igpu_blacklist_i915), then update-initramfs: i915 may be in it. */
export function i915BlacklistStep(wanted: boolean, p: HostPaths): Step {
  const command = `${p.updateInitramfs} -u -k all`;
  return {
    title: wanted ? 'i915 kept off the iGPU (passthrough)' : 'No i915 blacklist of the role',
    tags: ['boot'],
    probe: `echo @@file; ${fileStateProbe(p.modprobe, true)}\necho @@pending; if [ -e ${shq(p.initramfsPending)} ]; then echo yes; fi`,
    check(_ctx, probe): InitramfsChange | null {
      const s = sections(probe?.stdout ?? '');
      const state = parseFileState(`${s.get('file')?.body ?? ''}\n`);
      const pending = (s.get('pending')?.body ?? '').trim() === 'yes';
      const current = state.kind === 'file' ? (state.content?.toString('utf8') ?? '') : undefined;
      const writes: FileWrite[] = [];
      if (wanted && current !== I915_BLACKLIST) writes.push({ path: p.modprobe, content: I915_BLACKLIST, existing: state, summary: `write ${p.modprobe} (blacklist i915)` });
      if (!wanted && state.kind !== 'absent') writes.push({ path: p.modprobe, content: null, existing: state, summary: `remove ${p.modprobe}` });
      if (writes.length === 0 && !pending) return null;
      const phrases = [...writes.map((w) => w.summary), writes.length ? `run ${command}` : `run ${command} (an earlier run did not finish it)`];
      return { summary: `${phrases.join(', ')}; takes effect at the next boot`, diff: writesDiff(writes), writes };
    },
    async apply(ctx, change) {
      await writeThenRun(ctx, (change as InitramfsChange).writes, command, p.initramfsPending);
    },
  };
}

/** A file of the role that must not be there (any more). */
export function absentFile(title: string, path: string, tags: string[]): Step {
  return {
    title,
    tags,
    probe: `if [ -e ${shq(path)} ] || [ -L ${shq(path)} ]; then echo present; fi`,
    check: (_ctx, probe) => ((probe?.stdout ?? '').includes('present') ? { summary: `remove ${path}` } : null),
    async apply(ctx) {
      const res = await ctx.conn.run(`rm -f ${shq(path)}`);
      if (res.code !== 0) throw new Error(`removing ${path} failed: ${res.stderr.trim()}`);
    },
  };
}
