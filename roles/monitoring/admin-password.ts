/**
 * Grafana's admin password equal to the one in .env. Grafana takes admin_password only when it creates its database,
 * so a later change is applied with `grafana cli admin reset-admin-password`; a stamp beside Grafana's data (the
 * password's SHA-256, never the password) records which password was applied last.
 */
import { createHash } from 'node:crypto';
import type { Change, Step } from '../../lib/api/step.ts';
import { assertOk } from '../../lib/connectors/connector.ts';
import { shq } from '../../lib/connectors/shell.ts';
import { sections } from '../../lib/modules/probe-sections.ts';
import { CONTAINER, SERVICE } from '../docker-stack/templates/names.ts';
import type { MonitoringVars } from './defaults.ts';

export const stampPath = (v: MonitoringVars) => `${v.grafana_data_dir}.admin-password.sha256`;
export const passwordHash = (password: string) => createHash('sha256').update(password).digest('hex');

const GRAFANA = CONTAINER[SERVICE.grafana];

export function adminPasswordStep(v: MonitoringVars, when: Step['when']): Step {
  const stamp = shq(stampPath(v));
  const want = passwordHash(v.grafana_admin_password);
  return {
    title: "Grafana's admin password is GRAFANA_ADMIN_PASSWORD",
    tags: ['grafana'],
    when,
    probe: [`echo "@@stamp $(cat ${stamp} 2>/dev/null)"`, `echo "@@running $(docker inspect --format '{{.State.Running}}' ${GRAFANA} 2>/dev/null)"`].join('\n'),
    check(ctx, probe): Change | null {
      const s = sections(probe?.stdout ?? '');
      if (s.get('stamp')?.value === want) return null;
      if (s.get('running')?.value !== 'true' && !ctx.checkMode) throw new Error(`the ${GRAFANA} container is not running: the step above should have started it (docker logs ${GRAFANA})`);
      return { summary: `grafana cli admin reset-admin-password (the password from .env, through stdin), then record its hash in ${stampPath(v)}` };
    },
    async apply(ctx) {
      const res = await ctx.conn.run(`docker exec -i ${GRAFANA} grafana cli admin reset-admin-password --password-from-stdin`, { input: `${v.grafana_admin_password}\n` });
      assertOk(res, `resetting Grafana's admin password in ${GRAFANA}`);
      assertOk(await ctx.conn.run(`umask 077 && printf '%s\\n' ${shq(want)} > ${stamp}`), `writing ${stampPath(v)}`);
    },
  };
}
