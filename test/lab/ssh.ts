/** The lab's SSH key, its known_hosts file, and reaching the hosts with the system OpenSSH. */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { SshConnector } from '../../lib/connectors/ssh.ts';
import { hostAddress, labKeyFile, labKnownHostsFile, type LabConfig, type LabHost } from './config.ts';
import { run, sleep, tryRun, which } from './exec.ts';

/** Creates the lab key pair in the ssh state dir (0700) once; returns the public key line. */
export async function ensureLabKey(cfg: LabConfig): Promise<string> {
  mkdirSync(cfg.sshStateDir, { recursive: true, mode: 0o700 });
  chmodSync(cfg.sshStateDir, 0o700);
  const key = labKeyFile(cfg);
  if (!existsSync(key) || !existsSync(`${key}.pub`)) {
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'media-server-home-lab', '-f', key], { input: 'y\n' });
  }
  chmodSync(key, 0o600);
  return readFileSync(`${key}.pub`, 'utf8').trim();
}

/** Rewrites the lab known_hosts with the current keys of the given hosts (their addresses are the names). */
export function writeKnownHosts(cfg: LabConfig, entries: { address: string; keys: string[] }[]): void {
  mkdirSync(cfg.sshStateDir, { recursive: true, mode: 0o700 });
  const file = labKnownHostsFile(cfg);
  const text = entries.flatMap((e) => e.keys.map((k) => `${e.address} ${k}`)).join('\n');
  writeFileSync(`${file}.tmp`, text ? `${text}\n` : '', { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/** ssh options for a lab host: the lab key only, the lab known_hosts only, no prompts, no shared connection. */
export function sshOptions(cfg: LabConfig, connectTimeoutSec = 5): string[] {
  return [
    '-i', labKeyFile(cfg),
    '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${labKnownHostsFile(cfg)}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'ControlMaster=no',
    '-o', 'ControlPath=none',
    '-o', `ConnectTimeout=${connectTimeoutSec}`,
    '-o', 'LogLevel=ERROR',
  ];
}

/** The admin user where the host has one (after hardening, root may not log in there), else root. */
export const sshTarget = (cfg: LabConfig, host: LabHost): string => `${host.adminUser ?? "root"}@${hostAddress(cfg, host)}`;

export async function sshAnswers(cfg: LabConfig, host: LabHost, timeoutSec = 5): Promise<boolean> {
  const res = await tryRun('ssh', [...sshOptions(cfg, timeoutSec), '-o', 'BatchMode=yes', '--', sshTarget(cfg, host), 'true'], {
    timeoutMs: (timeoutSec + 5) * 1000,
  });
  return res.code === 0;
}

/** Waits until the host accepts the lab key; returns ssh's last error when it does not within the time. */
export async function waitForSsh(cfg: LabConfig, host: LabHost, timeoutMs: number, gone: () => boolean): Promise<string | undefined> {
  const until = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const res = await tryRun('ssh', [...sshOptions(cfg, 2), '-o', 'BatchMode=yes', '--', sshTarget(cfg, host), 'true'], { timeoutMs: 10_000 });
    if (res.code === 0) return undefined;
    last = res.stderr.trim().split('\n').at(-1) ?? `exit ${res.code}`;
    if (gone()) return `the host stopped (${last})`;
    if (Date.now() > until) return last;
    await sleep(200);
  }
}

/**
 * Ends the ControlMaster a playbook run may have left to this host (ControlPersist): it would outlive the host and
 * be reused against the next one. Uses the connector's own control path.
 */
export async function closeSshMasters(cfg: LabConfig, host: LabHost): Promise<void> {
  if (!which('ssh')) return; // no ssh client, no master either
  const conn = new SshConnector({ host: hostAddress(cfg, host), keyFile: labKeyFile(cfg), knownHostsFile: labKnownHostsFile(cfg) });
  await conn.close();
}
