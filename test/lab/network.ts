/**
 * The controller side of each host's veth (nspawn --network-veth creates the pair; without udev it cannot be told to
 * use an existing interface). The host gets 10.200.N.2, the controller 10.200.N.1; nothing is routed beyond that.
 */
import { existsSync } from 'node:fs';
import { gatewayAddress, vethName, type LabConfig, type LabHost } from './config.ts';
import { LabError, run, sleep, tryRun } from './exec.ts';

export const linkExists = (name: string): boolean => existsSync(`/sys/class/net/${name}`);

/** Waits for nspawn to create the host's veth, or for `gone()` to report that nspawn died first. */
export async function waitForVeth(host: LabHost, timeoutMs: number, gone: () => boolean): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!linkExists(vethName(host))) {
    if (gone()) throw new LabError(`${host.name}: systemd-nspawn exited before creating ${vethName(host)}`);
    if (Date.now() > until) throw new LabError(`${host.name}: ${vethName(host)} did not appear within ${timeoutMs / 1000}s`);
    await sleep(20);
  }
}

export async function configureVeth(cfg: LabConfig, host: LabHost): Promise<void> {
  const dev = vethName(host);
  await run('ip', ['addr', 'replace', `${gatewayAddress(cfg, host)}/24`, 'dev', dev]);
  await run('ip', ['link', 'set', dev, 'up']);
}

/** Removes the veth if it is still there (normally it goes with the container's network namespace). */
export async function removeVeth(host: LabHost): Promise<void> {
  const dev = vethName(host);
  if (!linkExists(dev)) return;
  const res = await tryRun('ip', ['link', 'delete', dev]);
  if (res.code !== 0 && linkExists(dev)) throw new LabError(`cannot remove ${dev}: ${res.stderr.trim()}`);
}

/** The lab's veths that exist now. */
export function labLinks(cfg: LabConfig): string[] {
  return cfg.hosts.map(vethName).filter(linkExists);
}
