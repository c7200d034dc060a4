/** EnableMetrics in Jellyfin's system.xml: Jellyfin serves /metrics only with it, and reads it at start. */
import type { Change, Step } from '../../lib/api/step.ts';
import { editProbe, planEdit, writeEdit, type EditChange, type TextEdit } from '../../lib/modules/edit-file.ts';
import { parseFileState } from '../../lib/modules/file-state.ts';
import { jellyfinDirs } from '../docker-stack/model.ts';
import type { MonitoringVars } from './defaults.ts';

/** Jellyfin's image keeps its configuration in /config/config (JELLYFIN_CONFIG_DIR), our config directory's config/. */
export const systemXmlPath = (v: MonitoringVars) => `${jellyfinDirs(v).config}/config/system.xml`;

const ON = '<EnableMetrics>true</EnableMetrics>';

/** system.xml with EnableMetrics true: the element set where it is, else added at the end of ServerConfiguration. */
export function enableMetrics(text: string): TextEdit | null {
  if (text.includes(ON)) return null;
  const element = /<EnableMetrics>[^<]*<\/EnableMetrics>|<EnableMetrics\s*\/>/;
  if (element.test(text)) return { text: text.replace(element, ON), summary: 'set EnableMetrics to true' };
  const end = text.lastIndexOf('</ServerConfiguration>');
  if (end < 0) throw new Error('system.xml has no </ServerConfiguration>: it is not the Jellyfin server configuration it should be');
  return { text: `${text.slice(0, end)}  ${ON}\n${text.slice(end)}`, summary: 'add EnableMetrics true' };
}

export function jellyfinMetricsStep(v: MonitoringVars, when: Step['when']): Step {
  const path = systemXmlPath(v);
  return {
    title: "Jellyfin's Prometheus metrics on (EnableMetrics in system.xml)",
    tags: ['jellyfin'],
    notify: ['restart jellyfin'],
    when,
    probe: editProbe(path),
    async check(ctx, probe): Promise<Change | null> {
      const out = probe?.stdout ?? '';
      if (parseFileState(out).kind === 'absent') {
        // Jellyfin writes system.xml when it first starts, which docker-stack (run before this role) makes it do.
        if (ctx.checkMode) return { summary: `set EnableMetrics true in ${path} once Jellyfin has started and written it` };
        throw new Error(`${path} does not exist: Jellyfin writes it when it first starts — run the docker-stack role (with media in stack_profiles) first`);
      }
      return planEdit(ctx, path, out, false, enableMetrics);
    },
    async apply(ctx, change) {
      await writeEdit(ctx.conn, change as EditChange);
    },
  };
}
