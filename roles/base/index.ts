import { defineRole } from '../../lib/api/role.ts';
import { apt, directory, file, link, restartService } from '../../lib/modules/index.ts';
import { defaults, docs } from './defaults.ts';
import { cronDefaults } from './templates/cron-default.ts';
import { journaldDropIn } from './templates/journald.ts';
import { verifyBase } from './verify.ts';

const hasSystemd = (f: { systemd: boolean }) => f.systemd || 'host does not run systemd';

/** The demonstration role: time zone, base packages, and two config files whose changes restart their service. */
export const base = defineRole({
  name: 'base',
  description: 'time zone, base packages, cron and journald settings',
  hosts: 'all',
  defaults,
  docs,
  validate(v) {
    if (!/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(v.timezone)) {
      return { key: 'timezone', message: `"${v.timezone}" is not a tz database name`, fix: 'use a name like Europe/Paris or Etc/UTC (see timedatectl list-timezones)' };
    }
    if (!/^\d+[KMG]$/.test(v.journald_max_use)) {
      return { key: 'journald_max_use', message: `"${v.journald_max_use}" is not a size`, fix: 'use a number with K, M or G, e.g. 200M' };
    }
    if (!Number.isInteger(v.cron_log_level) || v.cron_log_level < 0 || v.cron_log_level > 15) {
      return { key: 'cron_log_level', message: `${v.cron_log_level} is not a level from 0 to 15`, fix: 'add up 1 (start), 2 (end), 4 (failed), 8 (PIDs)' };
    }
    return undefined;
  },
  steps: (v) => [
    link({ title: 'Set time zone', path: '/etc/localtime', target: `/usr/share/zoneinfo/${v.timezone}`, tags: ['timezone'] }),
    file({ title: 'Record time zone', path: '/etc/timezone', content: `${v.timezone}\n`, mode: '0644', owner: 'root', group: 'root', tags: ['timezone'] }),
    apt({ title: 'Install base packages', packages: v.base_packages, tags: ['packages'] }),
    file({
      title: 'Configure cron logging',
      path: '/etc/default/cron',
      content: cronDefaults({ logLevel: v.cron_log_level }),
      mode: '0644',
      owner: 'root',
      group: 'root',
      tags: ['cron'],
      notify: ['restart cron'],
    }),
    directory({ title: 'Journald drop-in directory', path: '/etc/systemd/journald.conf.d', mode: '0755', owner: 'root', group: 'root', tags: ['journald'], when: hasSystemd }),
    file({
      title: 'Cap the journal size',
      path: '/etc/systemd/journald.conf.d/50-media-server-home.conf',
      content: journaldDropIn({ maxUse: v.journald_max_use }),
      mode: '0644',
      owner: 'root',
      group: 'root',
      tags: ['journald'],
      when: hasSystemd,
      notify: ['restart journald'],
    }),
  ],
  handlers: () => [restartService('cron', 'restart cron'), restartService('systemd-journald', 'restart journald')],
  verify: verifyBase,
});
