/** The optional web-UI patch that drops the "No valid subscription" notice; see templates/subscription-notice.ts. */
import type { Change, Step } from '../../lib/api/step.ts';
import { assertOk } from '../../lib/connectors/connector.ts';
import { shq } from '../../lib/connectors/shell.ts';
import { writeFileAtomic } from '../../lib/modules/index.ts';
import { noticeState, patchSubscriptionNotice, PATCH_MARK } from './templates/subscription-notice.ts';

export function subscriptionNoticeStep(path: string, when: Step['when']): Step {
  const f = shq(path);
  return {
    title: 'Web UI without the "No valid subscription" notice',
    tags: ['web-ui'],
    notify: ['restart pveproxy'],
    when,
    probe: [
      `if [ -f ${f} ]; then echo present`,
      `  echo "marks=$(grep -c ${shq(PATCH_MARK)} ${f})"`,
      `  echo "openings=$(grep -cE 'checked_command:[[:space:]]*function[[:space:]]*\\(orig_cmd\\)[[:space:]]*\\{' ${f})"`,
      `  echo "toolkit=$(dpkg-query -W -f='\${Version}' proxmox-widget-toolkit 2>/dev/null)"`,
      'fi',
    ].join('\n'),
    check(_ctx, probe): Change | null {
      const out = probe?.stdout ?? '';
      if (!out.startsWith('present')) throw new Error(`${path} does not exist: is proxmox-widget-toolkit installed? (or set remove_subscription_notice: false)`);
      const kv = new Map(out.split('\n').map((l) => l.split('=', 2) as [string, string]));
      if (Number(kv.get('marks') || 0) > 0) return null;
      if (Number(kv.get('openings') || 0) !== 1) {
        throw new Error(`${path} (proxmox-widget-toolkit ${kv.get('toolkit') || 'unknown version'}) has no single checked_command function the role knows how to patch: set remove_subscription_notice: false`);
      }
      return { summary: `patch ${path} so the web UI skips the subscription check (proxmox-widget-toolkit ${kv.get('toolkit') || '?'}; its next update undoes it, the next run of the role redoes it)` };
    },
    async apply(ctx) {
      const res = assertOk(await ctx.conn.run(`stat -c '%a %U %G' ${f} && base64 -w0 < ${f}`), `reading ${path}`);
      const [attrs = '', b64 = ''] = res.stdout.split('\n');
      const [mode, owner, group] = attrs.trim().split(' ');
      const js = Buffer.from(b64.trim(), 'base64').toString('utf8');
      if (noticeState(js) === 'patched') return;
      const patched = patchSubscriptionNotice(js);
      if (patched !== null) await writeFileAtomic(ctx.conn, path, Buffer.from(patched), { mode, owner, group });
    },
  };
}
