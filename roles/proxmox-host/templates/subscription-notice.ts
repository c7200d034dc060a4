/**
 * The web UI's "No valid subscription" notice comes from Proxmox.Utils.checked_command in proxmox-widget-toolkit's
 * proxmoxlib.js: it asks the API for the subscription status before running the command. The patch makes the
 * function run the command at once. It is undone whenever proxmox-widget-toolkit is updated; the role's next run
 * applies it again.
 */

export const PROXMOXLIB = '/usr/share/javascript/proxmox-widget-toolkit/proxmoxlib.js';
export const PATCH_MARK = 'media-server-home: no subscription notice';

/** The function's opening, as the toolkit has written it over the years ("function(orig_cmd) {" or "function (orig_cmd) {"). */
const CHECKED_COMMAND = /checked_command:\s*function\s*\(orig_cmd\)\s*\{/g;

export type NoticeState = 'patched' | 'unpatched' | 'unknown';

export function noticeState(js: string): NoticeState {
  if (js.includes(PATCH_MARK)) return 'patched';
  return (js.match(CHECKED_COMMAND) ?? []).length === 1 ? 'unpatched' : 'unknown';
}

/** proxmoxlib.js with checked_command running the command at once; null when already patched. Throws on an unknown layout. */
export function patchSubscriptionNotice(js: string): string | null {
  const state = noticeState(js);
  if (state === 'patched') return null;
  if (state === 'unknown') {
    throw new Error('proxmoxlib.js has no single checked_command function the role knows how to patch (a new proxmox-widget-toolkit?): set remove_subscription_notice: false');
  }
  return js.replace(CHECKED_COMMAND, (opening) => `${opening}\n\torig_cmd(); return; // ${PATCH_MARK} (until proxmox-widget-toolkit is updated)`);
}
