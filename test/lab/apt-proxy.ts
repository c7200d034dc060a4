/**
 * apt-cacher-ng on the controller: the hosts' only way to the Debian mirror. Started directly (no systemd here), as
 * its own user, bound to 127.0.0.1 and the controller side of each veth. ForceManaged limits it to deb.debian.org.
 */
import { spawn } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import type { LabConfig } from './config.ts';
import { LabError, sleep, tail, which } from './exec.ts';
import { APT_PROXY_USER, systemUser } from './prerequisites.ts';
import { alive, cmdline, signal, waitGone } from './processes.ts';

// Under the cache dir, not the state dir: /var/lib/media-server-home is 0700 and the daemon runs as its own user.
const proxyBase = (cfg: LabConfig): string => join(cfg.cacheDir, 'apt-cacher-ng');
/** Holds acng.conf; its path on the daemon's command line identifies the lab's instance. */
export const aptProxyConfDir = (cfg: LabConfig): string => join(proxyBase(cfg), 'conf');
const cacheDir = (cfg: LabConfig): string => join(proxyBase(cfg), 'cache');
export const aptProxyLogDir = (cfg: LabConfig): string => join(proxyBase(cfg), 'log');
const outputLog = (cfg: LabConfig): string => join(aptProxyLogDir(cfg), 'output.log');

/** "host/path" of a mirror URL, as apt-cacher-ng's Remap lines want it. */
function remapPrefix(url: string): string {
  return url.replace(/^https?:\/\//, '').replace(/\/+$/, '');
}

function configText(cfg: LabConfig, bind: string[]): string {
  return [
    '# written by the media-server-home lab at each start',
    `CacheDir: ${cacheDir(cfg)}`,
    `LogDir: ${aptProxyLogDir(cfg)}`,
    'SupportDir: /usr/lib/apt-cacher-ng',
    `Port: ${cfg.aptProxyPort}`,
    `BindAddress: ${bind.join(' ')}`,
    `SocketPath: ${join(aptProxyLogDir(cfg), 'socket')}`,
    `Remap-debrep: ${remapPrefix(cfg.mirror)} ; ${cfg.mirror}`,
    `Remap-secdeb: ${remapPrefix(cfg.securityMirror)} ; ${cfg.securityMirror}`,
    'ForceManaged: 1',
    'ExThreshold: 4',
    '',
  ].join('\n');
}

/** Whether `pid` is the apt-cacher-ng the lab started. */
export function isLabAptProxy(cfg: LabConfig, pid: number): boolean {
  const argv = cmdline(pid);
  return !!argv && alive(pid) && /apt-cacher-ng$/.test(argv[0] ?? '') && argv.includes(aptProxyConfDir(cfg));
}

function answers(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: address, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Starts apt-cacher-ng listening on `bind` (addresses that exist now); returns its pid once every address answers. */
export async function startAptProxy(cfg: LabConfig, bind: string[]): Promise<number> {
  const program = which('apt-cacher-ng');
  if (!program) throw new LabError('apt-cacher-ng is not installed (apt-get install apt-cacher-ng)');
  const user = systemUser(APT_PROXY_USER);
  if (!user) throw new LabError(`user ${APT_PROXY_USER} does not exist (apt-get install --reinstall apt-cacher-ng)`);
  for (const address of bind) {
    if (await answers(address, cfg.aptProxyPort)) {
      throw new LabError(`port ${cfg.aptProxyPort} on ${address} is already taken by another program (see: ss -ltnp 'sport = :${cfg.aptProxyPort}'); stop it or change aptProxyPort in test/lab/config.ts`);
    }
  }
  const conf = aptProxyConfDir(cfg);
  mkdirSync(conf, { recursive: true, mode: 0o755 });
  for (const d of [cacheDir(cfg), aptProxyLogDir(cfg)]) {
    mkdirSync(d, { recursive: true, mode: 0o755 });
    chownSync(d, user.uid, user.gid);
  }
  const closed = closedAncestor(conf, user.uid);
  if (closed) throw new LabError(`apt-cacher-ng runs as user ${APT_PROXY_USER} and cannot enter ${closed}: chmod o+x ${closed}, or move cacheDir in test/lab/config.ts`);
  writeFileSync(join(conf, 'acng.conf'), configText(cfg, bind));
  const fd = openSync(outputLog(cfg), 'w');
  let pid: number | undefined;
  let exit: string | undefined;
  try {
    const child = spawn(program, ['-c', conf, 'ForeGround=1'], { detached: true, stdio: ['ignore', fd, fd], uid: user.uid, gid: user.gid });
    child.once('exit', (code, sig) => (exit = sig ?? `exit ${code}`));
    child.unref();
    pid = child.pid;
  } finally {
    closeSync(fd);
  }
  if (!pid) throw new LabError('apt-cacher-ng did not start');
  const until = Date.now() + 10_000;
  for (;;) {
    const ready = await Promise.all(bind.map((a) => answers(a, cfg.aptProxyPort)));
    if (ready.every(Boolean)) return pid;
    if (exit || !alive(pid) || Date.now() > until) {
      if (alive(pid)) await stopAptProxy(cfg, pid);
      const why = existsSync(outputLog(cfg)) ? tail(readFileSync(outputLog(cfg), 'utf8')) : '';
      throw new LabError(`apt-cacher-ng ${exit ? `stopped (${exit})` : 'did not listen'} on ${bind.filter((_, i) => !ready[i]).join(', ')}:${cfg.aptProxyPort}: ${why} — logs in ${aptProxyLogDir(cfg)}`);
    }
    await sleep(50);
  }
}

/** The first directory on the way to `dir` that `uid` may not enter, if any. */
function closedAncestor(dir: string, uid: number): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    const st = statSync(d);
    if ((st.mode & 0o001) === 0 && !(st.uid === uid && st.mode & 0o100)) return d;
    if (d === '/') return undefined;
  }
}

export async function stopAptProxy(cfg: LabConfig, pid: number): Promise<void> {
  if (!isLabAptProxy(cfg, pid)) return;
  signal(pid, 'SIGTERM');
  if (await waitGone(pid, 5_000)) return;
  signal(pid, 'SIGKILL');
  if (!(await waitGone(pid, 5_000))) throw new LabError(`apt-cacher-ng (pid ${pid}) did not exit`);
}
