import { fileContains, outputMatches, serviceActive, type VerifyCheck } from '../../lib/api/verify.ts';
import type { defaults } from './defaults.ts';

export function verifyBase(v: typeof defaults): VerifyCheck[] {
  return [
    outputMatches('/etc/localtime points at the time zone', 'readlink /etc/localtime', new RegExp(`/usr/share/zoneinfo/${v.timezone}$`, 'm')),
    fileContains('/etc/timezone', v.timezone),
    {
      title: 'base packages are installed',
      script: `dpkg-query -W -f='\${Package} \${db:Status-Abbrev}\\n' ${v.base_packages.join(' ')}`,
      expect: (r) => {
        const missing = v.base_packages.filter((p) => !new RegExp(`^${p} ii`, 'm').test(r.stdout));
        return missing.length ? `not installed: ${missing.join(', ')}` : undefined;
      },
    },
    fileContains('/etc/default/cron', `EXTRA_OPTS="-L ${v.cron_log_level}"`),
    { ...serviceActive('cron'), skipUnless: { script: 'test -d /run/systemd/system', reason: 'host does not run systemd' } },
    outputMatches('cron runs with the configured log level', 'ps -o args= -C cron', new RegExp(`-L ${v.cron_log_level}`)),
    { ...fileContains('/etc/systemd/journald.conf.d/50-media-server-home.conf', `SystemMaxUse=${v.journald_max_use}`), skipUnless: { script: 'test -d /run/systemd/system', reason: 'host does not run systemd' } },
  ];
}
