import { commandSucceeds, outputMatches, type VerifyCheck } from '../../lib/api/verify.ts';
import { shq } from '../../lib/connectors/shell.ts';
import { HOST_LAYOUT, SCHEDULES, scheduleEnabled, unitName, type V } from './settings.ts';

/** Read-only checks of a converged host: the tools, the secret's file, the repository opening, the timers. */
export function verifyBackup(v: V): VerifyCheck[] {
  const l = HOST_LAYOUT;
  return [
    outputMatches('restic is 0.14 or newer', 'restic version', /^restic (0\.(1[4-9]|[2-9]\d)|[1-9]\d*)\./m),
    outputMatches(`${l.passwordFile} is 0600 root`, `stat -c '%a %U %G' ${shq(l.passwordFile)}`, /^600 root root$/m),
    outputMatches(`${l.configFile} is 0600 root`, `stat -c '%a %U %G' ${shq(l.configFile)}`, /^600 root root$/m),
    commandSucceeds(`the repository ${v.backup_repository} opens with the password file`, `restic --no-cache --no-lock -r ${shq(v.backup_repository)} --password-file ${shq(l.passwordFile)} cat config >/dev/null`),
    commandSucceeds('the backup script parses its configuration', `python3 -c 'import json,sys; json.load(open(sys.argv[1]))' ${shq(l.configFile)} && ${shq(l.script)} --help >/dev/null`),
    ...SCHEDULES.filter((s) => scheduleEnabled(v, s)).map((s) =>
      outputMatches(`${unitName(s)}.timer is enabled and active`, `systemctl is-enabled ${unitName(s)}.timer; systemctl is-active ${unitName(s)}.timer`, /^enabled\nactive$/m),
    ),
  ];
}
