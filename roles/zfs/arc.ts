import { dirname } from 'node:path';
import type { Change, Step } from '../../lib/api/step.ts';
import { assertOk } from '../../lib/connectors/connector.ts';
import { editProbe, planEdit, writeEdit, type EditChange } from '../../lib/modules/edit-file.ts';
import { formatBytes } from '../../lib/modules/disks/safety.ts';
import { arcMaxBytes } from './settings.ts';
import { setModuleOption, ZFS_MODPROBE_CONF } from './templates/modprobe.ts';

const LIVE = '/sys/module/zfs/parameters/zfs_arc_max';
const FILE_MARK = '@@msh-arc-file';

interface ArcChange extends Change {
  edit?: EditChange;
  live?: number;
  initramfs: boolean;
}

/**
 * The ARC limit: `options zfs zfs_arc_max=<bytes>` for the next boots, the live value now (when the module is loaded).
 * With / on ZFS the module loads from the initramfs, which keeps its own copy of modprobe.d: it is rebuilt whenever it
 * is older than the option file, which also catches a rebuild that failed on an earlier run.
 */
export function arcLimit(setting: string): Step {
  return {
    title: 'ZFS ARC limit',
    tags: ['arc'],
    probe: [
      `echo "live=$(cat ${LIVE} 2>/dev/null || echo absent)"`,
      `echo "rootfs=$(findmnt -n -o FSTYPE / 2>/dev/null)"`,
      `echo "initrd=$(stat -c %Y "/boot/initrd.img-$(uname -r)" 2>/dev/null || echo 0)"`,
      `echo "conf=$(stat -c %Y ${ZFS_MODPROBE_CONF} 2>/dev/null || echo 0)"`,
      `echo ${FILE_MARK}`,
      editProbe(ZFS_MODPROBE_CONF),
    ].join('\n'),
    async check(ctx, probe): Promise<ArcChange | null> {
      const out = probe?.stdout ?? '';
      const at = out.indexOf(`${FILE_MARK}\n`);
      const head = new Map(
        out
          .slice(0, Math.max(at, 0))
          .split('\n')
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
      );
      const { bytes, why } = arcMaxBytes(setting, ctx.facts.memoryMiB);
      const edit = await planEdit(ctx, ZFS_MODPROBE_CONF, at >= 0 ? out.slice(at + FILE_MARK.length + 1) : '', true, (text) => setModuleOption(text, 'zfs', 'zfs_arc_max', String(bytes)));
      const live = head.get('live') ?? 'absent';
      const liveDiffers = live !== 'absent' && live !== String(bytes);
      const initramfs = head.get('rootfs') === 'zfs' && (edit !== null || Number(head.get('initrd') ?? 0) < Number(head.get('conf') ?? 0));
      if (!edit && !liveDiffers && !initramfs) return null;
      const parts = [
        edit ? `write ${ZFS_MODPROBE_CONF}` : '',
        liveDiffers ? `live value ${live} → ${bytes}` : '',
        initramfs ? 'update-initramfs -u -k all (/ is on ZFS: the module and its options load from the initramfs)' : '',
      ].filter(Boolean);
      return { summary: `zfs_arc_max=${bytes} (${formatBytes(bytes)}, ${why}): ${parts.join(', ')}`, diff: edit?.diff, edit: edit ?? undefined, live: liveDiffers ? bytes : undefined, initramfs };
    },
    async apply(ctx, c) {
      const change = c as ArcChange;
      if (change.edit) {
        assertOk(await ctx.conn.run(`mkdir -p ${dirname(ZFS_MODPROBE_CONF)}`), `creating ${dirname(ZFS_MODPROBE_CONF)}`);
        await writeEdit(ctx.conn, change.edit);
      }
      if (change.live !== undefined) assertOk(await ctx.conn.run(`echo ${change.live} > ${LIVE}`), `setting ${LIVE}`);
      if (change.initramfs) assertOk(await ctx.conn.run('update-initramfs -u -k all'), 'update-initramfs -u -k all');
    },
  };
}
