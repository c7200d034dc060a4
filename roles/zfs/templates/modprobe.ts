import type { TextEdit } from '../../../lib/modules/edit-file.ts';
import { joinLines, splitLines } from '../../../lib/modules/edit-file.ts';

export const ZFS_MODPROBE_CONF = '/etc/modprobe.d/zfs.conf';

/**
 * Sets `param=value` on the `options <module> …` lines of a modprobe.d file, keeping the other options on them (the
 * Proxmox installer writes its own zfs_arc_max there); appends `options <module> param=value` when no line has it.
 */
export function setModuleOption(text: string, module: string, param: string, value: string): TextEdit | null {
  const { lines, finalNewline } = splitLines(text);
  const optionsLine = new RegExp(`^\\s*options\\s+${module}\\s`);
  const word = new RegExp(`(^|\\s)${param}=\\S*`);
  let found = false;
  const next = lines.map((l) => {
    if (!optionsLine.test(l) || !word.test(l)) return l;
    found = true;
    return l.replace(word, `$1${param}=${value}`);
  });
  if (!found) {
    next.push(`options ${module} ${param}=${value}`);
    return { text: joinLines(next, true), summary: `add "options ${module} ${param}=${value}"` };
  }
  if (next.every((l, i) => l === lines[i])) return null;
  return { text: joinLines(next, finalNewline), summary: `set ${param}=${value}` };
}
